"""The real page in headless Chromium, served by the real server: upload, classify, compare with Keras."""

import numpy as np
import pytest
import tf_keras as keras
from selenium.webdriver.common.by import By

from core.calibration import page_probabilities
from core.model_index import default_model
from core.preprocess import preprocess_file
from core.tfjs import tfjs_probabilities
from headless.chromium import clear_results, open_page, unique_copies
from tests.e2e.page_results import severe_console_messages, shown_probabilities, upload
from tests.e2e.smear_page import counted_cells, one_cell_smears, read_page, smear_file

TOLERANCE = 1e-3


def keras_probabilities(model_dir, paths, metadata):
    model = keras.models.load_model(model_dir / "model.h5")
    inputs = np.stack([preprocess_file(p, metadata["preprocessing"]) for p in paths])
    return model.predict(inputs, verbose=0)


def smear_photos(data_root, folder):
    """The first photo of each class, under names that cannot collide."""
    return unique_copies([sorted(c.glob("*.jpeg"))[0] for c in sorted((data_root / "TEST_SIMPLE").iterdir())], folder)


@pytest.fixture
def page(chromium, site_server):
    """The page with an empty sample: what earlier tests counted on this origin is kept, so it is cleared."""
    open_page(chromium, site_server.url)
    clear_results(chromium)
    return chromium


def test_page_loads_the_published_model(page, published_site):
    metadata, _ = default_model(published_site / "models")
    assert page.find_element(By.ID, "model-name").text.strip().startswith(metadata["name"])
    backend = page.find_element(By.TAG_NAME, "html").get_attribute("data-backend")
    assert backend in {"wasm", "webgl", "cpu"}
    # Clinic staff read where it runs, not a library's backend name.
    processor = "graphics processor" if backend == "webgl" else "processor"
    assert page.find_element(By.ID, "backend").text == f"this computer's {processor}"
    assert severe_console_messages(page) == []


def test_browser_probabilities_equal_keras(page, published_site, trained_model, tmp_path):
    """Drawn smears of one white cell each: the page's main-cell bars against Keras on Python's crop."""
    metadata, _ = default_model(published_site / "models")
    paths = one_cell_smears(tmp_path)
    expected = keras_probabilities(trained_model, paths, metadata)
    results = upload(page, paths)
    assert len(results) == len(paths)
    for path, want in zip(paths, expected):
        result = results[path.name]
        shown = shown_probabilities(result, metadata["classes"])
        assert np.abs(np.array(shown) - want).max() <= TOLERANCE, path.name
        assert result.get_attribute("data-top-class") == metadata["classes"][int(np.argmax(want))]


def test_bad_files_get_a_message_and_the_page_keeps_working(page, published_site, tmp_path):
    metadata, _ = default_model(published_site / "models")
    (tmp_path / "notes.jpg").write_text("this is a text file, not a photo")
    (tmp_path / "empty.png").write_bytes(b"")
    good = smear_file(tmp_path, "good.jpg")
    results = upload(page, [tmp_path / "notes.jpg", tmp_path / "empty.png", good])
    for name in ("notes.jpg", "empty.png"):
        message = results[name].get_attribute("data-error")
        assert message and "image" in message.lower(), name
        assert not results[name].get_attribute("data-top-class")
    assert results[good.name].get_attribute("data-top-class") in metadata["classes"]


def test_shipped_model_classifies_real_smears_like_tfjs_does(chromium, shipped_server, real_data, tmp_path):
    """The committed default model, the page's own preprocessing of real JPEGs, against Python's."""
    from tests.conftest import REPO

    metadata, folder = default_model(REPO / "web" / "models")
    open_page(chromium, shipped_server.url)
    paths = smear_photos(real_data, tmp_path)
    inputs = np.stack([preprocess_file(p, metadata["preprocessing"]) for p in paths])
    expected = page_probabilities(tfjs_probabilities(folder, inputs), metadata)  # calibrated, as the page shows
    results = upload(chromium, paths)
    for path, want in zip(paths, expected):
        shown = shown_probabilities(results[path.name], metadata["classes"])
        assert np.abs(np.array(shown) - want).max() <= TOLERANCE, path
    loaded = chromium.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(shipped_server.url) for url in loaded), "the page fetched from another origin"
    assert severe_console_messages(chromium) == []


def test_differential_count_tallies_the_cells_and_skips_unreadable_photos(page, published_site, synthetic_data,
                                                                          tmp_path):
    metadata, _ = default_model(published_site / "models")
    paths = unique_copies(sorted(synthetic_data.glob("TEST_SIMPLE/*/*.jpeg")), tmp_path)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    upload(page, paths + [tmp_path / "broken.jpg"])
    shown = read_page(page)
    counts = counted_cells(shown)
    assert {name: row["count"] for name, row in shown["white"].items()} == {name: counts.get(name, 0)
                                                                            for name in metadata["classes"]}
    assert shown["white_total"] == sum(counts.values())
    total = page.find_element(By.ID, "summary-total").text
    assert total.startswith(f"{len(paths) + 1} photos, ") and "; 1 photo could not be read and is not counted" in total
    clear_results(page)
    assert not page.find_element(By.ID, "summary").is_displayed()
    upload(page, paths[:1])
    assert read_page(page)["white_total"] == len(read_page(page)["photos"][0]["cells"])
