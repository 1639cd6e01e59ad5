"""Drawn smears, and the page's hooks for cells, the differential and the sample, read in one round trip.

Shared by the browser tests of the smear workflow (test_cells.py, test_sample.py, test_many_photos.py).
"""
import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from headless.chromium import open_page
from tests.conftest import draw_smear

TWO_CELLS = ((120, 150), (330, 480))


def smear_file(folder: Path, name: str, seed: int = 1, **drawing) -> Path:
    """A drawn smear (cream background, pink red cells, purple 3-lobed nuclei) saved as PNG or JPEG."""
    path = folder / name
    image = Image.fromarray(draw_smear(np.random.default_rng(seed), **drawing))
    image.save(path, quality=95) if path.suffix.lower() in {".jpg", ".jpeg"} else image.save(path)
    return path


# One white cell each, in different places and sizes, as PNG and JPEG: photos whose main cell the page
# finds, so its bars can be compared with Python's preprocessing of the same photo.
ONE_CELL = [((240, 320), 22), ((150, 200), 18), ((330, 450), 26), ((200, 500), 20), ((300, 160), 24), ((260, 380), 21)]


def one_cell_smears(folder: Path, count: int = len(ONE_CELL)) -> list:
    return [smear_file(folder, f"one-cell-{i}.{'png' if i % 2 else 'jpg'}", seed=10 + i, white_cells=(centre,),
                       nucleus_radius=radius) for i, (centre, radius) in enumerate(ONE_CELL[:count])]


def landscape_file(folder: Path, name: str = "holiday.jpg") -> Path:
    """A picture that is no smear at all: sky, a green field, a dark tree."""
    height, width = 360, 480
    image = np.empty((height, width, 3), np.uint8)
    image[: height // 2] = np.linspace((90, 150, 230), (190, 220, 250), height // 2)[:, None].astype(np.uint8)
    image[height // 2:] = (70, 140, 60)
    image[120:260, 300:330] = (60, 40, 30)
    image[80:170, 250:380] = (30, 90, 40)
    path = folder / name
    Image.fromarray(image).save(path, quality=92)
    return path


def copies(path: Path, folder: Path, count: int, stem: str) -> list:
    """count copies of one photo under distinct names (the page keys photos by file name)."""
    return [Path(shutil.copy(path, folder / f"{stem}-{i:02}{path.suffix}")) for i in range(count)]


READ_PAGE = """
const flag = (node, name) => node.dataset[name] === 'true';
const rows = [...document.querySelectorAll('#differential tr[data-class]')];
return {
  photos: [...document.querySelectorAll('.result')].map((card) => ({
    file: card.dataset.file,
    status: card.dataset.status || null,
    top_class: card.dataset.topClass || null,
    error: card.dataset.error || null,
    heading: card.querySelector('.top') ? card.querySelector('.top').textContent : null,
    text: card.textContent,
    cells: [...card.querySelectorAll('.cell')].map((cell) => ({
      number: Number(cell.dataset.cell),
      box: cell.dataset.box.split(',').map(Number),
      class: cell.dataset.class,
      probability: Number(cell.dataset.probability),
      review: cell.dataset.review,
      corrected: flag(cell, 'corrected'),
      excluded: flag(cell, 'excluded'),
      edge: flag(cell, 'edge'),
      added: flag(cell, 'added'),
      awaiting: flag(cell, 'awaiting'),
      label: cell.getAttribute('aria-label'),
      tag: cell.querySelector('.cell-tag').textContent,
    })),
  })),
  white: Object.fromEntries(rows.filter((row) => row.dataset.percent !== undefined)
    .map((row) => [row.dataset.class, { count: Number(row.dataset.count), percent: Number(row.dataset.percent) }])),
  white_order: rows.filter((row) => row.dataset.percent !== undefined).map((row) => row.dataset.class),
  nucleated_red: Object.fromEntries(rows.filter((row) => row.dataset.per100White !== undefined)
    .map((row) => [row.dataset.class, { count: Number(row.dataset.count), per_100_white: row.dataset.per100White }])),
  platelets: Object.fromEntries(rows.filter((row) => row.dataset.platelets !== undefined)
    .map((row) => [row.dataset.class, Number(row.dataset.count)])),
  white_total: Number((document.querySelector('#differential [data-white-total]') || { dataset: { whiteTotal: 0 } }).dataset.whiteTotal),
  awaiting_review: Number(document.getElementById('summary-checks').dataset.awaitingReview || 0),
  corrected: Number(document.getElementById('summary-checks').dataset.corrected || 0),
  excluded: Number(document.getElementById('summary-checks').dataset.excluded || 0),
  progress: { ...document.getElementById('count-progress').dataset },
  summary_total: document.getElementById('summary-total').textContent,
  review_note: document.getElementById('review-note').textContent,
  class_buttons: [...document.querySelectorAll('#class-buttons button[data-assign]')]
    .map((button) => [button.dataset.assign, button.getAttribute('aria-keyshortcuts')]),
};
"""


def read_page(driver) -> dict:
    """Every photo card, every cell box and the differential, as the page shows them."""
    return driver.execute_script(READ_PAGE)


def photo(page: dict, file: str) -> dict:
    found = [p for p in page["photos"] if p["file"] == file]
    assert len(found) == 1, f"{len(found)} cards for {file}"
    return found[0]


def counted_cells(page: dict) -> dict:
    """{class: count} of the cells the boxes say are counted (not excluded)."""
    counts = {}
    for card in page["photos"]:
        for cell in card["cells"]:
            if not cell["excluded"]:
                counts[cell["class"]] = counts.get(cell["class"], 0) + 1
    return counts


def wait_until_idle(driver, seconds=120) -> None:
    """Every picked photo classified: the status is ready and no progress bar shows."""
    WebDriverWait(driver, seconds).until(
        lambda d: d.find_element(By.ID, "status").get_attribute("data-state") in ("ready", "error")
        and not d.find_element(By.ID, "progress").is_displayed())


def open_fresh(driver, url: str) -> None:
    """The page with nothing kept from earlier tests on this origin: its IndexedDB emptied, then loaded."""
    driver.get("about:blank")
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": url.rstrip("/"), "storageTypes": "indexeddb"})
    open_page(driver, url)
    wait_until_idle(driver)


def cell_box(driver, file: str, number: int):
    card = driver.find_element(By.CSS_SELECTOR, f'.result[data-file={json.dumps(file)}]')
    return card.find_element(By.CSS_SELECTOR, f'.cell[data-cell="{number}"]')


def press(driver, keys: str) -> None:
    """Keys typed at whatever has the focus, as a person would."""
    ActionChains(driver).send_keys(keys).perform()


def key_for(page: dict, name: str) -> str:
    """The number key the page gives a class (as shown next to its button)."""
    return dict(page["class_buttons"])[name]


def variant_site(published_site: Path, folder: Path, **changes) -> Path:
    """A private copy of the published site whose model's metadata.json has these keys set (None removes
    one). The model's version is a hash of its model.json and weights only, so the page still loads it."""
    from core.model_index import default_model

    site = folder / "web"
    shutil.copytree(published_site, site)
    metadata, model_folder = default_model(site / "models")
    for key, value in changes.items():
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
    (model_folder / "metadata.json").write_text(json.dumps(metadata, indent=1))
    return site
