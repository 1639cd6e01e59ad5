"""Every white cell of a smear photo found, boxed, checked, corrected and counted: the real page in
headless Chromium, with the tiny model trained on two synthetic sources (cell_sized crops)."""
import numpy as np
import pytest
from selenium.webdriver.common.by import By

from core.model_index import default_model
from core.photo_cells import photo_cells
from core.preprocess import decoded_rgb, preprocess_file, square_input
from core.tfjs import tfjs_probabilities
from headless.site_server import RunningServer
from tests.conftest import SHARED_DATA
from tests.e2e.page_results import severe_console_messages, shown_probabilities, upload
from tests.e2e.smear_page import (
    TWO_CELLS,
    cell_box,
    counted_cells,
    key_for,
    landscape_file,
    open_fresh,
    photo,
    press,
    read_page,
    smear_file,
    variant_site,
)

TOLERANCE = 1e-3
NOT_A_SMEAR = "This picture does not look like a stained blood smear to the check, so no cells were looked for."
NO_CELL = "No white cell was found in this photo; it adds nothing to the count."
CLINIC_TYPES = {"white_cells": ["GREEN", "BLUE"], "nucleated_red_cells": ["RED"], "platelets": ["VIOLET"]}


@pytest.fixture(scope="module")
def clinic_site(published_site, tmp_path_factory):
    """Review thresholds no cell can meet (every cell flagged), and clinic cell types: GREEN and BLUE white
    cells (in that order), RED nucleated red cells, VIOLET platelets."""
    site = variant_site(published_site, tmp_path_factory.mktemp("clinic"), cell_types=CLINIC_TYPES,
                        review={"min_probability": 1.01, "min_margin": 0.0})
    server = RunningServer(site)
    yield server
    server.stop()


@pytest.fixture
def page(fresh_page):
    return fresh_page


def centre(box):
    left, top, width, height = box
    return top + height / 2, left + width / 2


def assert_differential_matches_the_boxes(shown, white_classes):
    counts = counted_cells(shown)
    total = sum(counts.get(name, 0) for name in white_classes)
    assert shown["white_total"] == total
    for name in white_classes:
        assert shown["white"][name]["count"] == counts.get(name, 0), name
        assert shown["white"][name]["percent"] == pytest.approx(100 * counts.get(name, 0) / total if total else 0)


def other_class(classes, name):
    return next(c for c in classes if c != name)


def test_a_two_cell_smear_gets_two_numbered_boxes_with_classes(page, published_site, tmp_path):
    metadata, _ = default_model(published_site / "models")
    path = smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)
    result = upload(page, [path])[path.name]
    shown = read_page(page)
    card = photo(shown, path.name)
    assert [cell["number"] for cell in card["cells"]] == [1, 2]
    for y, x in TWO_CELLS:  # one box on each drawn white cell
        assert any(np.hypot(centre(c["box"])[0] - y, centre(c["box"])[1] - x) < 20 for c in card["cells"]), (y, x)
    assert {cell["class"] for cell in card["cells"]} <= set(metadata["classes"])
    assert all(0 < cell["probability"] <= 1 and cell["review"] == "false" for cell in card["cells"])
    surest = max(card["cells"], key=lambda cell: cell["probability"])
    assert card["top_class"] == surest["class"]
    assert card["heading"].startswith("2 cells: ")
    # The card's bars are its main cell's, one per class.
    assert max(shown_probabilities(result, metadata["classes"])) in [c["probability"] for c in card["cells"]]
    assert_differential_matches_the_boxes(shown, metadata["classes"])
    assert shown["progress"] == {"counted": "2", "target": "100", "reached": "false"}
    assert shown["review_note"] == "Review flags: not available for this model."
    assert severe_console_messages(page) == []


