"""The sample is kept (IndexedDB), can be started anew and reopened, exported as CSV and printed: the real
page in headless Chromium with the tiny published model."""
import csv
import io
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core.model_index import default_model
from headless.chromium import clear_results, confirm, open_page, start_chromium
from tests.e2e.page_results import severe_console_messages, upload
from tests.e2e.smear_page import (
    TWO_CELLS,
    cell_box,
    copies,
    key_for,
    landscape_file,
    photo,
    press,
    read_page,
    smear_file,
    wait_until_idle,
)

CAUTION = "A research aid, not a diagnosis"


@pytest.fixture
def page(fresh_page):
    return fresh_page


def name_sample(driver, label):
    field = driver.find_element(By.ID, "sample-id")
    field.clear()
    field.send_keys(label)
    driver.find_element(By.ID, "target-count").click()  # leaving the field saves it


def counted_sample(driver, folder, published_site):
    """A named sample of a two-cell smear, a one-cell smear and a landscape, one cell corrected, one excluded."""
    classes = default_model(published_site / "models")[0]["classes"]
    two = smear_file(folder, "two.png", white_cells=TWO_CELLS)
    one = smear_file(folder, "one.jpg", seed=2)
    name_sample(driver, "LAB-42")
    upload(driver, [two, one, landscape_file(folder)])
    first = photo(read_page(driver), two.name)["cells"][0]
    cell_box(driver, two.name, 1).click()
    press(driver, key_for(read_page(driver), next(c for c in classes if c != first["class"])))
    cell_box(driver, one.name, 1).click()
    press(driver, "x")
    return first


def kept_state(shown):
    return {key: shown[key] for key in ("photos", "white", "white_total", "corrected", "excluded", "progress")}


def test_a_reload_keeps_the_sample_and_its_corrections(page, published_site, tmp_path):
    counted_sample(page, tmp_path, published_site)
    before = read_page(page)
    assert before["corrected"] == 1 and before["excluded"] == 1
    open_page(page, page.current_url)  # a reload
    wait_until_idle(page)
    assert kept_state(read_page(page)) == kept_state(before)
    assert page.find_element(By.ID, "sample-id").get_attribute("value") == "LAB-42"
    assert not page.find_element(By.ID, "storage-notice").is_displayed()
    assert severe_console_messages(page) == []


def test_photos_picked_before_a_reload_are_all_classified_after_it(page, tmp_path):
    """Each picked file is kept at once: a page closed mid-run classifies the rest when it opens again."""
    paths = copies(smear_file(tmp_path, "two.png", white_cells=TWO_CELLS), tmp_path, 12, "field")
    page.find_element(By.ID, "file-input").send_keys("\n".join(str(p) for p in paths))
    WebDriverWait(page, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".result"))
    page.get(page.current_url)  # reloaded while photos were still waiting their turn
    wait_until_idle(page)
    shown = read_page(page)
    assert sorted(card["file"] for card in shown["photos"]) == sorted(p.name for p in paths)
    assert shown["white_total"] == 2 * len(paths)


def test_new_sample_starts_an_empty_count_and_the_old_one_can_be_reopened(page, published_site, tmp_path):
    counted_sample(page, tmp_path, published_site)
    kept = kept_state(read_page(page))
    page.find_element(By.ID, "new-sample").click()
    page.find_element(By.ID, "confirm-cancel").click()  # asked first: cancelling changes nothing
    assert kept_state(read_page(page)) == kept

    page.find_element(By.ID, "new-sample").click()
    confirm(page)
    wait_until_idle(page)
    # The new sample replaces the cards once the old one is stored: idle can come a moment before that.
    WebDriverWait(page, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".result"))
    shown = read_page(page)
    assert shown["photos"] == [] and shown["white_total"] == 0
    assert not page.find_element(By.ID, "summary").is_displayed()
    assert page.find_element(By.ID, "sample-id").get_attribute("value") == ""
    earlier = page.find_elements(By.CSS_SELECTOR, "#sample-list li")
    assert [item.find_element(By.CSS_SELECTOR, ".name").text for item in earlier] == ["LAB-42"]

    name_sample(page, "LAB-43")
    upload(page, [smear_file(tmp_path, "next.png", seed=5)])
    assert read_page(page)["white_total"] == 1
    page.find_element(By.CSS_SELECTOR, '#sample-list li button[data-action="open"]').click()
    WebDriverWait(page, 30).until(lambda d: d.find_element(By.ID, "sample-id").get_attribute("value") == "LAB-42")
    wait_until_idle(page)
    assert kept_state(read_page(page)) == kept
    names = [item.text for item in page.find_elements(By.CSS_SELECTOR, "#sample-list li .name")]
    assert names == ["LAB-43"]


