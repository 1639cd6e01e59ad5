"""Bad and awkward files picked through #file-input on the real page, with the shipped model.

Refused files get a specific message and the page keeps classifying; odd but valid images give the
model exactly the input Python's preprocessing gives it.
"""
import base64
import shutil

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import tests.image_samples as samples
from core.calibration import page_probabilities
from core.model_index import default_model
from core.photo_cells import photo_cells
from core.preprocess import decoded_rgb, preprocess_file
from core.tfjs import tfjs_probabilities
from headless.chromium import clear_results, open_page
from tests.conftest import REAL_DATA, REPO
from tests.e2e.page_results import severe_console_messages, shown_probabilities, upload

TOLERANCE = 1e-3
TITLE = "Leukolens: white blood cell classifier"

def just_over_the_limit_png(folder):
    return samples.huge_png(folder, 8200, 6150)


REFUSED = [
    (samples.zero_byte, "empty (0 bytes)"),
    (samples.truncated_jpeg, "JPEG file is damaged or incomplete"),
    (samples.text_named_jpeg, "contains text, not a photo"),
    (samples.pdf, "PDF document, not a photo"),
    (samples.svg_with_script, "SVG drawing, not a photo"),
    (samples.huge_png, "20000 x 20000 pixels (400 megapixels)"),
    (just_over_the_limit_png, "8200 x 6150 pixels (50.4 megapixels), too large"),
    (samples.animated_gif, "GIF is an animation"),
    (samples.heic, "HEIC photo (the iPhone format), which this browser cannot read. Export it as JPEG"),
]


@pytest.fixture(scope="module")
def shipped(chromium, shipped_server):
    open_page(chromium, shipped_server.url)
    metadata, folder = default_model(REPO / "web" / "models")
    return chromium, metadata, folder


@pytest.fixture
def page(shipped):
    """The shipped page, loaded once for this module, with no results left from the test before."""
    driver, _, _ = shipped
    clear_results(driver)
    return driver


def good_photo(folder, name="good.jpg"):
    """A real smear when the dataset is here; a drawn one otherwise."""
    real = sorted(REAL_DATA.glob("TEST_SIMPLE/NEUTROPHIL/*.jpeg"))
    if real:
        return shutil.copy(real[0], folder / name)
    return samples.rgb_jpeg(folder, name)


@pytest.mark.parametrize("write, message", REFUSED, ids=[write.__name__ for write, _ in REFUSED])
def test_refused_file_gets_its_own_message_and_the_next_photo_is_classified(page, tmp_path, write, message):
    bad = write(tmp_path)
    shown = upload(page, [bad])[bad.name]
    assert message in shown.get_attribute("data-error")
    assert not shown.get_attribute("data-top-class")
    assert not shown.find_elements(By.TAG_NAME, "img"), "a refused file must not be shown"
    good = good_photo(tmp_path)
    assert upload(page, [good])[good.name].get_attribute("data-top-class")
    assert severe_console_messages(page) == []


def test_svg_script_never_runs(page, tmp_path):
    svg = samples.svg_with_script(tmp_path)
    upload(page, [svg])
    assert page.execute_script("return window.svgScriptRan") is None
    assert page.title == TITLE


def browser_model_input(driver, path, preprocessing):
    """The page's own modules decode and preprocess the file's bytes, in Chromium."""
    script = """
    const [encoded, name, preprocessing, done] = arguments;
    (async () => {
      const { decodeImageFile, toModelInput } = await import('./js/preprocess.js');
      const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
      const image = await decodeImageFile(new File([bytes], name), preprocessing);
      done({ width: image.width, height: image.height, input: Array.from(toModelInput(image, preprocessing)) });
    })().catch((error) => done({ error: String(error) }));
    """
    encoded = base64.b64encode(path.read_bytes()).decode()
    result = driver.execute_async_script(script, encoded, path.name, preprocessing)
    assert "error" not in result, result
    height, width = preprocessing["input_size"]
    return (result["width"], result["height"]), np.array(result["input"], np.float32).reshape(height, width, 3)