def test_correcting_a_cell_by_click_and_by_number_key_changes_the_count(page, published_site, tmp_path):
    metadata, _ = default_model(published_site / "models")
    classes = metadata["classes"]
    path = smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)
    upload(page, [path])
    before = photo(read_page(page), path.name)["cells"]

    # A click on the box, then a click on a class button.
    cell_box(page, path.name, 1).click()
    assert page.find_element(By.ID, "inspector-crop").get_attribute("width") == str(metadata["preprocessing"]["input_size"][1])
    first = other_class(classes, before[0]["class"])
    page.find_element(By.CSS_SELECTOR, f'#class-buttons button[data-assign="{first}"]').click()
    shown = read_page(page)
    corrected = photo(shown, path.name)["cells"][0]
    assert (corrected["class"], corrected["corrected"], corrected["probability"]) == (first, True, before[0]["probability"])
    assert shown["corrected"] == 1
    assert_differential_matches_the_boxes(shown, classes)

    # A click on the other box, then its number key.
    cell_box(page, path.name, 2).click()
    second = other_class(classes, before[1]["class"])
    press(page, key_for(shown, second))
    shown = read_page(page)
    assert photo(shown, path.name)["cells"][1]["class"] == second
    assert shown["corrected"] == 2
    assert_differential_matches_the_boxes(shown, classes)

    # The model's own class again: counted as the model said, no longer a correction.
    press(page, key_for(shown, before[1]["class"]))
    shown = read_page(page)
    assert photo(shown, path.name)["cells"][1]["class"] == before[1]["class"]
    assert not photo(shown, path.name)["cells"][1]["corrected"]
    assert shown["corrected"] == 1
    assert_differential_matches_the_boxes(shown, classes)


def test_excluding_a_cell_removes_it_from_the_count(page, published_site, tmp_path):
    metadata, _ = default_model(published_site / "models")
    path = smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)
    upload(page, [path])
    cell_box(page, path.name, 1).click()
    press(page, "x")
    shown = read_page(page)
    cell = photo(shown, path.name)["cells"][0]
    assert cell["excluded"] and cell["tag"].endswith("×")
    assert (shown["white_total"], shown["excluded"]) == (1, 1)
    assert_differential_matches_the_boxes(shown, metadata["classes"])
    press(page, "0")  # the same key counts it again
    shown = read_page(page)
    assert not photo(shown, path.name)["cells"][0]["excluded"]
    assert shown["white_total"] == 2


def test_typing_a_sample_id_never_reclassifies_the_selected_cell(page, tmp_path):
    path = smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)
    upload(page, [path])
    cell_box(page, path.name, 1).click()
    before = read_page(page)
    page.find_element(By.ID, "sample-id").send_keys("x 1234")
    assert read_page(page)["photos"] == before["photos"]


def test_a_picture_that_is_not_a_smear_is_flagged_and_adds_nothing(page, tmp_path):
    smear = smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)
    landscape = landscape_file(tmp_path)
    results = upload(page, [landscape, smear])
    shown = read_page(page)
    card = photo(shown, landscape.name)
    assert card["status"] == "not-smear" and NOT_A_SMEAR in card["text"]
    assert card["cells"] == [] and card["top_class"] is None
    assert not results[landscape.name].find_elements(By.CSS_SELECTOR, ".bar[data-class][data-probability]")
    assert shown["white_total"] == 2
    assert "1 picture does not look like a stained smear" in shown["summary_total"]


def test_a_smear_with_no_white_cell_says_so(page, tmp_path):
    path = smear_file(tmp_path, "red-cells-only.jpg", white_cells=((-1000, -1000),))
    upload(page, [path])
    shown = read_page(page)
    card = photo(shown, path.name)
    assert card["status"] == "no-cells" and NO_CELL in card["text"]
    assert card["cells"] == [] and card["top_class"] is None
    assert shown["white_total"] == 0
    assert "1 photo with no white cell found" in shown["summary_total"]


