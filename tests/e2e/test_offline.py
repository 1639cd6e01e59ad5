"""Offline use, model updates and model integrity, in real headless Chromium against the real server.

Each test serves its own copy of the published site on its own port: a separate origin, so its
service worker and saved model start from nothing. The browser has its own profile, apart from the
other browser tests' shared one, and resolves leukolens.test to 127.0.0.1: the same server seen
from "another computer" over plain http, where the page has no service worker, no Cache Storage and
no crypto.subtle.
"""
import datetime
import io
import json
import shutil
import urllib.parse
import urllib.request

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from convert.publish import content_version, file_facts, publish, sha256_file
from core.calibration import page_probabilities
from core.model_index import default_model
from core.preprocess import preprocess_file
from core.tfjs import tfjs_probabilities
from headless.chromium import open_page, start_chromium
from headless.site_server import RunningServer
from tests.e2e.page_results import severe_console_messages, shown_probabilities, upload
from tests.e2e.smear_page import one_cell_smears

TOLERANCE = 1e-3
SAME = 1e-6  # the same model on the same backend gives the same numbers
REMOTE_HOST = "leukolens.test"
REPUBLISH = "publish the model again (`make convert` on the server machine)"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("offline-profile"),
                            [f"--host-resolver-rules=MAP {REMOTE_HOST} 127.0.0.1"])
    yield driver
    driver.quit()


@pytest.fixture
def site(browser, published_site, tmp_path):
    """A private copy of the published site, served on a port (an origin) of its own."""
    browser.get_log("browser")  # console messages of the tests before are theirs
    web = tmp_path / "web"
    shutil.copytree(published_site, web)
    server = RunningServer(web)
    yield server, web
    server.stop()


@pytest.fixture
def photos(tmp_path):
    """Three drawn smears of one white cell each, under names that cannot collide."""
    folder = tmp_path / "photos"
    folder.mkdir()
    return one_cell_smears(folder, 3)


def wait_until_offline_ready(driver):
    """The page says it works offline, and a service worker controls it."""
    offline_use = driver.find_element(By.ID, "offline-use")
    WebDriverWait(driver, 60).until(lambda _: offline_use.get_attribute("data-state") != "pending")
    assert offline_use.get_attribute("data-state") == "ready", offline_use.text
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return !!navigator.serviceWorker.controller"))


def classify(driver, photos, metadata) -> np.ndarray:
    results = upload(driver, photos)
    return np.array([shown_probabilities(results[p.name], metadata["classes"]) for p in photos])


def expected_probabilities(folder, photos, metadata) -> np.ndarray:
    """What the vendored TensorFlow.js gives for this model folder under Node, on Python's preprocessing."""
    raw = tfjs_probabilities(folder, np.stack([preprocess_file(p, metadata["preprocessing"]) for p in photos]))
    return page_probabilities(raw, metadata)  # calibrated as the page calibrates, when the model says how


def shown_version(driver) -> str:
    return driver.find_element(By.ID, "model-name").text


def notice(driver) -> str | None:
    element = driver.find_element(By.ID, "notice")
    return element.text if element.is_displayed() else None


SAVED_MODELS = """
const done = arguments[0];
(async () => {
  const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  const saved = {};
  for (const name of await caches.keys()) {
    if (!name.startsWith('leukolens-model ')) continue;
    const cache = await caches.open(name);
    saved[name] = {};
    for (const request of await cache.keys()) {
      const bytes = await (await cache.match(request)).arrayBuffer();
      saved[name][request.url] = hex(await crypto.subtle.digest('SHA-256', bytes));
    }
  }
  done(saved);
})().catch((error) => done({ error: String(error) }));
"""


def saved_models(driver) -> dict:
    """{cache name: {URL: SHA-256}} of the model versions saved in the browser, read in the page."""
    return driver.execute_async_script(SAVED_MODELS)


def saved_copy_of(server, folder, metadata) -> dict:
    """What saved_models() must show when exactly this version is saved, whole."""
    names = ["metadata.json", "model.json"] + [n for n in metadata["files"] if n.endswith(".bin")]
    names += [metadata["replay"]["file"]] if metadata.get("replay") else []  # read for adapting offline too
    base = f"{server.url}models/{metadata['name']}/{metadata['version']}/"
    return {f"leukolens-model {metadata['name']} {metadata['version']}":
            {base + name: sha256_file(folder / name) for name in names}}


