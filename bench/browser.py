"""Measurements in headless Chromium on the real page: classify photos, time TensorFlow.js, cold starts."""
import statistics
import sys
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from headless.chromium import (
    PageError,
    clear_results,
    open_page,
    pick_files,
    shown_results,
    start_chromium,
    unique_copies,
)

HARNESS = (Path(__file__).resolve().parent / "harness.js").read_text()
HARNESS_SECONDS = 1800  # a whole split through a slow backend is minutes, not hours
PAGE_BATCH = 100  # photos picked at once; results are cleared between batches so the DOM stays small

BROWSER_FACTS = """
const done = arguments[arguments.length - 1];
const gl = document.createElement('canvas').getContext('webgl');
const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
tf.env().getAsync('WASM_HAS_SIMD_SUPPORT').then((simd) => done({
  tfjs: tf.version.tfjs,
  page_backend: tf.getBackend(),
  wasm_simd: simd,
  wasm_threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
  webgl_renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : (gl ? gl.getParameter(gl.RENDERER) : null),
  user_agent: navigator.userAgent,
}));
"""


def browser_facts(driver) -> dict:
    facts = driver.execute_async_script(BROWSER_FACTS)
    return {"chromium": driver.capabilities.get("browserVersion"),
            "chromedriver": driver.capabilities.get("chrome", {}).get("chromedriverVersion", "").split(" ")[0], **facts}


def run_harness(driver, **options) -> dict:
    """bench/harness.js in the page; options pick its task ("speed" or "predict") and settings."""
    driver.set_script_timeout(HARNESS_SECONDS)
    return driver.execute_async_script(HARNESS, options)


def classify_in_page(driver, paths: list, classes: list, label: str) -> tuple:
    """Each photo picked through the page's file input; returns (probabilities or None per photo, errors)."""
    probabilities, errors = [], {}
    with tempfile.TemporaryDirectory(prefix="leukolens-photos-") as folder:
        copies = unique_copies(paths, Path(folder))
        for start in range(0, len(copies), PAGE_BATCH):
            batch = copies[start:start + PAGE_BATCH]
            pick_files(driver, batch, seconds=600)
            shown = shown_results(driver)
            for path, copy in zip(paths[start:start + PAGE_BATCH], batch):
                card = shown[copy.name]
                if card["error"] or not card["probabilities"]:
                    # A photo the page could not read, or in which it found no cell to classify.
                    errors[str(path)] = card["error"] or f"no main cell found ({card['status']})"
                    probabilities.append(None)
                else:
                    probabilities.append([card["probabilities"][name] for name in classes])
            clear_results(driver)
            print(f"  browser: {min(start + PAGE_BATCH, len(copies))}/{len(copies)} {label} photos classified",
                  file=sys.stderr, flush=True)
    return probabilities, errors


# Installed before any page script runs, so it sees the page from its first moment: when a photo is
# picked, when the model is ready (<html data-model="ready">) and when the first result appears.
# performance.now() counts from the navigation's start.
COLD_START_PROBE = """
window.__coldStart = { picked: null, modelReady: null, firstResult: null, failed: null };
new MutationObserver(() => {
  const mark = window.__coldStart;
  const now = performance.now();
  const status = document.getElementById('status');
  if (mark.modelReady === null && document.documentElement.dataset.model === 'ready') mark.modelReady = now;
  if (mark.failed === null && status && status.dataset.state === 'error') mark.failed = status.textContent;
  if (mark.firstResult === null && document.querySelector('.result[data-top-class]')) mark.firstResult = now;
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
document.addEventListener('change', (event) => {
  const mark = window.__coldStart;
  if (mark.picked === null && event.target.id === 'file-input') mark.picked = performance.now();
}, true);
"""

READ_COLD_START = """
const origin = location.origin + '/';
const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
  .filter((entry) => entry.name.startsWith(origin))
  .map((entry) => ({ path: entry.name.slice(origin.length).split('?')[0] || 'index.html',
                     transfer_bytes: entry.transferSize, body_bytes: entry.encodedBodySize }));
return { ...window.__coldStart, resources: entries };
"""


def cold_start(url: str, photo: Path, profile_dir: Path, seconds=120) -> dict:
    """A fresh browser profile opens the page and picks one photo at once (the page queues it while
    the model loads); returns the in-page times in ms since navigation start and what was fetched."""
    # "eager": get() returns at DOMContentLoaded, when the file input exists, not after every script's load.
    driver = start_chromium(profile_dir, page_load_strategy="eager")
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLD_START_PROBE})
        driver.get(url)
        driver.find_element(By.ID, "file-input").send_keys(str(Path(photo).resolve()))
        WebDriverWait(driver, seconds).until(
            lambda d: d.execute_script("const m = window.__coldStart; return m.firstResult !== null || m.failed !== null"))
        facts = driver.execute_script(READ_COLD_START)
    finally:
        driver.quit()
    if facts["failed"]:
        raise PageError(f"the page could not load its model: {facts['failed']}")
    return {"first_result_ms": facts["firstResult"], "model_ready_ms": facts["modelReady"],
            "photo_picked_ms": facts["picked"], "resources": facts["resources"]}


def cold_starts(url: str, photo: Path, runs: int) -> dict:
    times = []
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="leukolens-profile-") as profile:
            times.append(cold_start(url, photo, Path(profile)))
        print(f"  cold start {run + 1}/{runs}: first result after {times[-1]['first_result_ms']:.0f} ms",
              file=sys.stderr, flush=True)
    return {
        "runs": runs,
        "first_result_ms": [t["first_result_ms"] for t in times],
        "first_result_median_ms": statistics.median(t["first_result_ms"] for t in times),
        "model_ready_median_ms": statistics.median(t["model_ready_ms"] for t in times),
        "photo_picked_median_ms": statistics.median(t["photo_picked_ms"] for t in times),
        "transferred": transferred_bytes(times[0]["resources"]),
    }


def part_of_page(path: str) -> str:
    if path.startswith("vendor/tfjs/"):
        return "tfjs"
    if path.startswith("models/"):
        return "model"
    return "page"


def transferred_bytes(resources: list) -> dict:
    """Bytes a first visit fetched, by part: the page itself, TensorFlow.js, the model."""
    parts = {name: {"files": [], "transfer_bytes": 0, "body_bytes": 0} for name in ("page", "tfjs", "model")}
    for entry in resources:
        part = parts[part_of_page(entry["path"])]
        part["files"].append(entry["path"])
        part["transfer_bytes"] += entry["transfer_bytes"]
        part["body_bytes"] += entry["body_bytes"]
    parts["total"] = {"files": [e["path"] for e in resources],
                      "transfer_bytes": sum(e["transfer_bytes"] for e in resources),
                      "body_bytes": sum(e["body_bytes"] for e in resources)}
    return parts


def many_smears(driver, url: str, photos: list) -> dict:
    """Whole smear photos picked at once: how long until the page has found and classified every cell
    of every photo (from the pick to the last result, as a person waits), and how many cells it found."""
    open_page(driver, url)
    started = time.monotonic()
    pick_files(driver, photos, seconds=1800)
    seconds = time.monotonic() - started
    cells = driver.execute_script("return document.querySelectorAll('.result .cell').length")
    clear_results(driver)
    return {"photos": len(photos), "cells": cells, "seconds": seconds, "per_photo_ms": 1000 * seconds / len(photos)}