def test_a_cell_cut_by_the_edge_is_marked(page, tmp_path):
    # a nucleus as wide as most of a red cell (the finder names no narrower sliver at the edge); the drawing
    # the unit tests use, whose red cells the ruler measures as about the nucleus
    path = smear_file(tmp_path, "edge.png", seed=5, white_cells=((12, 320),), nucleus_radius=28)
    upload(page, [path])
    [cell] = photo(read_page(page), path.name)["cells"]
    assert cell["edge"] and "cut by the photo's edge" in cell["label"]
    left, top, width, height = cell["box"]
    assert top == 0 and left >= 0 and left + width <= 640 and top + height <= 480  # clipped to the photo
    assert cell_box(page, path.name, 1).value_of_css_property("border-top-style") == "dashed"


def test_unsure_cells_are_flagged_for_review_and_cell_types_shape_the_count(chromium, clinic_site, tmp_path):
    open_fresh(chromium, clinic_site.url)
    two = smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)
    one = smear_file(tmp_path, "one.png", seed=2)
    upload(chromium, [two, one])
    shown = read_page(chromium)
    assert shown["class_buttons"] == [["GREEN", "1"], ["BLUE", "2"], ["RED", "3"], ["VIOLET", "4"]]
    assert shown["white_order"] == ["GREEN", "BLUE"]
    cells = [cell for card in shown["photos"] for cell in card["cells"]]
    assert len(cells) == 3 and all(c["review"] == "true" and c["awaiting"] and c["tag"].endswith("?") for c in cells)
    assert shown["awaiting_review"] == 3
    # Nothing about an unsure cell may look like a confident answer: not its card's heading either.
    assert photo(shown, one.name)["heading"].endswith("? Needs review") and " or " in photo(shown, one.name)["heading"]
    assert "2 to review" in photo(shown, two.name)["text"]
    assert cell_box(chromium, one.name, 1).value_of_css_property("outline-style") == "solid"

    cell_box(chromium, two.name, 1).click()
    press(chromium, "3")  # a nucleated red cell
    cell_box(chromium, two.name, 2).click()
    press(chromium, "4")  # a platelet
    cell_box(chromium, one.name, 1).click()
    press(chromium, "1")  # a GREEN white cell
    shown = read_page(chromium)
    assert shown["awaiting_review"] == 0
    assert shown["white_total"] == 1 and shown["white"]["GREEN"] == {"count": 1, "percent": 100}
    assert shown["nucleated_red"] == {"RED": {"count": 1, "per_100_white": "100"}}
    assert shown["platelets"] == {"VIOLET": 1}
    assert shown["review_note"] != "Review flags: not available for this model."


@pytest.fixture(scope="module")
def bccd_smears():
    folder = SHARED_DATA / "bccd-smears" / "JPEGImages"
    photos = sorted(folder.glob("*.jpg"))
    if not photos:
        pytest.skip(f"whole smear photos (bccd-smears) not found at {folder}")
    return photos[::60][:4]


def clipped(square, width, height):
    top, left, side = square
    x0, y0 = max(0, left), max(0, top)
    return [x0, y0, min(width, left + side) - x0, min(height, top + side) - y0]


def test_real_smears_get_the_cells_python_finds_and_its_probabilities(page, published_site, bccd_smears, tmp_path):
    metadata, folder = default_model(published_site / "models")
    spec = metadata["preprocessing"]
    results = upload(page, bccd_smears)
    shown = read_page(page)
    for path in bccd_smears:
        rgb = decoded_rgb(path, spec)  # colour-corrected, as the page sees it
        cells = photo_cells(rgb, spec)["cells"]
        card = photo(shown, path.name)
        height, width = rgb.shape[:2]
        assert [c["box"] for c in card["cells"]] == [clipped(c["square"], width, height) for c in cells], path.name
        if cells:
            inputs = np.stack([square_input(rgb, tuple(c["square"]), spec) for c in cells])
            want = tfjs_probabilities(folder, inputs).max(axis=1)
            assert np.abs(np.array([c["probability"] for c in card["cells"]]) - want).max() <= TOLERANCE, path.name
            main = tfjs_probabilities(folder, preprocess_file(path, spec)[None])[0]
            assert np.abs(np.array(shown_probabilities(results[path.name], metadata["classes"])) - main).max() <= TOLERANCE