def publish_changed_version(web):
    """Publishes, the way `make convert` does, the current model with another final-layer bias.

    Real converted files with different weights: a new content hash, so a new version folder, a new
    index.json, and the old version's folder deleted from the server.
    """
    metadata, folder = default_model(web / "models")
    staging = web / "models" / ".tmp-changed"
    shutil.copytree(folder, staging)
    model_json = json.loads((staging / "model.json").read_text())
    specs = [w for group in model_json["weightsManifest"] for w in group["weights"]]
    assert specs[-1]["name"].endswith("bias") and specs[-1]["dtype"] == "float32", specs[-1]
    last_shard = staging / model_json["weightsManifest"][-1]["paths"][-1]
    weights = np.frombuffer(last_shard.read_bytes(), "<f4").copy()
    weights[-specs[-1]["shape"][0]] += 3.0  # favours the first class
    last_shard.write_bytes(weights.tobytes())
    published = datetime.datetime.fromisoformat(metadata["created"]) + datetime.timedelta(minutes=1)
    metadata = {**metadata, "files": file_facts(staging), "created": published.isoformat(timespec="seconds")}
    metadata["version"] = content_version(metadata["files"])
    (staging / "metadata.json").write_text(json.dumps(metadata))
    return metadata, publish(staging, web / "models", metadata, make_default=True)


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def remove(path):
    path.unlink()


def visit_and_classify(browser, server, photos, metadata):
    """Open the page online, let it save everything for offline use, and classify the photos."""
    open_page(browser, server.url)
    wait_until_offline_ready(browser)
    return classify(browser, photos, metadata)


def first_shard(metadata) -> str:
    return sorted(n for n in metadata["files"] if n.endswith(".bin"))[0]


def test_after_one_visit_the_page_classifies_with_the_server_stopped(browser, site, photos):
    server, web = site
    metadata, folder = default_model(web / "models")
    online = visit_and_classify(browser, server, photos, metadata)
    assert saved_models(browser) == saved_copy_of(server, folder, metadata)
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    shell = browser.execute_async_script(
        "const done = arguments[0]; caches.open('leukolens-shell').then((c) => c.keys())"
        ".then((keys) => done(keys.map((r) => r.url)))")
    model_files = f"{server.url}models/{metadata['name']}/{metadata['version']}/"
    assert {url for url in loaded if not url.startswith(model_files)} <= set(shell), "not kept for offline use"

    server.stop()
    open_page(browser, server.url)
    assert notice(browser) is None
    assert metadata["version"] in shown_version(browser)
    offline = classify(browser, photos, metadata)
    assert np.abs(offline - online).max() <= SAME
    assert np.abs(online - expected_probabilities(folder, photos, metadata)).max() <= TOLERANCE
    assert severe_console_messages(browser) == []


def test_a_new_model_version_is_used_online_and_then_served_whole_offline(browser, site, photos):
    server, web = site
    old, _ = default_model(web / "models")
    before = visit_and_classify(browser, server, photos, old)

    new, folder = publish_changed_version(web)
    assert new["version"] != old["version"]
    want = expected_probabilities(folder, photos, new)
    assert np.abs(want - before).max() > 0.05, "the changed weights should change the answers"
    open_page(browser, server.url)
    wait_until_offline_ready(browser)
    assert new["version"] in shown_version(browser)
    online = classify(browser, photos, new)
    assert np.abs(online - want).max() <= TOLERANCE
    # The old version is gone from the browser; the new one is there whole: its model.json, its shards.
    assert saved_models(browser) == saved_copy_of(server, folder, new)

    server.stop()
    open_page(browser, server.url)
    assert notice(browser) is None
    assert new["version"] in shown_version(browser)
    assert np.abs(classify(browser, photos, new) - online).max() <= SAME


STALE_SAVE = """
const [entry, base, metadataText, done] = arguments;
import('/js/model-store.js').then(async (store) => {
  const bytes = (text) => new TextEncoder().encode(text).buffer;
  done(await store.save(entry, base, new Map([['model.json', bytes('{}')], ['metadata.json', bytes(metadataText)]])));
}).catch((error) => done(String(error)));
"""


def test_a_tab_still_saving_the_old_version_keeps_the_new_one_another_tab_saved(browser, site, photos):
    server, web = site
    old, _ = default_model(web / "models")
    old_entry = json.loads((web / "models" / "index.json").read_text())["models"][0]
    open_page(browser, server.url)
    wait_until_offline_ready(browser)
    new, folder = publish_changed_version(web)
    open_page(browser, server.url)
    wait_until_offline_ready(browser)
    assert saved_models(browser) == saved_copy_of(server, folder, new)

    # A tab opened before the update finishes saving the old version only now.
    old_base = f"{server.url}models/{old_entry['path']}"
    assert browser.execute_async_script(STALE_SAVE, old_entry, old_base, json.dumps(old)) is True
    saved = saved_models(browser)
    assert saved_copy_of(server, folder, new).items() <= saved.items(), "the newer version was deleted"
    assert len(saved) == 2

    open_page(browser, server.url)  # the next visit with the current model list tidies up
    wait_until_offline_ready(browser)
    assert new["version"] in shown_version(browser)
    assert saved_models(browser) == saved_copy_of(server, folder, new)


