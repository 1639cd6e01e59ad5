"""A full storage quota costs only the photos that do not fit, and the page says exactly which and why
(web/js/sample.js, sample-store.js): the real page in headless Chromium, its origin's quota set with
Storage.overrideQuotaForOrigin before the first visit."""
import re

import pytest
from selenium.webdriver.common.by import By

from headless.chromium import open_page
from tests.e2e.page_results import severe_console_messages, upload
from headless.site_server import RunningServer
from tests.e2e.smear_page import TWO_CELLS, cell_box, key_for, photo, press, read_page, smear_file, variant_site, wait_until_idle

QUOTA_BYTES = 10_000_000
BIG_PHOTO_BYTES = 12_300_000

# Every record of the sample store, by store, read in the page.
READ_STORE = """
const done = arguments[arguments.length - 1];
const request = indexedDB.open('leukolens-samples');
request.onsuccess = () => {
  const db = request.result;
  const names = ['files', 'photos', 'cells', 'corrections'];
  const tx = db.transaction(names, 'readonly');
  const out = {};
  for (const name of names) {
    tx.objectStore(name).getAll().onsuccess = (event) => {
      out[name] = event.target.result.map((r) => ({ sample: r.sample, order: r.order ?? r.photo, name: r.name ?? null }));
    };
  }
  tx.oncomplete = () => { db.close(); done(out); };
};
request.onerror = () => done({ error: String(request.error) });
"""

ESTIMATE = "const done = arguments[arguments.length - 1]; navigator.storage.estimate().then(done);"
PERSISTED = "const done = arguments[arguments.length - 1]; navigator.storage.persisted().then(done);"


@pytest.fixture
def small_quota(chromium, published_site, tmp_path):
    """The plain site on an origin of its own whose quota is 10 MB from before its first visit."""
    server = RunningServer(variant_site(published_site, tmp_path / "site", review=None))
    origin = server.url.rstrip("/")
    chromium.get("about:blank")
    chromium.execute_cdp_cmd("Storage.overrideQuotaForOrigin", {"origin": origin, "quotaSize": QUOTA_BYTES})
    open_page(chromium, server.url)
    wait_until_idle(chromium)
    yield chromium, server
    chromium.get("about:blank")
    chromium.execute_cdp_cmd("Storage.overrideQuotaForOrigin", {"origin": origin})  # back to the default
    chromium.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    server.stop()


def big_photo(folder):
    """A drawn smear with 12.3 MB of trailing bytes, as cameras append previews: read as the smear it is."""
    path = smear_file(folder, "big-field.jpg", white_cells=TWO_CELLS)
    data = path.read_bytes()
    path.write_bytes(data + bytes(BIG_PHOTO_BYTES - len(data)))
    return path


def shown_size(size: float) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.1f} MB"


def orphans(records: dict) -> list:
    filed = {(r["sample"], r["order"]) for r in records["files"]}
    return [(name, r) for name in ("photos", "cells", "corrections") for r in records[name]
            if (r["sample"], r["order"]) not in filed]


def correct_first_cell(driver, file: str) -> None:
    shown = read_page(driver)
    first = photo(shown, file)["cells"][0]
    other = next(name for name, _ in shown["class_buttons"] if name != first["class"])
    cell_box(driver, file, 1).click()
    press(driver, key_for(shown, other))


