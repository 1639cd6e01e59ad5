"""One real server on loopback and one headless Chromium, shared by the browser tests."""
import pytest

from headless.chromium import missing_tools, start_chromium
from headless.site_server import RunningServer
from tests.conftest import REPO
from tests.e2e.smear_page import open_fresh, variant_site


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    missing = missing_tools()
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: browser tests need Debian's chromium and chromium-driver "
                    "(make browser)")
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


@pytest.fixture(scope="session")
def plain_site(published_site, tmp_path_factory):
    """The published site without review thresholds (the page flags nothing), on an origin of its own."""
    server = RunningServer(variant_site(published_site, tmp_path_factory.mktemp("plain"), review=None))
    yield server
    server.stop()


@pytest.fixture
def fresh_page(chromium, plain_site):
    """The plain site with nothing kept from the tests before: an empty sample."""
    open_fresh(chromium, plain_site.url)
    return chromium
