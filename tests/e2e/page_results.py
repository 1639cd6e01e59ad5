"""What the tests read off the page in headless Chromium: one file's result card, its probability bars,
the browser's console errors. (headless/chromium.py holds what the bench uses too.)"""
from pathlib import Path

from selenium.webdriver.common.by import By

from headless.chromium import PageError, pick_files


def upload(driver, paths: list, seconds=120) -> dict:
    """Pick files through #file-input; return each file's result element by file name (the newest card
    when a name was picked before: cards are in the order picked)."""
    pick_files(driver, paths, seconds)
    names = {Path(p).name for p in paths}
    return {r.get_attribute("data-file"): r for r in driver.find_elements(By.CSS_SELECTOR, ".result")
            if r.get_attribute("data-file") in names}


# A photo card's probability bars are its main cell's (the cell Python's preprocessing crops for a
# one-cell photo): one .bar per model class. The boxes on the photo (.cell) carry data-class and
# data-probability too, so the selector names the bars.
MAIN_CELL_BARS = ".bar[data-class][data-probability]"


def shown_probabilities(result, classes: list) -> list:
    bars = {c.get_attribute("data-class"): float(c.get_attribute("data-probability"))
            for c in result.find_elements(By.CSS_SELECTOR, MAIN_CELL_BARS)}
    if sorted(bars) != sorted(classes):
        raise PageError(f"the result shows classes {sorted(bars)}, not the model's {sorted(classes)}")
    return [bars[name] for name in classes]


def severe_console_messages(driver) -> list:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
