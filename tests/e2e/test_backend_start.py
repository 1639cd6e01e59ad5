"""A TensorFlow.js backend whose start never finishes must not keep the page loading forever.

The WASM backend's files are held back (DevTools pauses the request and never lets it go), so its
start hangs as it would behind a stalled network or a blocked worker; the page must give up on it
after its time limit and classify on the next backend.
"""
import pytest
from selenium.webdriver.common.by import By

from headless.chromium import open_page, start_chromium, upload

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
                                                                           synthetic_data):
    open_page(stalled_wasm, site_server.url, seconds=BACKEND_START_LIMIT_SECONDS + 60)
    assert stalled_wasm.find_element(By.TAG_NAME, "html").get_attribute("data-backend") in {"webgl", "cpu"}
    photo = sorted(synthetic_data.glob("TEST/RED/*.jpeg"))[0]
    assert upload(stalled_wasm, [photo])[photo.name].get_attribute("data-top-class") in {"BLUE", "GREEN", "RED"}
