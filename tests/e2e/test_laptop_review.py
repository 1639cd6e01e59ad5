"""What got in a technologist's way on a walk through a whole review at laptop size (1366x768 and 1280x720
screens), each checked on the real page, the shipped model and real headless Chromium: a white-cell count
typed with a decimal comma, the sign-off's refusal once the review is done, a signed sample's keys, the
printed report with photos, and an earlier sample opened from the bottom of the list."""
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from headless.chromium import confirm
from headless.site_server import RunningServer
from tests.conftest import REPO
from tests.e2e.page_results import upload
from tests.e2e.smear_page import TWO_CELLS, cell_box, open_fresh, press, smear_file, variant_site, wait_until_idle
from tests.e2e.test_laptop import (  # noqa: F401 (fixtures)
    ISO_WITH_ZONE, assert_in_view, confirm_next, laptop, selected, sign_with, three_photos, unsure_site,
)

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


def sign_note(driver) -> str:
    return driver.find_element(By.ID, "sign-note").text


def test_the_refused_sign_off_follows_the_review_and_a_signed_sample_says_so_beside_the_cell(laptop, three_photos):
    laptop.find_element(By.ID, "sign-off").click()
    assert sign_note(laptop).startswith("Not signed: 4 cells await review")
    confirm_next(laptop)
    assert sign_note(laptop).startswith("Not signed: 3 cells await review")  # not the 4 of before
    assert_in_view(laptop, [selected(laptop), laptop.find_element(By.ID, "sign-note")])  # the note beside, not instead
    confirm_next(laptop, 2)
    press(laptop, "n")
    press(laptop, "x")  # reviewed too: "not a cell"
    assert sign_note(laptop) == "Every flagged cell is reviewed: the sample can be signed off now."
    assert "refused" not in laptop.find_element(By.ID, "sign-note").get_attribute("class")
    press(laptop, "x")  # counted again, unreviewed: it awaits review once more, and the note says so
    assert sign_note(laptop).startswith("Not signed: 1 cell awaits review")
    press(laptop, Keys.ENTER)
    assert sign_note(laptop) == "Every flagged cell is reviewed: the sample can be signed off now."

    # The dialog's missing field gets the focus along with its message.
    laptop.find_element(By.ID, "sign-off").click()
    laptop.find_element(By.ID, "sign-ok").click()
    assert laptop.find_element(By.ID, "sign-error").text == "Type your initials."
    assert laptop.switch_to.active_element.get_attribute("id") == "sign-initials"
    laptop.find_element(By.ID, "sign-cancel").click()
    sign_with(laptop, "AB")
    status = laptop.find_element(By.ID, "status").text
    assert status.startswith("Signed off: this sample is read-only") and "choose or drop" not in status

    # A key on a signed sample changes nothing, and the inspector says why where the person is looking.
    box = cell_box(laptop, "two.png", 2)
    laptop.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.click()
    press(laptop, "5")
    assert selected(laptop).get_attribute("data-corrected") is None
    locked = laptop.find_element(By.ID, "inspector-locked")
    assert locked.is_displayed() and "reopened" in locked.text
    assert_in_view(laptop, [selected(laptop), locked])
    assert "Enter" not in laptop.find_element(By.ID, "inspector-state").text

    # Reopening: a missing reason gets the focus; once reopened the keys work again and the hints come back.
    laptop.find_element(By.ID, "sign-off").click()
    laptop.find_element(By.ID, "sign-initials").send_keys("CD")
    laptop.find_element(By.ID, "sign-ok").click()
    assert laptop.find_element(By.ID, "sign-error").text == "Say why it is reopened."
    assert laptop.switch_to.active_element.get_attribute("id") == "reopen-reason"
    laptop.switch_to.active_element.send_keys("recount")
    laptop.find_element(By.ID, "sign-ok").click()
    WebDriverWait(laptop, 5).until(lambda d: d.find_element(By.ID, "sign-state").get_attribute("data-state") == "draft")
    assert not laptop.find_element(By.ID, "inspector-locked").is_displayed()
    assert laptop.find_element(By.ID, "status").text == "Ready: choose or drop smear photos."


PLACES = """return ['#summary', '.photos-column'].map((selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return [box.top + scrollY, box.bottom + scrollY, getComputedStyle(document.querySelector(selector)).breakBefore];
});"""


