"""Screenshots of the page on real whole smears (bccd-smears), made in headless Chromium against the real
server, as a 1366x768 laptop shows it (a maximised browser leaves 1366x625 of page): the photos with their
boxes and the selected cell (smear.png), the next cell to review (N) corrected to the network's second
choice (review.png), and the printed report, signed off, with an analyser's white-cell count (print.png).

    .venv/bin/python docs/screenshots/make_screenshots.py                 # the model web/ publishes
    .venv/bin/python docs/screenshots/make_screenshots.py --web-root DIR  # another published site

Run it again after publishing a new model: the pictures show whatever model the site serves.
"""
import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from headless.chromium import open_page, pick_files, start_chromium  # noqa: E402
from headless.site_server import RunningServer  # noqa: E402

# Two white cells in the first (a neutrophil and an eosinophil, as the dataset labels it), one in the others.
PHOTOS = ["BloodImage_00010.jpg", "BloodImage_00000.jpg", "BloodImage_00043.jpg"]
VIEWPORT = (1366, 625)  # a 1366x768 screen less the taskbar and the browser's bars
PRINT_HEIGHT = 1100


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--web-root", type=Path, default=REPO / "web", help="the site to serve (default: web/)")
    parser.add_argument("--smears", type=Path, default=REPO.parent / "shared" / "data" / "bccd-smears" / "JPEGImages",
                        help="folder of whole smear photos (default: ../shared/data/bccd-smears/JPEGImages)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="where the PNGs go")
    return parser.parse_args(argv)


def viewport(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def press(driver, keys: str) -> None:
    ActionChains(driver).send_keys(keys).perform()


def review_everything(driver) -> None:
    """Each cell awaiting review confirmed as it is (N, then Enter), as a technologist agreeing would."""
    while driver.find_elements(By.CSS_SELECTOR, ".cell[data-awaiting]"):
        press(driver, "n")
        press(driver, Keys.ENTER)


def sign_off(driver, initials: str) -> None:
    driver.find_element(By.ID, "sign-off").click()
    driver.find_element(By.ID, "sign-initials").send_keys(initials)
    driver.find_element(By.ID, "sign-ok").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "sign-state").get_attribute("data-state") == "signed")


def correct_to_runner_up(driver) -> None:
    """What a reviewer might decide: the selected cell is the network's second choice (its number key)."""
    runner_up = driver.find_elements(By.CSS_SELECTOR, "#inspector-bars .bar[data-class]")[1].get_attribute("data-class")
    driver.find_element(By.CSS_SELECTOR, f'#class-buttons button[data-assign="{runner_up}"]').click()


def make_screenshots(web_root: Path, smears: Path, out: Path) -> list:
    photos = [smears / name for name in PHOTOS]
    missing = [str(p) for p in photos if not p.is_file()]
    if missing:
        raise SystemExit(f"smear photos not found: {', '.join(missing)} (see --smears)")
    out.mkdir(parents=True, exist_ok=True)
    with RunningServer(web_root) as server, tempfile.TemporaryDirectory(prefix="leukolens-shots-") as profile:
        driver = start_chromium(Path(profile))
        try:
            viewport(driver, *VIEWPORT)
            open_page(driver, server.url)
            driver.find_element(By.ID, "sample-id").send_keys("BCCD demo")
            pick_files(driver, photos)
            WebDriverWait(driver, 60).until(lambda d: not d.find_element(By.ID, "progress").is_displayed())
            driver.execute_script("window.scrollTo(0, 0)")
            driver.find_elements(By.CSS_SELECTOR, ".cell")[0].click()  # from the top, as after picking the photos
            driver.save_screenshot(str(out / "smear.png"))
            press(driver, "n")  # the most doubtful cell awaiting review, or the least sure one
            correct_to_runner_up(driver)
            driver.save_screenshot(str(out / "review.png"))
            review_everything(driver)
            wbc = driver.find_element(By.ID, "wbc-count")
            wbc.send_keys("7.2", Keys.TAB)
            sign_off(driver, "AB")
            viewport(driver, VIEWPORT[0], PRINT_HEIGHT)
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(str(out / "print.png"))
        finally:
            driver.quit()
    return [out / name for name in ("smear.png", "review.png", "print.png")]


def main(argv=None) -> None:
    args = parse_args(argv)
    for path in make_screenshots(args.web_root, args.smears, args.out):
        print(path)


if __name__ == "__main__":
    main()
