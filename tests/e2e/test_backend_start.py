"""A TensorFlow.js backend whose start never finishes must not keep the page loading forever.

The WASM backend's files are held back (DevTools pauses the request and never lets it go), so its
start hangs as it would behind a stalled network or a blocked worker; the page must give up on it
after its time limit and classify on the next backend.
"""
import pytest
from selenium.webdriver.common.by import By

from core.model_index import default_model
from headless.chromium import open_page, start_chromium
from tests.e2e.page_results import upload
from tests.e2e.smear_page import smear_file

BACKEND_START_LIMIT_SECONDS = 15  # web/js/model.js, BACKEND_START_LIMIT_MS


@pytest.fixture
def stalled_wasm(tmp_path):
    driver = start_chromium(tmp_path / "profile")
    # Requests the service worker makes are not the page's to pause: keep it out of the way.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBypassServiceWorker", {"bypass": True})
    driver.execute_cdp_cmd("Fetch.enable", {"patterns": [{"urlPattern": "*/vendor/tfjs/*.wasm"}]})
    yield driver
    driver.quit()


def test_a_backend_that_never_starts_is_given_up_and_the_next_one_classifies(stalled_wasm, site_server,
                                                                           published_site, tmp_path):
    open_page(stalled_wasm, site_server.url, seconds=BACKEND_START_LIMIT_SECONDS + 60)
    assert stalled_wasm.find_element(By.TAG_NAME, "html").get_attribute("data-backend") in {"webgl", "cpu"}
    metadata, _ = default_model(published_site / "models")
    photo = smear_file(tmp_path, "smear.jpg")
    assert upload(stalled_wasm, [photo])[photo.name].get_attribute("data-top-class") in metadata["classes"]
