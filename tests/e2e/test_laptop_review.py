"""What got in a technologist's way on a walk through a whole review at laptop size (1366x768 and 1280x720
screens), each checked on the real page, the shipped model and real headless Chromium: a white-cell count
typed with a decimal comma, the sign-off's refusal once the review is done, a signed sample's keys, the
printed report with photos, and an earlier sample opened from the bottom of the list."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_laptop import laptop, three_photos, unsure_site  # noqa: F401 (fixtures)

# Where the pieces of the unit "×10⁹/L" beside the white-cell count are drawn: the text before the
# superscript, the superscript, the text after it.
UNIT_PIECES = """
const unit = document.getElementById('wbc-count').parentElement.querySelector('sup').parentElement;
const rect = (node) => { const range = document.createRange(); range.selectNodeContents(node);
  const box = range.getBoundingClientRect(); return [box.left, box.right]; };
return [...unit.childNodes].map(rect);
"""


def white_total_absolute(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "#differential tr.total td.absolute").text


def test_a_white_cell_count_typed_with_a_decimal_comma_is_read_as_typed(laptop, three_photos):
    wbc = laptop.find_element(By.ID, "wbc-count")
    wbc.send_keys("7,4", Keys.ENTER)  # as analysers print it in much of the world: 7.4, never 74
    WebDriverWait(laptop, 5).until(lambda d: white_total_absolute(d) == "7.40")
    assert laptop.find_element(By.ID, "report-wbc").get_attribute("textContent") == "7.4 ×10⁹/L"
    assert laptop.find_element(By.ID, "wbc-note").text == ""
    for typed in ("7.4.1", "7,4 G/L", "seven"):  # anything but a count is refused, said why, and the count kept
        wbc.send_keys(Keys.CONTROL, "a")
        wbc.send_keys(typed, Keys.TAB)
        note = laptop.find_element(By.ID, "wbc-note").text
        assert note.startswith(f'Not used: "{typed}"') and "between 0.01 and 1000" in note, note
        assert wbc.get_attribute("value") == "7.4" and white_total_absolute(laptop) == "7.40"
    wbc.send_keys(Keys.CONTROL, "a")
    wbc.send_keys(Keys.BACKSPACE, Keys.TAB)  # emptied: no count, no absolute column
    WebDriverWait(laptop, 5).until(lambda d: not d.find_element(By.CSS_SELECTOR, "#differential th.absolute").is_displayed())
    # The unit reads as one: "×10", the superscript 9 and "/L" touch (no gap of the row's layout between them).
    pieces = laptop.execute_script(UNIT_PIECES)
    assert len(pieces) == 3
    for (_, right), (left, _) in zip(pieces, pieces[1:]):
        assert abs(left - right) <= 1, pieces
