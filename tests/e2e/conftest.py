"""One real server on loopback and one headless Chromium, shared by the browser tests."""
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import REPO

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1600"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    def __init__(self, web_root: Path):
        self.web_root = web_root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.start()

    def start(self):
        """Starts (or, after stop(), restarts) the server on the same port: the same origin for the browser."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "--port", str(self.port), "--web-root", str(self.web_root)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.wait_until_up()

    def wait_until_up(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(self.url + "healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not answer /healthz in time")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)


def start_chromium(profile: Path, extra_flags=()) -> webdriver.Chrome:
    """Headless Chromium with its own profile folder (its own caches and service workers)."""
    for tool in ("chromium", "chromedriver"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} not found: browser tests need Debian's chromium and chromium-driver (make browser)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}", *extra_flags]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def site_server(published_site):
    server = RunningServer(published_site)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shipped_server():
    server = RunningServer(REPO / "web")
    yield server
    server.stop()


def open_page(driver, url: str, state="ready", seconds=60):
    driver.get(url)
    return wait_for_state(driver, state, seconds)


def wait_for_state(driver, state: str, seconds=60):
    status = driver.find_element(By.ID, "status")
    WebDriverWait(driver, seconds).until(lambda _: status.get_attribute("data-state") in (state, "error"))
    assert status.get_attribute("data-state") == state, status.text
    return status


def upload(driver, paths: list, seconds=120) -> dict:
    """Pick files through #file-input; return each file's result element by file name."""
    before = len(driver.find_elements(By.CSS_SELECTOR, ".result"))
    driver.find_element(By.ID, "file-input").send_keys("\n".join(str(p) for p in paths))
    WebDriverWait(driver, seconds).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".result")) >= before + len(paths)
        and d.find_element(By.ID, "status").get_attribute("data-state") == "ready")
    names = {Path(p).name for p in paths}
    return {r.get_attribute("data-file"): r for r in driver.find_elements(By.CSS_SELECTOR, ".result")
            if r.get_attribute("data-file") in names}


def shown_probabilities(result, classes: list) -> list:
    cells = {c.get_attribute("data-class"): float(c.get_attribute("data-probability"))
             for c in result.find_elements(By.CSS_SELECTOR, "[data-class][data-probability]")}
    assert sorted(cells) == sorted(classes)
    return [cells[name] for name in classes]


def severe_console_messages(driver) -> list:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def read_metadata(web_root: Path) -> tuple:
    index = json.loads((web_root / "models" / "index.json").read_text())
    entry = next(m for m in index["models"] if m["name"] == index["default"])
    folder = web_root / "models" / entry["path"]
    return json.loads((folder / "metadata.json").read_text()), folder
