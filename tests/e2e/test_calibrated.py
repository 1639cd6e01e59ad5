"""The page applies the model's calibration (metadata "calibration") to what the network says, and flags by
the calibrated probabilities: the real page, the tiny model, TensorFlow.js under Node as the reference."""
import numpy as np
import pytest

from core.calibration import FLOOR, calibrated
from core.photo_cells import photo_cells
from core.model_index import default_model
from core.preprocess import decoded_rgb, square_input
from core.tfjs import tfjs_probabilities
from tests.e2e.page_results import upload
from headless.site_server import RunningServer
from tests.e2e.smear_page import TWO_CELLS, open_fresh, photo, read_page, smear_file, variant_site

TEMPERATURE = 0.25  # sharpening: the tiny model is nearly uniform, so softening would hardly show


@pytest.fixture(scope="module")
def calibrated_site(published_site, tmp_path_factory):
    site = variant_site(published_site, tmp_path_factory.mktemp("calibrated"),
                        calibration={"temperature": TEMPERATURE, "floor": FLOOR})
    server = RunningServer(site)
    yield server
    server.stop()


def test_the_page_shows_calibrated_probabilities(chromium, calibrated_site, published_site, tmp_path):
    metadata, folder = default_model(published_site / "models")
    spec = metadata["preprocessing"]
    open_fresh(chromium, calibrated_site.url)
    path = smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)
    upload(chromium, [path])
    rgb = decoded_rgb(path, spec)  # colour-corrected, as the page sees it
    cells = photo_cells(rgb, spec)["cells"]
    raw = tfjs_probabilities(folder, np.stack([square_input(rgb, tuple(c["square"]), spec) for c in cells]))
    want = calibrated(raw, TEMPERATURE).max(axis=1)
    shown = np.array([c["probability"] for c in photo(read_page(chromium), path.name)["cells"]])
    assert np.abs(shown - want).max() <= 1e-3
    assert np.abs(shown - raw.max(axis=1)).max() > 1e-2  # visibly changed
