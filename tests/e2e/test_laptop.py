"""A technologist's review on a laptop screen: the real page, the shipped model (its eight classes) and real
headless Chromium at the viewports a 1366x768 and a 1280x720 screen leave (less the taskbar and the
browser's own bars: 625 and 577 pixels high). The selected cell's views, probabilities and buttons are in
view whichever way it was selected; the review queue, confirmation, palette, sign-off and absolute counts."""
import base64
import io
import re
import time

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.page_results import severe_console_messages, upload
from core.model_index import default_model
from headless.site_server import RunningServer
from tests.conftest import REPO
from tests.e2e.smear_page import TWO_CELLS, cell_box, open_fresh, press, read_page, smear_file, variant_site
from tests.e2e.test_sample import csv_sections, exported_csv

# (screen, viewport): what a maximised browser shows of the page on each screen.
LAPTOPS = {"1366x768": (1366, 625), "1280x720": (1280, 577)}
# The selected cell's views, probabilities and buttons, and the review bar's: the next cell to review, signing off.
CONTROLS = ["#inspector-photo", "#inspector-crop", "#inspector-bars", "#confirm-cell", "#exclude-cell", "#next-review",
            "#sign-off"]
ISO_WITH_ZONE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"


@pytest.fixture(scope="module")
def unsure_site(tmp_path_factory):
    """The shipped page and model, with review thresholds no cell meets: every cell awaits review."""
    site = variant_site(REPO / "web", tmp_path_factory.mktemp("unsure"), review={"min_probability": 1.01, "min_margin": 0.0})
    server = RunningServer(site)
    yield server
    server.stop()


@pytest.fixture(params=sorted(LAPTOPS))
def laptop(request, chromium, unsure_site):
    """The page at one laptop's viewport, with nothing kept from the tests before."""
    width, height = LAPTOPS[request.param]
    chromium.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                             {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        open_fresh(chromium, unsure_site.url)
        yield chromium
    finally:
        chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture
def three_photos(laptop, tmp_path):
    """Two smears of one cell and one of two: four cells, all awaiting review, the page longer than the screen."""
    paths = [smear_file(tmp_path, "one-a.png", seed=3), smear_file(tmp_path, "two.png", white_cells=TWO_CELLS),
             smear_file(tmp_path, "one-b.jpg", seed=4, white_cells=((300, 200),))]
    upload(laptop, paths)
    assert sum(len(card["cells"]) for card in read_page(laptop)["photos"]) == 4
    return paths


# Where each element is, and whether it can be seen and reached there (the point at its centre is it).
IN_VIEW = """
return arguments[0].map((node) => {
  const box = node.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return { what: node.id || node.dataset.assign || node.className, top: box.top, bottom: box.bottom, left: box.left,
    right: box.right, reachable: Boolean(hit) && (node === hit || node.contains(hit)) };
});
"""


def assert_in_view(driver, extra=()):
    nodes = [driver.find_element(By.CSS_SELECTOR, selector) for selector in CONTROLS]
    nodes += driver.find_elements(By.CSS_SELECTOR, "#class-buttons button[data-assign], #inspector-bars .bar") + list(extra)
    height, width = driver.execute_script("return [innerHeight, innerWidth]")
    for place in driver.execute_script(IN_VIEW, nodes):
        assert 0 <= place["top"] and place["bottom"] <= height and 0 <= place["left"] and place["right"] <= width, place
        assert place["reachable"], place


def selected(driver):
    return driver.find_element(By.CSS_SELECTOR, ".cell[aria-current='true']")


def test_the_selected_cells_controls_stay_in_view_by_click_and_by_key(laptop, three_photos):
    assert len(laptop.find_elements(By.CSS_SELECTOR, "#class-buttons button[data-assign]")) == 8
    laptop.execute_script("window.scrollTo(0, 0)")
    first = cell_box(laptop, "one-a.png", 1)
    first.click()  # from the top of the page, as it is after picking photos
    assert_in_view(laptop, [selected(laptop)])
    last = cell_box(laptop, "one-b.jpg", 1)
    laptop.execute_script("arguments[0].scrollIntoView({block: 'center'})", last)
    last.click()
    assert_in_view(laptop, [selected(laptop)])
    for step in range(3):  # the arrow keys walk back through the cells, photo after photo
        press(laptop, Keys.ARROW_LEFT)
        assert_in_view(laptop, [selected(laptop)])
    assert selected(laptop).get_attribute("data-cell") == "1"
    press(laptop, "3")  # a number key corrects the cell and keeps everything where it is
    assert_in_view(laptop, [selected(laptop)])
    laptop.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    press(laptop, "n")  # the next cell to review, from wherever the page was
    assert_in_view(laptop, [selected(laptop)])
    assert severe_console_messages(laptop) == []


def test_next_to_review_goes_most_doubtful_first_and_confirm_keeps_the_class(laptop, three_photos):
    boxes = laptop.find_elements(By.CSS_SELECTOR, ".cell")
    leads = sorted(float(box.get_attribute("data-lead")) for box in boxes)
    progress = laptop.find_element(By.ID, "review-progress")
    assert progress.text == "0 of 4 flagged cells reviewed"
    laptop.find_element(By.ID, "next-review").click()
    seen = []
    for k in range(4):
        box = selected(laptop)
        seen.append(float(box.get_attribute("data-lead")))
        model_class = box.get_attribute("data-class")
        if k % 2 == 0:
            press(laptop, Keys.ENTER)
        else:
            laptop.find_element(By.ID, "confirm-cell").click()
        box = selected(laptop)
        assert box.get_attribute("data-confirmed") == "true" and box.get_attribute("data-awaiting") is None
        assert box.get_attribute("data-class") == model_class and box.get_attribute("data-corrected") is None
        assert progress.text == f"{k + 1} of 4 flagged cells reviewed"
        assert laptop.find_element(By.ID, "inspector-state").get_attribute("data-state") == "confirmed"
        if k < 3:
            press(laptop, "n")
            assert_in_view(laptop, [selected(laptop)])
    assert seen == leads  # most doubtful (smallest lead over the runner-up) first
    assert read_page(laptop)["awaiting_review"] == 0
    assert laptop.find_element(By.ID, "next-review").get_attribute("disabled") == "true"
    # Kept: after a reload the cells are still confirmed.
    laptop.refresh()
    WebDriverWait(laptop, 60).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".cell[data-confirmed]")) == 4)