def test_a_photo_that_does_not_fit_is_named_with_the_figures_and_nothing_else_is_lost(small_quota, tmp_path):
    driver, server = small_quota
    earlier = smear_file(tmp_path, "earlier.jpg", seed=3)
    upload(driver, [earlier])
    # The quota Chromium enforces; navigator.storage.estimate() reports its own figure (tried: 10.7 GB).
    enforced = driver.execute_cdp_cmd("Storage.getUsageAndQuota", {"origin": server.url.rstrip("/")})
    assert enforced["overrideActive"] and enforced["quota"] == QUOTA_BYTES
    small = smear_file(tmp_path, "small.jpg", seed=4, white_cells=TWO_CELLS)
    big = big_photo(tmp_path)
    assert enforced["usage"] + small.stat().st_size < QUOTA_BYTES < enforced["usage"] + big.stat().st_size

    upload(driver, [big, small])  # one pick, as in the report: the big one alone cannot be kept
    notice = driver.find_element(By.ID, "storage-notice")
    assert notice.is_displayed()
    after = driver.execute_async_script(ESTIMATE)
    figures = re.search(r"because its storage for this page is full \(([\d.]+ [MG]B) of ([\d.]+ [MG]B) used\)", notice.text)
    assert figures, notice.text
    assert figures.group(2) == shown_size(after["quota"])  # the page's figures are estimate()'s
    assert 'Not kept in this browser: "big-field.jpg" (12.3 MB)' in notice.text
    assert "small.jpg" not in notice.text and "earlier.jpg" not in notice.text
    assert "Every other photo of the sample is kept." in notice.text

    # Kept on the page for this visit: classified, and corrected like any other.
    shown = read_page(driver)
    assert {card["file"] for card in shown["photos"]} == {"earlier.jpg", "small.jpg", "big-field.jpg"}
    correct_first_cell(driver, big.name)
    correct_first_cell(driver, small.name)
    assert read_page(driver)["corrected"] == 2
    assert orphans(driver.execute_async_script(READ_STORE)) == []

    open_page(driver, server.url)  # a reload: what the notice said is what happened, and no more
    wait_until_idle(driver)
    shown = read_page(driver)
    assert {card["file"] for card in shown["photos"]} == {"earlier.jpg", "small.jpg"}
    assert shown["corrected"] == 1 and photo(shown, "small.jpg")["cells"][0]["corrected"]
    assert not driver.find_element(By.ID, "storage-notice").is_displayed()
    records = driver.execute_async_script(READ_STORE)
    assert sorted(r["name"] for r in records["files"]) == ["earlier.jpg", "small.jpg"]
    assert orphans(records) == []
    assert severe_console_messages(driver) == []


def test_the_page_shows_whether_persistent_storage_was_granted(small_quota):
    driver, _ = small_quota
    shown = driver.find_element(By.ID, "storage-persistence")
    granted = driver.execute_async_script(PERSISTED)
    assert shown.get_attribute("data-state") == ("granted" if granted else "not-granted")
    assert ("persistent storage was not granted" in shown.text) != granted


PLANT_ORPHANS = """
const done = arguments[arguments.length - 1];
const request = indexedDB.open('leukolens-samples');
request.onsuccess = () => {
  const db = request.result;
  const tx = db.transaction(['samples', 'photos', 'cells', 'corrections'], 'readwrite');
  tx.objectStore('samples').getAll().onsuccess = (event) => {
    const sample = event.target.result[0].key;
    tx.objectStore('photos').put({ sample, order: 1, status: 'cells', classes: [], cells: [] });
    tx.objectStore('cells').put({ sample, photo: 1, number: 1, box: [0, 0, 1, 1] });
    tx.objectStore('corrections').put({ sample, photo: 1, number: 1, assigned: null, excluded: true });
  };
  tx.oncomplete = () => { db.close(); done(true); };
};
"""


def test_records_left_without_their_photo_by_an_older_version_are_removed(small_quota, tmp_path):
    driver, server = small_quota
    upload(driver, [smear_file(tmp_path, "kept.jpg", seed=5)])
    assert driver.execute_async_script(PLANT_ORPHANS)
    assert len(orphans(driver.execute_async_script(READ_STORE))) == 3
    open_page(driver, server.url)
    wait_until_idle(driver)
    records = driver.execute_async_script(READ_STORE)
    assert orphans(records) == []
    assert [r["name"] for r in records["files"]] == ["kept.jpg"]
    assert [card["file"] for card in read_page(driver)["photos"]] == ["kept.jpg"]
