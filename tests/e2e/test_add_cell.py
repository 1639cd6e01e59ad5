"""A white cell the finder gave no box is added by pointing at it ("Add a missed cell"): it is classified,
counted, selected for the person to confirm or correct, kept with the sample across a reload, and the CSV
says a person added it; a photo with no cell found gets its first. The real page in headless Chromium, with
the tiny model trained on two synthetic sources."""
import numpy as np
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import draw_smear
from tests.e2e.page_results import upload
from tests.e2e.smear_page import photo, read_page, wait_until_idle
from tests.e2e.test_sample import csv_sections, exported_csv

MISSED = (330, 480)  # [y, x] of the cell the finder is not given: bare glass in the drawing


def card_of(driver, name: str):
    return driver.find_element(By.CSS_SELECTOR, f'.result[data-file="{name}"]')


def point_at(driver, name: str, point: tuple) -> None:
    """Click the photo's picture at [y, x] in its own pixels."""
    picture = card_of(driver, name).find_element(By.CSS_SELECTOR, ".photo img")
    width, height, shown_width, shown_height = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return [arguments[0].naturalWidth, arguments[0].naturalHeight, r.width, r.height];", picture)
    dx = (point[1] + 0.5) / width * shown_width - shown_width / 2
    dy = (point[0] + 0.5) / height * shown_height - shown_height / 2
    ActionChains(driver).move_to_element_with_offset(picture, round(dx), round(dy)).click().perform()


def add_cell(driver, name: str, point: tuple, cells_after: int) -> dict:
    card_of(driver, name).find_element(By.CSS_SELECTOR, "button.add-cell").click()
    point_at(driver, name, point)
    WebDriverWait(driver, 60).until(lambda d: len(photo(read_page(d), name)["cells"]) == cells_after)
    return photo(read_page(driver), name)


def test_a_missed_cell_is_added_where_a_person_points_and_kept(fresh_page, tmp_path):
    found = tmp_path / "one-found.png"
    Image.fromarray(draw_smear(np.random.default_rng(3), white_cells=((120, 150),), platelets=0)).save(found)
    upload(fresh_page, [found])
    wait_until_idle(fresh_page)
    assert len(photo(read_page(fresh_page), found.name)["cells"]) == 1

    card = add_cell(fresh_page, found.name, MISSED, 2)
    new = next(cell for cell in card["cells"] if cell["number"] == 2)
    left, top, width, height = new["box"]
    selected = fresh_page.find_element(By.CSS_SELECTOR, '.cell[aria-current="true"]')
    assert new["added"] and "added by a person" in new["label"] and selected.get_attribute("data-cell") == "2"
    assert abs(left + width / 2 - MISSED[1]) <= 2 and abs(top + height / 2 - MISSED[0]) <= 2
    assert not card_of(fresh_page, found.name).get_attribute("class").count("adding")

    fresh_page.refresh()
    wait_until_idle(fresh_page)
    kept = photo(read_page(fresh_page), found.name)
    assert [cell["added"] for cell in kept["cells"]] == [False, True] and kept["cells"][1]["box"] == new["box"]
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    cells, differential, _, _ = csv_sections(exported_csv(fresh_page, downloads))
    assert [row[-1] for row in cells[1:]] == ["no", "yes"] and cells[2][13], "added, and when"
    assert {row[0]: row[2] for row in differential[1:]}["added by a person"] == "1"
    assert "1 cell added by hand" in fresh_page.find_element(By.ID, "summary-checks").text


def test_a_photo_with_no_cell_found_gets_the_cell_a_person_points_at_and_esc_cancels(fresh_page, tmp_path):
    empty = tmp_path / "none-found.png"
    Image.fromarray(draw_smear(np.random.default_rng(5), white_cells=((-500, -500),), platelets=0)).save(empty)
    upload(fresh_page, [empty])
    wait_until_idle(fresh_page)
    assert photo(read_page(fresh_page), empty.name)["status"] == "no-cells"

    card_of(fresh_page, empty.name).find_element(By.CSS_SELECTOR, "button.add-cell").click()
    fresh_page.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    point_at(fresh_page, empty.name, MISSED)
    assert photo(read_page(fresh_page), empty.name)["cells"] == [], "Esc left adding: a click adds nothing"

    card = add_cell(fresh_page, empty.name, MISSED, 1)
    assert card["status"] == "cells" and card["cells"][0]["added"]
    shown = read_page(fresh_page)
    assert shown["white_total"] + sum(shown["platelets"].values()) + sum(
        c["count"] for c in shown["nucleated_red"].values()) == 1
