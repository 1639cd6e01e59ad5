"""One real server on loopback and one headless Chromium, shared by the browser tests."""
import pytest

from headless.chromium import missing_tools, start_chromium
from headless.site_server import RunningServer
from tests.conftest import REPO


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
