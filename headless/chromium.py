"""Headless Chromium through Selenium, and the page's own controls: pick photos, read results."""
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1600"]


class PageError(RuntimeError):
    """The page reached a state it should not have (its status says why)."""


def missing_tools() -> list:
    return [tool for tool in ("chromium", "chromedriver") if not shutil.which(tool)]


def start_chromium(profile_dir: Path, extra_flags=(), page_load_strategy="normal", prefs=None) -> webdriver.Chrome:
    """A headless Chromium with its own fresh profile folder (empty cache, no state from other runs);
    prefs are Chromium's profile preferences (e.g. content settings) for this profile."""
    missing = missing_tools()
    if missing:
        raise RuntimeError(f"{' and '.join(missing)} not found: install Debian's chromium and chromium-driver "
                           "(make browser)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROMIUM_FLAGS + list(extra_flags) + [f"--user-data-dir={profile_dir}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.page_load_strategy = page_load_strategy
    if prefs:
        options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


def open_page(driver, url: str, state="ready", seconds=60):
    driver.get(url)
    return wait_for_state(driver, state, seconds)


def wait_for_state(driver, state: str, seconds=60):
    status = driver.find_element(By.ID, "status")
    WebDriverWait(driver, seconds).until(lambda _: status.get_attribute("data-state") in (state, "error"))
    if status.get_attribute("data-state") != state:
        raise PageError(status.text)
    return status


def pick_files(driver, paths: list, seconds=120) -> None:
    """Pick files through #file-input and wait until the page has shown a result for each."""
    before = len(driver.find_elements(By.CSS_SELECTOR, ".result"))
    driver.find_element(By.ID, "file-input").send_keys("\n".join(str(p) for p in paths))
    WebDriverWait(driver, seconds).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".result")) >= before + len(paths)
        and d.find_element(By.ID, "status").get_attribute("data-state") == "ready")


def unique_copies(paths: list, folder: Path) -> list:
    """Copies named <CLASS><name>: the page keys results by file name, and names repeat across classes."""
    copies = []
    for path in map(Path, paths):
        copy = folder / f"{path.parent.name}{path.name}"
        shutil.copy(path, copy)
        copies.append(copy)
    return copies


# Every result card in one round trip: reading thousands of them attribute by attribute through
# WebDriver would take longer than classifying them.
READ_RESULTS = """
return [...document.querySelectorAll('.result')].map((card) => ({
  file: card.dataset.file,
  top_class: card.dataset.topClass || null,
  error: card.dataset.error || null,
  status: card.dataset.status || null,
  probabilities: Object.fromEntries([...card.querySelectorAll('.bar[data-class][data-probability]')]
    .map((bar) => [bar.dataset.class, Number(bar.dataset.probability)])),
}));
"""


def shown_results(driver) -> dict:
    """{file name: {"top_class", "error", "status", "probabilities": {class: probability}}} for every result shown.
    status is "cells", "no-cells", "not-smear" or "error"; probabilities are the main cell's, {} when no cell was found."""
    return {card["file"]: card for card in driver.execute_script(READ_RESULTS)}


def confirm(driver, seconds=10) -> None:
    """Answer the page's open confirmation dialog ("Clear results", "New sample") with its OK button."""
    WebDriverWait(driver, seconds).until(lambda d: d.find_element(By.ID, "confirm-dialog").get_attribute("open") is not None)
    driver.find_element(By.ID, "confirm-ok").click()
    WebDriverWait(driver, seconds).until(lambda d: d.find_element(By.ID, "confirm-dialog").get_attribute("open") is None)


def clear_results(driver, seconds=30) -> None:
    """Remove every photo of the current sample, confirming when the page asks. The button is disabled
    while photos are being classified: this waits for that to end first."""
    WebDriverWait(driver, seconds).until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") != "busy")
    clear = driver.find_element(By.ID, "clear-results")
    if not clear.is_enabled():
        return
    clear.click()
    confirm(driver)
    WebDriverWait(driver, seconds).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".result"))

