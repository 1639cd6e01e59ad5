"""A technologist's review and the adaptation, driven through the page's own controls (button#confirm-cell,
button[data-assign], button#adapt-model, #adapt-status): shared by the browser tests and the benchmark."""
from selenium.webdriver.support.ui import WebDriverWait

# Each photo's first cell: selected by a click on its box, then confirmed when the page already says the
# true class, else corrected to it by its class button. Real clicks, one photo after another, waiting
# until the page has kept each reviewed cell.
REVIEW = """
const [truths, done] = arguments;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const kept = () => [...document.querySelectorAll('#reviewed-rows tr[data-count]')]
  .reduce((n, row) => n + Number(row.dataset.count), 0);
(async () => {
  const actions = { confirmed: 0, corrected: 0, missing: [] };
  for (const [file, truth] of Object.entries(truths)) {
    const card = [...document.querySelectorAll('.result')].find((c) => c.dataset.file === file);
    const box = card && card.querySelector('.cell[data-cell="1"]');
    if (!box) { actions.missing.push(file); continue; }
    const before = kept();
    box.click();
    await tick();
    if (box.dataset.class === truth) {
      document.getElementById('confirm-cell').click();
      actions.confirmed += 1;
    } else {
      document.querySelector(`#class-buttons button[data-assign="${truth}"]`).click();
      actions.corrected += 1;
    }
    const started = Date.now();
    while (kept() === before && Date.now() - started < 5000) await tick();
  }
  done(actions);
})().catch((error) => done({ error: error.message }));
"""

READ_STATUS = """
const status = document.getElementById('adapt-status');
return { state: status.dataset.state, text: status.textContent,
  before: status.dataset.before === undefined ? null : Number(status.dataset.before),
  after: status.dataset.after === undefined ? null : Number(status.dataset.after),
  seconds: status.dataset.seconds === undefined ? null : Number(status.dataset.seconds),
  reviewed: Object.fromEntries([...document.querySelectorAll('#reviewed-rows tr[data-count]')]
    .map((row) => [row.dataset.class, Number(row.dataset.count)])),
  adapt_enabled: !document.getElementById('adapt-model').disabled,
  revert_enabled: !document.getElementById('revert-model').disabled,
  model: document.getElementById('model-name').textContent };
"""


def review(driver, truths: dict, seconds=600) -> dict:
    """Reviews the first cell of each photo {file name: true class}; returns how many were confirmed and corrected."""
    driver.set_script_timeout(seconds)
    actions = driver.execute_async_script(REVIEW, truths)
    if actions.get("error"):
        raise RuntimeError(f"reviewing failed in the page: {actions['error']}")
    return actions


def adaptation_status(driver) -> dict:
    return driver.execute_script(READ_STATUS)


def adapt(driver, seconds=300) -> dict:
    """Clicks "Adapt to this microscope" and waits for its end (done, rejected or error)."""
    driver.find_element("id", "adapt-model").click()
    return adaptation_ended(driver, seconds)


def adaptation_ended(driver, seconds=300) -> dict:
    WebDriverWait(driver, seconds, poll_frequency=0.2).until(
        lambda d: adaptation_status(d)["state"] in ("done", "rejected", "error"))
    return adaptation_status(driver)
