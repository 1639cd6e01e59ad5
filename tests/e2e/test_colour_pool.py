"""One microscope: with the sample's option on, every photo is balanced by the sample's pooled white point
(core/colour.py pooled_white_point of the photos' own, as Python computes them from the same files); a photo
added changes the pool and the photos are analysed again, except one whose cell a person reviewed, which
keeps its cells and says so; the option is kept across a reload; turned off, each photo gets its own again.
The real page in headless Chromium, with the tiny model trained on two synthetic sources."""
import numpy as np
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bench.casts import cast
from core.colour import colour_reference, pooled_white_point
from core.model_index import default_model
from core.preprocess import load_rgb
from tests.conftest import draw_smear
from tests.e2e.page_results import upload
from tests.e2e.smear_page import TWO_CELLS, cell_box, press, wait_until_idle
from tests.e2e.test_sample import csv_sections, exported_csv

READ_BALANCE = """
return [...document.querySelectorAll('.result')].map((card) => ({
  file: card.dataset.file, status: card.dataset.status, white_point: card.dataset.whitePoint || null,
  kept: card.dataset.colourKept === 'true', text: card.textContent,
  cells: [...card.querySelectorAll('.cell')].map((cell) => ({ box: cell.dataset.box, confirmed: cell.dataset.confirmed === 'true' })),
}));
"""


def balances(driver) -> dict:
    return {card["file"]: card for card in driver.execute_script(READ_BALANCE)}


def cast_smear(folder, name, seed, gain, white_cells=TWO_CELLS):
    """A green-cast smear (one microscope's), its light dimmed by `gain`: each photo has a white point of its own."""
    rgb = cast(draw_smear(np.random.default_rng(seed), white_cells=white_cells), "green")
    path = folder / name
    Image.fromarray(np.clip(np.rint(rgb * gain), 0, 255).astype(np.uint8)).save(path)
    return path


def own_points(paths, colour) -> list:
    return [colour_reference(load_rgb(path), colour)["white_point"] for path in paths]


def shown(point) -> str:
    return " ".join(map(str, point))


def wait_for_points(driver, expected: dict, seconds=120) -> dict:
    """Until each named card shows the white point expected of it, every photo classified."""
    WebDriverWait(driver, seconds).until(lambda d: all(
        balances(d).get(name, {}).get("white_point") == shown(point) for name, point in expected.items()))
    wait_until_idle(driver)
    return balances(driver)


def test_one_microscope_balances_every_photo_by_the_pooled_point_and_keeps_reviewed_ones(
        fresh_page, published_site, tmp_path):
    colour = default_model(published_site / "models")[0]["preprocessing"]["colour"]
    first, second = cast_smear(tmp_path, "field-1.png", 31, 1.0), cast_smear(tmp_path, "field-2.png", 32, 0.8)
    own = own_points([first, second], colour)
    pooled = pooled_white_point(own)
    assert own[0] != own[1] and pooled not in own, "the drawn photos must differ in their own white points"

    option = fresh_page.find_element(By.ID, "pool-colour")
    assert not option.is_selected(), "off by default"
    upload(fresh_page, [first])
    wait_until_idle(fresh_page)
    assert balances(fresh_page)[first.name]["white_point"] == shown(own[0]), "off: the photo's own point"
    option.click()
    upload(fresh_page, [second])
    cards = wait_for_points(fresh_page, {first.name: pooled, second.name: pooled})
    assert all(card["status"] == "cells" and len(card["cells"]) == 2 for card in cards.values())
    assert not any(card["kept"] for card in cards.values())
    assert shown(pooled) in fresh_page.find_element(By.ID, "report-colour").get_attribute("textContent")
    about = dict(csv_sections(exported_csv(fresh_page, tmp_path / "csv-1"))[3][1:])
    assert about["colour balance"].startswith(f"one microscope: every photo balanced by the sample's pooled white "
                                              f"point {shown(pooled)} (the mean of 2 photos' own)")

    cell_box(fresh_page, first.name, 1).click()
    press(fresh_page, "\n")  # Enter confirms the cell: the first photo is reviewed
    WebDriverWait(fresh_page, 10).until(lambda d: balances(d)[first.name]["cells"][0]["confirmed"])
    reviewed = balances(fresh_page)[first.name]["cells"]

    third = cast_smear(tmp_path, "field-3.png", 33, 0.65, white_cells=((240, 320),))
    repooled = pooled_white_point(own + own_points([third], colour))
    assert repooled != pooled
    upload(fresh_page, [third])
    cards = wait_for_points(fresh_page, {second.name: repooled, third.name: repooled})
    assert cards[first.name]["white_point"] == shown(pooled), "a reviewed photo is not analysed again"
    assert cards[first.name]["cells"] == reviewed and cards[first.name]["kept"]
    assert "its cells were reviewed before the balance changed" in cards[first.name]["text"]
    assert not cards[second.name]["kept"] and not cards[third.name]["kept"]
    _, _, notes, about = csv_sections(exported_csv(fresh_page, tmp_path / "csv-2"))
    assert any(row[0] == first.name and f"white point {shown(pooled)}" in row[1] for row in notes[1:])
    assert "1 photo keeps an earlier balance" in dict(about[1:])["colour balance"]

    fresh_page.refresh()
    cards = wait_for_points(fresh_page, {first.name: pooled, second.name: repooled, third.name: repooled})
    assert fresh_page.find_element(By.ID, "pool-colour").is_selected(), "the option is kept with the sample"
    assert cards[first.name]["kept"] and cards[first.name]["cells"] == reviewed

    fresh_page.find_element(By.ID, "pool-colour").click()  # off: each photo its own point, the reviewed one kept
    cards = wait_for_points(fresh_page, {second.name: own[1], third.name: own_points([third], colour)[0]})
    assert cards[first.name]["white_point"] == shown(pooled) and cards[first.name]["cells"] == reviewed
    fresh_page.refresh()
    wait_until_idle(fresh_page)
    assert not fresh_page.find_element(By.ID, "pool-colour").is_selected()