@pytest.mark.parametrize("host", ["127.0.0.1", REMOTE_HOST])
def test_a_damaged_weight_shard_is_refused_with_a_message_naming_it(browser, site, host):
    server, web = site
    metadata, folder = default_model(web / "models")
    shard = first_shard(metadata)
    flip_a_byte(folder / shard)
    status = open_page(browser, server.url.replace("127.0.0.1", host), state="error")
    assert status.text == (f"The model file {shard} is damaged (its checksum does not match); it was not used. "
                           f"Reload the page to download it again; if that does not help, {REPUBLISH}.")
    assert not browser.find_element(By.ID, "file-input").is_enabled()
    secure = browser.execute_script("return window.isSecureContext && !!crypto.subtle")
    # Over plain http from another host the check ran on the page's own JavaScript SHA-256.
    assert secure == (host == "127.0.0.1")
    if secure:
        assert saved_models(browser) == {}


@pytest.mark.parametrize(("damage", "problem"), [
    (flip_a_byte, "is damaged (its checksum does not match); it was not used. Reload the page to download it "
                  f"again; if that does not help, {REPUBLISH}."),
    (remove, f"could not be downloaded (HTTP 404). Please {REPUBLISH}."),
], ids=["damaged", "missing"])
def test_a_broken_update_is_refused_and_the_saved_model_keeps_working(browser, site, photos, damage, problem):
    """The page comes up ready with the saved, whole previous version, and a notice saying why."""
    server, web = site
    old, old_folder = default_model(web / "models")
    saved_old = saved_copy_of(server, old_folder, old)
    before = visit_and_classify(browser, server, photos, old)

    new, folder = publish_changed_version(web)  # deletes the old version's folder from the server
    shard = first_shard(new)
    damage(folder / shard)
    open_page(browser, server.url)
    assert notice(browser) == (f"The model file {shard} {problem} Classifying with the model saved in this browser "
                               f"instead: {old['name']} (version {old['version']}).")
    assert old["version"] in shown_version(browser)
    assert np.abs(classify(browser, photos, old) - before).max() <= SAME
    assert saved_models(browser) == saved_old


def test_a_damaged_server_copy_of_the_saved_version_is_never_used(browser, site, photos):
    """Files of a saved version are read from the saved copy: the server's copy cannot replace them."""
    server, web = site
    metadata, folder = default_model(web / "models")
    saved = saved_copy_of(server, folder, metadata)
    before = visit_and_classify(browser, server, photos, metadata)
    flip_a_byte(folder / first_shard(metadata))
    open_page(browser, server.url)
    assert notice(browser) is None
    assert np.abs(classify(browser, photos, metadata) - before).max() <= SAME
    assert saved_models(browser) == saved


def test_over_plain_http_from_another_host_the_page_works_online_only(browser, site, photos):
    server, web = site
    metadata, folder = default_model(web / "models")
    open_page(browser, server.url.replace("127.0.0.1", REMOTE_HOST))
    offline_use = browser.find_element(By.ID, "offline-use")
    WebDriverWait(browser, 30).until(lambda _: offline_use.get_attribute("data-state") != "pending")
    assert offline_use.get_attribute("data-state") == "unavailable"
    assert "https://" in offline_use.text
    assert browser.execute_script(
        "return [window.isSecureContext, 'serviceWorker' in navigator, typeof caches, !!crypto.subtle]"
    ) == [False, False, "undefined", False]
    shown = classify(browser, photos, metadata)
    assert np.abs(shown - expected_probabilities(folder, photos, metadata)).max() <= TOLERANCE
    # Chromium's own note that it ignores the server's COOP header on an untrustworthy origin is no page error.
    assert [m for m in severe_console_messages(browser) if "Cross-Origin-Opener-Policy header has been ignored" not in m] == []


def test_the_manifest_is_linked_valid_and_installable(browser, site):
    server, _ = site
    open_page(browser, server.url)
    href = browser.find_element(By.CSS_SELECTOR, 'link[rel="manifest"]').get_attribute("href")
    with urllib.request.urlopen(href, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/manifest+json"
        manifest = json.load(response)
    assert {"name", "short_name", "icons", "start_url", "display"} <= manifest.keys()
    assert manifest["display"] in {"standalone", "fullscreen", "minimal-ui"}
    for icon in manifest["icons"]:
        with urllib.request.urlopen(urllib.parse.urljoin(href, icon["src"]), timeout=10) as response:
            assert response.headers["Content-Type"] == icon["type"]
            if icon["type"] == "image/png":
                assert "x".join(map(str, Image.open(io.BytesIO(response.read())).size)) == icon["sizes"]
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
    assert browser.execute_cdp_cmd("Page.getAppManifest", {})["errors"] == []
    assert browser.execute_cdp_cmd("Page.getInstallabilityErrors", {})["installabilityErrors"] == []
