"""The cells of a review at laptop size (1366x768 and 1280x720 screens): each box outlines its own cell with
its tag at it and is dashed only when the photo's edge cuts the cell itself; every cell's calibrated
probabilities are in the inspector and it is flagged by them, by probability and by its lead over the
second class. The real page, the shipped model, Python (and TensorFlow.js under Node) as the reference."""
import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from core.calibration import calibrated
from core.model_index import default_model
from core.photo_cells import photo_cells
from core.preprocess import decoded_rgb, square_input
from core.tfjs import tfjs_probabilities
from headless.site_server import RunningServer
from tests.conftest import REPO, draw_smear
from tests.e2e.page_results import upload
from tests.e2e.smear_page import TWO_CELLS, cell_box, open_fresh, photo, read_page, smear_file, variant_site
from tests.e2e.test_laptop import LAPTOPS, assert_in_view, laptop, unsure_site  # noqa: F401 (fixtures)
from tests.test_cell_extent import cell_with_clump

INSPECTOR_BARS = "return [...document.querySelectorAll('#inspector-bars .bar[data-class]')].map((bar) => " \
                 "[bar.dataset.class, Number(bar.dataset.probability)]);"
# Where a box and its tag are drawn, in viewport pixels.
RECTS = """const box = arguments[0].getBoundingClientRect(); const tag = arguments[0].querySelector('.cell-tag')
  .getBoundingClientRect(); return [[box.left, box.top, box.right, box.bottom], [tag.left, tag.top, tag.right, tag.bottom]];"""


def saved(folder, name: str, rgb: np.ndarray):
    path = folder / name
    Image.fromarray(rgb).save(path)
    return path


def page_cells(path, spec: dict) -> list:
    """The cells Python lists for this photo, as the page decodes and colour-corrects it."""
    return photo_cells(decoded_rgb(path, spec), spec)["cells"]


def test_each_box_outlines_its_own_cell_and_is_dashed_only_when_the_edge_cuts_it(laptop, tmp_path):
    spec = default_model(REPO / "web" / "models")[0]["preprocessing"]
    paths = [smear_file(tmp_path, "two.png", white_cells=TWO_CELLS),
             saved(tmp_path, "clump.png", cell_with_clump(np.random.default_rng(21))),
             saved(tmp_path, "edge.png", draw_smear(np.random.default_rng(5), white_cells=((12, 320),), nucleus_radius=28))]
    upload(laptop, paths)
    for path in paths:
        wanted = page_cells(path, spec)
        shown = photo(read_page(laptop), path.name)["cells"]
        assert len(shown) == len(wanted), path.name
        for number, (cell, want) in enumerate(zip(shown, wanted), start=1):
            box = cell_box(laptop, path.name, number)
            top, left, bottom, right = want["cell_box"]
            assert box.get_attribute("data-outline") == f"{left},{top},{right - left},{bottom - top}", path.name
            crop_left, crop_top, crop_width, crop_height = cell["box"]
            if not want["touches_edge"]:  # the outline is the cell, well inside the square the network saw
                assert crop_left < left and right < crop_left + crop_width and crop_top < top
                assert bottom < crop_top + crop_height and (right - left) * (bottom - top) < crop_width * crop_height / 2
            assert cell["edge"] == want["touches_edge"]
            dashed = box.value_of_css_property("border-top-style") == "dashed"
            assert dashed == want["touches_edge"], (path.name, number)
            laptop.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
            (x0, y0, x1, y1), (tx0, ty0, tx1, ty1) = laptop.execute_script(RECTS, box)
            gap = max(tx0 - x1, x0 - tx1, ty0 - y1, y0 - ty1)  # < 0: they overlap
            assert gap <= 1 and x0 - 1 <= tx0 <= x1, ("the tag sits at its cell's box", (x0, y0, x1, y1), (tx0, ty0, tx1, ty1))
    assert not page_cells(paths[1], spec)[0]["touches_edge"] and page_cells(paths[2], spec)[0]["touches_edge"]


@pytest.fixture
def four_cells(tmp_path):
    return [smear_file(tmp_path, "two.png", white_cells=TWO_CELLS), smear_file(tmp_path, "one-a.png", seed=3),
            smear_file(tmp_path, "one-b.png", seed=4, white_cells=((300, 200),))]


def calibrated_answers(paths: list, metadata: dict, folder) -> list:
    """Each cell's calibrated probabilities, photo after photo, as Python and TensorFlow.js under Node give them."""
    spec = metadata["preprocessing"]
    answers = []
    for path in paths:
        rgb = decoded_rgb(path, spec)
        inputs = np.stack([square_input(rgb, tuple(c["square"]), spec) for c in photo_cells(rgb, spec)["cells"]])
        answers += list(calibrated(tfjs_probabilities(folder, inputs), metadata["calibration"]["temperature"]))
    return answers


def top_and_lead(probabilities) -> tuple:
    second, top = np.sort(np.asarray(probabilities))[-2:]
    return top, top - second


def review_rule_flagging_some(answers: list) -> dict:
    """Thresholds under which the cells split three ways: flagged by probability, by lead, and not flagged."""
    tops = sorted(top_and_lead(a)[0] for a in answers)
    min_probability = (tops[0] + tops[1]) / 2
    leads = sorted(lead for top, lead in map(top_and_lead, answers) if top >= min_probability)
    return {"min_probability": float(min_probability), "min_margin": float((leads[0] + leads[-1]) / 2)}


def inspected(driver, boxes: list) -> list:
    """Each box's probabilities as the inspector shows them once it is selected, its controls in view."""
    shown = []
    for box in boxes:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()
        assert_in_view(driver)
        shown.append(dict(driver.execute_script(INSPECTOR_BARS)))
    return shown


def every_box(driver, paths: list) -> list:
    return [cell_box(driver, path.name, number) for path in paths
            for number in range(1, len(photo(read_page(driver), path.name)["cells"]) + 1)]


def test_every_cells_calibrated_probabilities_are_shown_and_flag_it(laptop, four_cells, tmp_path):
    metadata, folder = default_model(REPO / "web" / "models")
    classes = metadata["classes"]
    upload(laptop, four_cells)
    shown = inspected(laptop, every_box(laptop, four_cells))
    answers = calibrated_answers(four_cells, metadata, folder)
    assert len(shown) == len(answers) == 4
    for bars, want in zip(shown, answers):  # every cell's own, calibrated as the model's metadata says
        assert np.abs(np.array([bars[name] for name in classes]) - want).max() <= 1e-3
    # The same photos under a rule that flags some cells by their probability, some by their lead.
    rule = review_rule_flagging_some([[bars[name] for name in classes] for bars in shown])
    server = RunningServer(variant_site(REPO / "web", tmp_path / "ruled", review=rule))
    try:
        open_fresh(laptop, server.url)
        upload(laptop, four_cells)
        reasons = []
        for box, bars in zip(every_box(laptop, four_cells), inspected(laptop, every_box(laptop, four_cells))):
            top, lead = top_and_lead(list(bars.values()))
            reason = "probability" if top < rule["min_probability"] else "lead" if lead < rule["min_margin"] else None
            assert box.get_attribute("data-review") == str(reason is not None).lower(), (reason, top, lead, rule)
            reasons.append(reason)
        assert {"probability", "lead", None} <= set(reasons)
    finally:
        server.stop()
