"""The page says when a sample's cells look unlike the cells its model learnt from (web/js/familiarity.js):
real photos of a lab the model never saw (tecom) and of a lab it learnt from (pbc's validation part), through
the real page in headless Chromium with the shipped model and its threshold."""
import random

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core.model_index import default_model
from tests.conftest import REPO, SHARED_DATA
from tests.e2e.smear_page import open_fresh, wait_until_idle
from tests.e2e.test_adaptation import picked
from tests.e2e.test_sample import csv_sections, exported_csv

TECOM, PBC = SHARED_DATA / "tecom" / "VAL", SHARED_DATA / "pbc" / "VAL"


def photos_of(folder, count: int) -> list:
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    photos = sorted(folder.glob("*/*.jpg")) + sorted(folder.glob("*/*.png"))
    random.Random(1).shuffle(photos)
    return [(path, path.parent.name) for path in photos[:count]]


def familiarity_shown(driver) -> dict:
    note = driver.find_element(By.ID, "unfamiliar")
    return {"state": note.get_attribute("data-state"), "shown": note.is_displayed(), "text": note.text,
            "distance": float(note.get_attribute("data-distance") or "nan"),
            "threshold": float(note.get_attribute("data-threshold") or "nan")}


def test_the_shipped_model_has_a_threshold_fitted_on_validation():
    familiarity = default_model(REPO / "web" / "models")[0].get("familiarity")
    assert familiarity and familiarity["min_cells"] >= 10 and 0 < familiarity["threshold"] < 1
    assert set(familiarity["validation"]) == {"blood-cells", "pbc"}


def test_another_labs_sample_is_told_to_check_every_cell_and_a_training_labs_is_not(chromium, shipped_server, tmp_path):
    open_fresh(chromium, shipped_server.url)
    minimum = default_model(REPO / "web" / "models")[0]["familiarity"]["min_cells"]
    tecom = photos_of(TECOM, minimum + 5)
    picked(chromium, tecom[:minimum // 2], tmp_path / "first")
    wait_until_idle(chromium)
    assert familiarity_shown(chromium)["state"] == "too-few" and not familiarity_shown(chromium)["shown"]

    picked(chromium, tecom[minimum // 2:], tmp_path / "more")
    wait_until_idle(chromium)
    shown = WebDriverWait(chromium, 30).until(lambda d: familiarity_shown(d)["state"] == "unlike" and familiarity_shown(d))
    assert shown["shown"] and "look unlike the cells the model learnt from" in shown["text"]
    assert shown["distance"] > shown["threshold"]
    (tmp_path / "csv").mkdir()
    about = dict(row[:2] for row in csv_sections(exported_csv(chromium, tmp_path / "csv"))[3] if len(row) >= 2)
    assert about["cells against the training labs"].startswith("UNLIKE the training labs")

    open_fresh(chromium, shipped_server.url)
    picked(chromium, photos_of(PBC, minimum + 5), tmp_path / "pbc")
    wait_until_idle(chromium)
    shown = familiarity_shown(chromium)
    assert shown["state"] == "like" and not shown["shown"] and shown["distance"] < shown["threshold"]