def test_no_two_classes_look_alike_and_each_tag_names_its_class(laptop, three_photos):
    swatches = laptop.execute_script("""return [...document.querySelectorAll('#legend .swatch')].map((item) => [
      item.dataset.class, getComputedStyle(item).getPropertyValue('--class-colour').trim(),
      item.querySelector('.letter').textContent]);""")
    assert len(swatches) == 8
    letters = {letter for _, _, letter in swatches}
    assert len(letters) == 8
    colours = np.array([[int(hex_[i:i + 2], 16) for i in (1, 3, 5)] for _, hex_, _ in swatches]) / 255
    for vision, matrix in VISIONS.items():
        lab = to_lab(colours, matrix)
        gaps = np.linalg.norm(lab[:, None] - lab[None], axis=-1) + np.eye(len(lab)) * 1e9
        worst = np.unravel_index(gaps.argmin(), gaps.shape)
        assert gaps.min() >= MIN_DELTA_E, (vision, swatches[worst[0]][0], swatches[worst[1]][0], gaps.min())
    letter_of = {name: letter for name, _, letter in swatches}
    for card in read_page(laptop)["photos"]:
        for cell in card["cells"]:
            assert cell["tag"].split()[:2] == [str(cell["number"]), letter_of[cell["class"]]], cell["tag"]


# Colour vision: normal, and the three dichromacies as Machado, Oliveira and Fernandes (2009) simulate them
# at full severity (matrices on linear RGB).
VISIONS = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]),
}
MIN_DELTA_E = 10  # CIE76: colours this far apart are told apart at a glance on a box's border


def to_lab(srgb: np.ndarray, vision: np.ndarray) -> np.ndarray:
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(linear @ vision.T, 0, 1)
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def confirm_next(driver, times=1):
    """The next cell awaiting review (N) confirmed as it is (Enter), so many times."""
    for _ in range(times):
        press(driver, "n")
        press(driver, Keys.ENTER)