def exported_csv(driver, folder, seconds=30) -> str:
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    driver.find_element(By.ID, "export-csv").click()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.csv")]
        if done and not list(folder.glob("*.crdownload")):
            return done[0].read_bytes().decode("utf-8-sig")  # as written: CRLF line ends
        time.sleep(0.2)
    raise AssertionError("no CSV was downloaded")


def csv_sections(text) -> list:
    return [list(csv.reader(io.StringIO(block))) for block in text.strip().split("\r\n\r\n")]


def test_the_csv_holds_what_the_page_shows(page, published_site, tmp_path):
    first = counted_sample(page, tmp_path, published_site)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a jpeg")
    upload(page, [broken])
    shown = read_page(page)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    text = exported_csv(page, downloads)
    assert next(downloads.glob("*.csv")).name.startswith("leukolens-LAB-42-")
    cells, differential, without, about = csv_sections(text)
    assert cells[0] == ["photo", "cell", "box left", "box top", "box width", "box height", "class", "model class",
                        "model probability", "corrected", "excluded", "review flag", "confirmed", "decided at",
                        "added by a person"]
    page_rows = [[card["file"], str(cell["number"]), *map(str, cell["box"]), cell["class"],
                  first["class"] if cell["corrected"] else cell["class"], cell["probability"],
                  "yes" if cell["corrected"] else "no", "yes" if cell["excluded"] else "no", "no", "no"]
                 for card in shown["photos"] for cell in card["cells"]]
    assert [[*row[:8], float(row[8]), *row[9:13]] for row in cells[1:]] == page_rows
    decided = [bool(row[13]) for row in cells[1:]]
    assert decided == [cell["corrected"] or cell["excluded"] for card in shown["photos"] for cell in card["cells"]]
    rows = {row[0]: row for row in differential[1:]}
    for name, facts in shown["white"].items():
        assert int(rows[name][2]) == facts["count"] and float(rows[name][3]) == pytest.approx(facts["percent"], abs=0.01)
    assert int(rows["white cells"][2]) == shown["white_total"]
    assert int(rows["excluded (not a cell)"][2]) == 1 and int(rows["corrected by a person"][2]) == 1
    assert {row[0] for row in without[1:]} == {"holiday.jpg", "broken.jpg"}
    assert dict(about[1:])["sample ID"] == "LAB-42"


def test_the_print_view_is_the_report(page, published_site, tmp_path):
    metadata, _ = default_model(published_site / "models")
    counted_sample(page, tmp_path, published_site)
    assert page.find_element(By.ID, "print-report").is_enabled()
    assert not page.find_element(By.ID, "report").is_displayed()
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        report = page.find_element(By.ID, "report")
        assert report.is_displayed()
        assert page.find_element(By.ID, "report-sample").text == "LAB-42"
        assert f"{metadata['name']} (version {metadata['version']})" in page.find_element(By.ID, "report-model").text
        assert page.find_element(By.ID, "report-date").text
        assert page.find_element(By.ID, "differential").is_displayed()
        checks = page.find_element(By.ID, "summary-checks").text
        assert "1 corrected" in checks and "1 excluded" in checks
        assert CAUTION in page.find_element(By.CSS_SELECTOR, ".caution").text
        for hidden in ("drop-zone", "inspector", "results", "export-csv", "sample-id"):
            assert not page.find_element(By.ID, hidden).is_displayed(), hidden
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        page.find_element(By.ID, "print-photos").click()  # photos asked for: printed too
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert page.find_element(By.ID, "results").is_displayed()
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_clear_results_asks_first(page, tmp_path):
    upload(page, [smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)])
    page.find_element(By.ID, "clear-results").click()
    page.find_element(By.ID, "confirm-cancel").click()
    assert len(read_page(page)["photos"]) == 1
    clear_results(page)
    assert read_page(page)["photos"] == []
    assert not page.find_element(By.ID, "summary").is_displayed()


@pytest.fixture
def storage_blocked(tmp_path):
    """A Chromium whose settings block every site from storing data (IndexedDB, Cache Storage, service workers)."""
    driver = start_chromium(tmp_path / "profile", prefs={"profile.default_content_setting_values.cookies": 2})
    yield driver
    driver.quit()


def test_a_browser_that_cannot_keep_the_sample_says_so_and_the_page_still_counts(storage_blocked, plain_site, tmp_path):
    open_page(storage_blocked, plain_site.url)
    notice = storage_blocked.find_element(By.ID, "storage-notice")
    assert notice.is_displayed()
    assert "This browser cannot keep the sample: its storage is blocked" in notice.text and "export the CSV" in notice.text
    path = smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)
    upload(storage_blocked, [path])
    assert read_page(storage_blocked)["white_total"] == 2
    cell_box(storage_blocked, path.name, 1).click()
    press(storage_blocked, "x")
    assert read_page(storage_blocked)["white_total"] == 1
    assert storage_blocked.find_element(By.ID, "status").get_attribute("data-state") == "ready"
    assert severe_console_messages(storage_blocked) == []
