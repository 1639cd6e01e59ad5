"""Fifty photos picked at once: the progress bar advances photo by photo, and the page answers a click
and a key press while it is still working. Asserted on the order of events in the page, never on time."""
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.smear_page import TWO_CELLS, copies, open_fresh, press, read_page, smear_file, wait_until_idle

PHOTOS = 50

# Installed in the page before the photos are picked: every step of the progress bar and every cell a
# person checked, in the order the page made them.
RECORDER = """
window.__events = [];
const progress = document.getElementById('progress');
new MutationObserver(() => window.__events.push(['progress', Number(progress.dataset.done)]))
  .observe(progress, { attributes: true, attributeFilter: ['data-done'] });
new MutationObserver((records) => {
  for (const record of records) {
    if (record.target.dataset.checked === 'true') window.__events.push(['checked', record.target.dataset.cell]);
  }
}).observe(document.getElementById('results'), { subtree: true, attributes: true, attributeFilter: ['data-checked'] });
"""


def test_fifty_photos_show_progress_and_the_page_answers_while_it_works(chromium, site_server, tmp_path):
    open_fresh(chromium, site_server.url)
    tensors = chromium.execute_script("return tf.memory().numTensors")
    drawn = [smear_file(tmp_path, f"smear-{seed}.png", seed=seed, white_cells=TWO_CELLS) for seed in range(3)]
    paths = [path for i, smear in enumerate(drawn) for path in copies(smear, tmp_path, 17, f"field{i}")][:PHOTOS]
    chromium.execute_script(RECORDER)
    chromium.find_element(By.ID, "file-input").send_keys("\n".join(str(p) for p in paths))

    first = WebDriverWait(chromium, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".cell"))[0]
    text = chromium.find_element(By.ID, "progress-text").text
    assert re.fullmatch(rf"Photo \d+ of {PHOTOS} \(\d+ cells? found so far\)", text), text
    first.click()
    press(chromium, "1")  # the first class: the cell is checked
    wait_until_idle(chromium, seconds=600)

    events = chromium.execute_script("return window.__events")
    steps = [value for kind, value in events if kind == "progress"]
    assert steps == sorted(steps) and steps[-1] == PHOTOS and len(set(steps)) > PHOTOS // 2
    checked = events.index(["checked", "1"])
    # Handled while photos were still being classified: the bar moved on afterwards.
    assert any(kind == "progress" and value < PHOTOS for kind, value in events[checked:]), events
    shown = read_page(chromium)
    assert len(shown["photos"]) == PHOTOS
    assert shown["white_total"] == sum(len(card["cells"]) for card in shown["photos"])
    assert chromium.execute_script("return tf.memory().numTensors") == tensors