def sign_with(driver, initials, reason=None):
    driver.find_element(By.ID, "sign-off").click()
    dialog = driver.find_element(By.ID, "sign-dialog")
    WebDriverWait(driver, 5).until(lambda _: dialog.is_displayed())
    driver.find_element(By.ID, "sign-initials").send_keys(initials)
    if reason is not None:
        driver.find_element(By.ID, "reopen-reason").send_keys(reason)
    driver.find_element(By.ID, "sign-ok").click()
    WebDriverWait(driver, 5).until(lambda _: not dialog.is_displayed())


def test_sign_off_is_refused_while_cells_await_review_and_makes_the_sample_read_only(laptop, three_photos, tmp_path):
    laptop.find_element(By.ID, "sign-off").click()
    note = laptop.find_element(By.ID, "sign-note")
    assert "Not signed: 4 cells await review" in note.text
    assert not laptop.find_element(By.ID, "sign-dialog").is_displayed()
    press(laptop, "n")
    keys = dict(read_page(laptop)["class_buttons"])
    press(laptop, next(key for name, key in keys.items() if name != selected(laptop).get_attribute("data-class")))
    assert selected(laptop).get_attribute("data-corrected") == "true"  # reviewed by a correction, not confirmed
    confirm_next(laptop, 3)
    sign_with(laptop, "AB")
    state = laptop.find_element(By.ID, "sign-state")
    WebDriverWait(laptop, 5).until(lambda _: state.get_attribute("data-state") == "signed")
    assert re.fullmatch(f"Signed by AB at {ISO_WITH_ZONE}", state.text), state.text
    before = read_page(laptop)["photos"]
    cell_box(laptop, "two.png", 1).click()
    press(laptop, "5")
    assert read_page(laptop)["photos"] == before  # read-only: a key changes nothing
    assert not laptop.find_element(By.CSS_SELECTOR, "#class-buttons button[data-assign]").is_enabled()
    assert "signed off" in laptop.find_element(By.ID, "sign-note").text

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    cells, _, _, about = csv_sections(exported_csv(laptop, downloads))
    assert re.fullmatch(f"signed by AB at {ISO_WITH_ZONE}", dict(about[1:])["review"])
    shipped = default_model(REPO / "web" / "models")[0]  # the model and version signed with
    assert dict(about[1:])["model"] == f"{shipped['name']} (version {shipped['version']})"
    laptop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert re.fullmatch(f"signed by AB at {ISO_WITH_ZONE}", laptop.find_element(By.ID, "report-signed").text)
        assert laptop.find_element(By.ID, "report-model").text == dict(about[1:])["model"]
        # Who signed it is said once, in the report's heading, not again above the count.
        assert laptop.execute_script("return document.body.innerText").lower().count("signed by") == 1
    finally:
        laptop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    confirmed = [row[cells[0].index("confirmed")] for row in cells[1:]]
    corrected = [row[cells[0].index("corrected")] for row in cells[1:]]
    assert sorted(zip(confirmed, corrected)) == [("no", "yes")] + [("yes", "no")] * 3

    # Reopening needs initials and a reason; both are kept and the sample is a draft again.
    laptop.find_element(By.ID, "sign-off").click()
    laptop.find_element(By.ID, "sign-initials").send_keys("CD")
    laptop.find_element(By.ID, "sign-ok").click()
    assert laptop.find_element(By.ID, "sign-dialog").is_displayed()
    assert laptop.find_element(By.ID, "sign-error").text == "Say why it is reopened."
    laptop.find_element(By.ID, "reopen-reason").send_keys("cell 2 recount")
    laptop.find_element(By.ID, "sign-ok").click()
    WebDriverWait(laptop, 5).until(lambda d: d.find_element(By.ID, "sign-state").get_attribute("data-state") == "draft")
    assert laptop.find_element(By.CSS_SELECTOR, "#class-buttons button[data-assign]").is_enabled()
    for old in downloads.glob("*.csv"):
        old.unlink()
    _, _, _, about = csv_sections(exported_csv(laptop, downloads))
    facts = dict(about[1:])
    assert facts["review"] == "DRAFT"
    assert re.fullmatch(f"by CD at {ISO_WITH_ZONE} \\(signed by AB at {ISO_WITH_ZONE}\\): cell 2 recount", facts["reopened"])
    laptop.refresh()  # kept
    WebDriverWait(laptop, 60).until(lambda d: d.find_element(By.ID, "sign-state").get_attribute("data-state") == "draft"
                                    and d.find_elements(By.CSS_SELECTOR, ".cell"))