def test_the_printed_report_gives_the_count_before_the_photos(laptop, three_photos):
    cell_box(laptop, "two.png", 1).click()  # a selected cell: on paper it is drawn as any other
    unselected = cell_box(laptop, "two.png", 2)
    laptop.execute_script("window.scrollTo(0, 0)")
    laptop.find_element(By.ID, "print-photos").click()
    laptop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        (_, count_bottom, _), (photos_top, _, photos_break) = laptop.execute_script(PLACES)
        assert count_bottom <= photos_top and photos_break == "page"
        assert selected(laptop).value_of_css_property("box-shadow") == unselected.value_of_css_property("box-shadow")
    finally:
        laptop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_an_earlier_sample_opens_at_its_top_and_the_list_says_which_are_signed(laptop, three_photos, tmp_path):
    laptop.find_element(By.ID, "sample-id").send_keys("LAB-7")
    laptop.execute_script("document.activeElement.blur()")  # keys typed in a field never review a cell
    confirm_next(laptop, 4)
    sign_with(laptop, "AB")
    laptop.find_element(By.ID, "new-sample").click()
    confirm(laptop)
    WebDriverWait(laptop, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".result"))
    upload(laptop, [smear_file(tmp_path, "next.png", seed=5)])
    item = laptop.find_element(By.CSS_SELECTOR, "#sample-list li")
    assert re.fullmatch(f"signed by AB at {ISO_WITH_ZONE}", item.find_element(By.CSS_SELECTOR, ".review").text)
    # When it was started, as the report and the CSV write dates: ISO 8601 with the time zone.
    assert re.fullmatch(f"started {ISO_WITH_ZONE}; 3 photos", item.find_element(By.CSS_SELECTOR, ".when").text)

    laptop.execute_script("window.scrollTo(0, document.body.scrollHeight)")  # the list is at the bottom
    item.find_element(By.CSS_SELECTOR, 'button[data-action="open"]').click()
    WebDriverWait(laptop, 30).until(lambda d: d.find_element(By.ID, "sample-id").get_attribute("value") == "LAB-7")
    wait_until_idle(laptop)
    WebDriverWait(laptop, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".result")) == 3)
    assert laptop.execute_script("return scrollY") == 0  # its top, not the middle of its photos
    # The focus is not lost with the list: it is on what can be done first, reopening the signed sample.
    assert laptop.switch_to.active_element.get_attribute("id") == "sign-off"
    assert laptop.switch_to.active_element.text == "Reopen…"
    assert laptop.find_element(By.CSS_SELECTOR, "#sample-list li .review").text == "DRAFT"


def test_with_no_cell_flagged_the_review_queue_says_so(laptop, tmp_path):
    """Not "0 of 0 flagged cells reviewed" beside a greyed "Next to review"."""
    server = RunningServer(variant_site(REPO / "web", tmp_path / "sure", review={"min_probability": 0.0, "min_margin": 0.0}))
    try:
        open_fresh(laptop, server.url)
        upload(laptop, [smear_file(tmp_path, "two.png", white_cells=TWO_CELLS)])
        assert laptop.find_element(By.ID, "review-progress").text == "No cell flagged for review"
        assert not laptop.find_element(By.ID, "next-review").is_enabled()
    finally:
        server.stop()


def visible_part(driver, element) -> float:
    """How much of an element's height is inside the window, from 0 to 1."""
    top, bottom, height = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom, innerHeight];", element)
    return max(0.0, min(bottom, height) - max(top, 0)) / (bottom - top)


def test_sign_off_export_and_print_are_where_the_review_ends(laptop, three_photos):
    """Not at the top of the page: beside the selected cell (signing off) and at the head of the differential."""
    confirm_next(laptop, 4)  # the whole review, in the photos
    sign_off = laptop.find_element(By.ID, "sign-off")
    assert_in_view(laptop, [selected(laptop), sign_off])
    # From the last cell of the last photo, a few Tabs reach it (not Shift+Tab back past every cell).
    last = laptop.find_elements(By.CSS_SELECTOR, ".cell")[-1]
    laptop.execute_script("arguments[0].scrollIntoView({block: 'center'})", last)
    last.click()
    for _ in range(6):
        press(laptop, Keys.TAB)
        if laptop.switch_to.active_element == sign_off:
            break
    assert laptop.switch_to.active_element == sign_off
    assert_in_view(laptop, [sign_off, last])  # the page did not go back up, away from the photos
    press(laptop, Keys.ENTER)
    laptop.find_element(By.ID, "sign-initials").send_keys("AB", Keys.ENTER)
    WebDriverWait(laptop, 5).until(lambda d: d.find_element(By.ID, "sign-state").get_attribute("data-state") == "signed")
    # Signed: the next Tabs are the CSV and the report, shown where they are (the side column scrolls to
    # them; the photos stay in view).
    assert laptop.switch_to.active_element == sign_off
    for name in ("export-csv", "print-report"):
        press(laptop, Keys.TAB)
        assert laptop.switch_to.active_element.get_attribute("id") == name
        assert visible_part(laptop, laptop.switch_to.active_element) == 1
        assert visible_part(laptop, last) == 1


def test_a_selected_cell_comes_into_view_with_its_whole_photo_and_the_colour_key_is_never_cut(laptop, tmp_path):
    """From the top of the page, and with N to a cell whose photo is below the window: the photo whole in the
    window from its top, not the box alone at the window's bottom edge; the colour key above the first photo
    is wholly in view or wholly out of it."""
    # Tall photos (shown as high as the window allows) with their cell low in them.
    paths = [smear_file(tmp_path, f"low-{i}.png", seed=7 + i, size=(600, 800), white_cells=((520, 300 + 100 * i),))
             for i in range(3)]
    upload(laptop, paths)
    legend = laptop.find_element(By.ID, "legend")
    laptop.execute_script("window.scrollTo(0, 0)")
    for step in range(3):
        press(laptop, "n")
        box = selected(laptop)
        photo_view = box.find_element(By.XPATH, "ancestor::div[contains(@class, 'photo-view')]")
        assert visible_part(laptop, legend) in (0, 1), step
        assert visible_part(laptop, photo_view) == 1, step
        assert_in_view(laptop, [box])
        press(laptop, Keys.ENTER)
