"""A photo the smear check refuses can still be counted: "Look for cells anyway" finds and classifies its
cells, the choice is kept with the photo across a reload, and the CSV says so. The real page in headless
Chromium, with the tiny model trained on two synthetic sources."""
import numpy as np
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.page_results import upload
from tests.e2e.smear_page import photo, read_page, wait_until_idle
from tests.e2e.test_sample import csv_sections, exported_csv
from tests.test_photo_cells import not_a_smear

LOOKED = "Looked for cells anyway"


def test_a_refused_photo_is_counted_when_a_person_looks_for_its_cells_anyway(fresh_page, tmp_path):
    path = tmp_path / "green-cast.png"
    Image.fromarray(not_a_smear()).save(path)
    upload(fresh_page, [path])
    card = photo(read_page(fresh_page), path.name)
    assert card["status"] == "not-smear" and card["cells"] == []
    fresh_page.find_element(By.CSS_SELECTOR, f'.result[data-file="{path.name}"] button.look-anyway').click()
    WebDriverWait(fresh_page, 60).until(lambda d: photo(read_page(d), path.name)["status"] == "cells")
    wait_until_idle(fresh_page)
    shown = read_page(fresh_page)
    card = photo(shown, path.name)
    assert len(card["cells"]) == 2 and LOOKED in card["text"]
    assert shown["white_total"] + sum(len(c["cells"]) for c in shown["photos"]) >= 2

    fresh_page.refresh()
    wait_until_idle(fresh_page)
    kept = photo(read_page(fresh_page), path.name)
    assert kept["status"] == "cells" and len(kept["cells"]) == 2 and LOOKED in kept["text"]
    assert not fresh_page.find_elements(By.CSS_SELECTOR, "button.look-anyway")

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    _, _, notes, _ = csv_sections(exported_csv(fresh_page, downloads))
    assert [path.name, "not a stained smear to the check; a person looked for its cells anyway"] in notes


def test_a_refused_photo_keeps_its_cells_unlooked_for_until_asked(fresh_page, tmp_path):
    path = tmp_path / "green.png"
    Image.fromarray(np.full((120, 160, 3), (60, 150, 60), np.uint8)).save(path)
    upload(fresh_page, [path])
    card = photo(read_page(fresh_page), path.name)
    assert card["status"] == "not-smear" and "look for its cells anyway" in card["text"]
    assert fresh_page.find_elements(By.CSS_SELECTOR, f'.result[data-file="{path.name}"] button.look-anyway')