@pytest.mark.parametrize("write", samples.VALID_ODD_MODES, ids=lambda write: write.__name__)
def test_odd_image_modes_give_the_model_what_python_gives_it(page, shipped, tmp_path, write):
    _, metadata, _ = shipped
    path = write(tmp_path)
    _, browser = browser_model_input(page, path, metadata["preprocessing"])
    python = preprocess_file(path, metadata["preprocessing"])
    assert np.abs(browser - python).max() < TOLERANCE, Image.open(path).mode


def test_odd_image_modes_are_classified_as_tfjs_classifies_python_input(page, shipped, tmp_path):
    _, metadata, folder = shipped
    paths = [write(tmp_path) for write in samples.VALID_ODD_MODES]
    expected = page_probabilities(tfjs_probabilities(folder, np.stack([preprocess_file(p, metadata["preprocessing"])
                                                                       for p in paths])), metadata)
    results = upload(page, paths)
    classified = 0
    for path, want in zip(paths, expected):
        if not has_cell_to_classify(path, metadata["preprocessing"]):
            # A grey picture has no stain, so no white cell: the page says so rather than guess.
            assert not results[path.name].find_elements(By.CSS_SELECTOR, ".bar[data-class]"), path.name
            continue
        shown = shown_probabilities(results[path.name], metadata["classes"])
        assert np.abs(np.array(shown) - want).max() <= TOLERANCE, path.name
        classified += 1
    assert classified >= len(paths) // 2


def has_cell_to_classify(path, preprocessing: dict) -> bool:
    """Whether the page finds a white cell to classify as the photo's main one (as Python finds it)."""
    return photo_cells(decoded_rgb(path, preprocessing), preprocessing)["main"] is not None


def test_exif_rotated_photo_is_classified_upright(page, shipped, tmp_path):
    _, metadata, folder = shipped
    upright = good_photo(tmp_path, "upright.jpg")
    rotated = samples.exif_rotated_jpeg(tmp_path, Image.open(upright))
    size, _ = browser_model_input(page, rotated, metadata["preprocessing"])
    assert size == Image.open(upright).size, "the browser did not turn the photo upright"
    results = upload(page, [upright, rotated])
    assert results["rotated.jpg"].get_attribute("data-top-class") == results["upright.jpg"].get_attribute("data-top-class")
    want = page_probabilities(tfjs_probabilities(folder, preprocess_file(rotated, metadata["preprocessing"])[None]), metadata)[0]
    shown = shown_probabilities(results["rotated.jpg"], metadata["classes"])
    assert np.abs(np.array(shown) - want).max() <= TOLERANCE


def test_two_hundred_uploads_leak_no_tensors_and_the_page_stays_responsive(page, tmp_path):
    start = page.execute_script("return tf.memory().numTensors")
    photo = samples.rgb_jpeg(tmp_path, "photo.jpg")
    broken = samples.truncated_jpeg(tmp_path)
    paths = [shutil.copy(broken if i % 10 == 9 else photo, tmp_path / f"upload-{i:03}.jpg") for i in range(200)]
    picker = page.find_element(By.ID, "file-input")
    for batch in range(0, 200, 50):  # picked back to back: later batches queue behind earlier ones
        picker.send_keys("\n".join(str(p) for p in paths[batch:batch + 50]))
        assert page.execute_script("return document.getElementById('status').dataset.state") in {"busy", "ready"}
    WebDriverWait(page, 300).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".result")) == 200
        and d.find_element(By.ID, "status").get_attribute("data-state") == "ready")
    assert len(page.find_elements(By.CSS_SELECTOR, ".result[data-top-class]")) == 180
    assert len(page.find_elements(By.CSS_SELECTOR, ".result[data-error]")) == 20
    assert page.execute_script("return tf.memory().numTensors") == start
    assert page.execute_script("return 6 * 7") == 42