def test_the_white_cell_count_gives_absolute_counts_in_the_differential_csv_and_report(laptop, three_photos, tmp_path):
    wbc = laptop.find_element(By.ID, "wbc-count")
    wbc.send_keys("5000", Keys.TAB)
    assert "between 0.01 and 1000" in laptop.find_element(By.ID, "wbc-note").text
    assert not laptop.find_element(By.CSS_SELECTOR, "#differential th.absolute").is_displayed()
    wbc.clear()
    wbc.send_keys("7.5", Keys.TAB)
    WebDriverWait(laptop, 5).until(lambda d: d.find_element(By.CSS_SELECTOR, "#differential th.absolute").is_displayed())
    rows = laptop.execute_script("""return [...document.querySelectorAll('#differential tr[data-kind="white"]')].map((row) =>
      [row.dataset.class, Number(row.dataset.count), Number(row.dataset.absolute), row.querySelector('td.absolute').textContent]);""")
    total = sum(count for _, count, _, _ in rows)
    for name, count, absolute, text in rows:
        assert absolute == pytest.approx(7.5 * count / total) and text == f"{7.5 * count / total:.2f}", name
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    _, differential, _, about = csv_sections(exported_csv(laptop, downloads))
    header, *lines = differential
    column = header.index("absolute count (x10^9/L)")
    for name, count, _, _ in rows:
        line = next(line for line in lines if line[0] == name)
        assert float(line[column]) == pytest.approx(7.5 * count / total, abs=1e-3)
    assert dict(about[1:])["white-cell count (x10^9/L)"] == "7.5"
    assert re.fullmatch(ISO_WITH_ZONE, dict(about[1:])["exported"])
    laptop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert laptop.find_element(By.ID, "report-wbc").text == "7.5 ×10⁹/L"
        assert laptop.find_element(By.ID, "report-signed").text == "DRAFT"
        assert laptop.execute_script("return document.body.innerText").count("DRAFT") == 1
        assert re.fullmatch(ISO_WITH_ZONE, laptop.find_element(By.ID, "report-date").text)
        assert laptop.find_element(By.CSS_SELECTOR, "#differential td.absolute").is_displayed()
        # The headers sit over their numbers: both right-aligned in their columns.
        for kind in ("count", "percent", "absolute"):
            head = laptop.find_element(By.CSS_SELECTOR, f"#differential th.{kind}").rect
            value = laptop.find_element(By.CSS_SELECTOR, f"#differential tr[data-kind='white'] td.{kind}").rect
            assert abs((head["x"] + head["width"]) - (value["x"] + value["width"])) <= 8, kind
    finally:
        laptop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    laptop.refresh()
    WebDriverWait(laptop, 60).until(lambda d: d.find_element(By.ID, "wbc-count").get_attribute("value") == "7.5")


# The enlarged view as drawn: its size on screen, its canvas, the photo region it shows (photo pixels: left,
# top, side) and the selected cell's box on the photo.
ZOOM_VIEW = """const canvas = document.getElementById('inspector-photo');
return { css: [canvas.clientWidth, canvas.clientHeight], pixels: [canvas.width, canvas.height], ratio: devicePixelRatio,
  region: canvas.dataset.region.split(',').map(Number), png: canvas.toDataURL('image/png'),
  box: arguments[0].getBoundingClientRect().width, caption: document.getElementById('inspector-scale').textContent };"""


def zoom_view(driver, box) -> dict:
    view = driver.execute_script(ZOOM_VIEW, box)
    view["rgb"] = np.asarray(Image.open(io.BytesIO(base64.b64decode(view.pop("png").split(",", 1)[1]))).convert("RGB"))
    return view


