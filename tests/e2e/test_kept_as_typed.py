"""The sample ID and target are kept the moment they are typed: a reload or a renderer crash right after
the last keystroke loses nothing (web/js/ui-samples.js)."""
import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from headless.chromium import open_page
from tests.e2e.smear_page import wait_until_idle


def type_sample(driver, label: str, target: str) -> None:
    """Typed with no pause, the ID last and without leaving its field (no change event)."""
    count = driver.find_element(By.ID, "target-count")
    count.send_keys(Keys.CONTROL, "a")
    count.send_keys(target)
    driver.find_element(By.ID, "sample-id").send_keys(label)


def spare_tab(driver) -> str:
    """A second tab, opened before typing (opening it after would move the focus, and blurring a field
    saves it anyway); the page's tab stays the current one."""
    page_tab = driver.current_window_handle
    driver.switch_to.new_window("tab")
    spare = driver.current_window_handle
    driver.switch_to.window(page_tab)
    return spare


def crash_renderer(driver, spare: str) -> None:
    """Crashes the current tab's renderer, as an out-of-memory kill would, and carries on in the spare
    tab (a crashed tab takes no more commands, not even one to open another)."""
    try:
        driver.execute_cdp_cmd("Page.crash", {})
    except WebDriverException:
        pass  # the tab's renderer is gone, as it is meant to be
    try:
        driver.close()
    except WebDriverException:
        pass  # already gone with its renderer
    driver.switch_to.window(spare)


def reopened(driver, url: str) -> tuple[str, str]:
    open_page(driver, url)
    wait_until_idle(driver)
    return (driver.find_element(By.ID, "sample-id").get_attribute("value"),
            driver.find_element(By.ID, "target-count").get_attribute("value"))


def test_a_reload_right_after_typing_keeps_the_id_and_target(fresh_page, plain_site):
    type_sample(fresh_page, "LAB-77 last keys", "250")
    fresh_page.get(plain_site.url)  # at once: no pause, no blur
    assert reopened(fresh_page, plain_site.url) == ("LAB-77 last keys", "250")


def test_a_crash_right_after_typing_keeps_the_id_and_target(fresh_page, plain_site):
    spare = spare_tab(fresh_page)
    type_sample(fresh_page, "LAB-78 before the crash", "300")
    crash_renderer(fresh_page, spare)
    assert reopened(fresh_page, plain_site.url) == ("LAB-78 before the crash", "300")


@pytest.mark.parametrize("typed", ["0", "-5", "abc"])
def test_a_target_that_is_not_a_count_is_never_kept(fresh_page, plain_site, typed):
    type_sample(fresh_page, "LAB-79", typed)
    fresh_page.get(plain_site.url)
    assert reopened(fresh_page, plain_site.url) == ("LAB-79", "100")