def assert_enlarged(view, box, photo_path):
    """The cell, from the photo's own pixels, larger than the photo shows it, drawn at the screen's pixels."""
    css, pixels = view["css"], view["pixels"]
    assert css[0] == css[1] >= 288, css  # 18rem: the inspector's width beside the probabilities, not 120 px
    assert pixels[0] == pixels[1] == round(css[0] * view["ratio"]), view  # not scaled again by the browser
    left, top, width, height = map(int, box.get_attribute("data-outline").split(","))
    region_left, region_top, side = view["region"]
    # Centred on the cell; the whole cell when that still shows it 1.25 times as large as the photo does,
    # its middle otherwise.
    assert abs(region_left + side / 2 - (left + width / 2)) <= 1 and abs(region_top + side / 2 - (top + height / 2)) <= 1
    shown_width = width * css[0] / side  # the cell on the inspector, in screen pixels
    assert shown_width >= 1.25 * view["box"] - 1, (shown_width, view["box"])
    whole = side >= max(width, height)
    assert whole or shown_width == pytest.approx(1.25 * view["box"], rel=0.02), (side, width, height)
    assert re.fullmatch(r"← \d\.\d× as large as on the photo, from its own pixels", view["caption"]), view["caption"]
    # Its pixels are the photo's, smoothly resampled: as Pillow's bicubic resampling of that region, and
    # clearly closer to it than to blocks of pixels (nearest neighbour).
    photo = Image.open(photo_path).convert("RGB")
    extent = (region_left, region_top, region_left + side, region_top + side)

    def gap(resampling):
        want = photo.transform(tuple(pixels), Image.EXTENT, extent, resampling, fillcolor=(200, 200, 200))
        return np.abs(view["rgb"].astype(float) - np.asarray(want, dtype=float)).mean()

    smooth, blocks = gap(Image.BICUBIC), gap(Image.NEAREST)
    assert smooth <= 2.5 and smooth < 0.75 * blocks, (smooth, blocks)


def test_the_cell_is_enlarged_from_the_photos_own_pixels_and_the_photo_zooms(laptop, three_photos, tmp_path):
    box = cell_box(laptop, "one-a.png", 1)
    box.click()
    assert_enlarged(zoom_view(laptop, box), box, three_photos[0])
    # A cell so large on its photo that whole it would not be larger than the photo shows it: its middle.
    big = smear_file(tmp_path, "big.png", seed=6, white_cells=((240, 320),), nucleus_radius=95)
    upload(laptop, [big])
    big_box = cell_box(laptop, "big.png", 1)
    laptop.execute_script("arguments[0].scrollIntoView({block: 'center'})", big_box)
    big_box.click()
    view = zoom_view(laptop, big_box)
    assert view["region"][2] < max(map(int, big_box.get_attribute("data-outline").split(",")[2:]))
    assert_enlarged(view, big_box, big)
    assert_in_view(laptop, [big_box])

    box = cell_box(laptop, "one-a.png", 1)
    laptop.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.click()
    before = box.rect["width"]
    press(laptop, "+")
    press(laptop, "+")
    view = laptop.find_element(By.CSS_SELECTOR, '.result[data-file="one-a.png"] .photo-view')
    assert view.get_attribute("data-zoom") == "2"
    assert box.rect["width"] == pytest.approx(2 * before, rel=0.02)
    assert_in_view(laptop, [box])  # zoomed around the selected cell: still in view, and so are its controls
    laptop.find_element(By.CSS_SELECTOR, '.result[data-file="one-a.png"] button[data-zoom-step="-1"]').click()
    assert view.get_attribute("data-zoom") == "1.5"
    # Ctrl and the wheel (as a touchpad's pinch arrives) zoom under the pointer; the wheel alone scrolls the page.
    centre = laptop.execute_script("arguments[0].scrollIntoView({block: 'center'}); const r = arguments[0].getBoundingClientRect();"
                                   "return [r.left + r.width / 2, r.top + r.height / 2];", box)
    laptop.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseWheel", "x": centre[0], "y": centre[1],
                                                        "deltaX": 0, "deltaY": -100, "modifiers": 2})
    WebDriverWait(laptop, 5).until(lambda _: view.get_attribute("data-zoom") == "2")
    laptop.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseWheel", "x": centre[0], "y": centre[1],
                                                        "deltaX": 0, "deltaY": 100, "modifiers": 0})
    time.sleep(0.3)  # a plain wheel event has nothing to wait for: the zoom must simply not have changed
    assert view.get_attribute("data-zoom") == "2"
