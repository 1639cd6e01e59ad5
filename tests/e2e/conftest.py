"""One real server on loopback and one headless Chromium, shared by the browser tests."""
import json
from pathlib import Path

import pytest

# The page helpers live in headless/ (the benchmark drives the page too); the tests import them from here.
from headless.chromium import (missing_tools, open_page, severe_console_messages, shown_probabilities,  # noqa: F401
                               start_chromium, upload)
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


def read_metadata(web_root: Path) -> tuple:
    index = json.loads((web_root / "models" / "index.json").read_text())
    entry = next(m for m in index["models"] if m["name"] == index["default"])
    folder = web_root / "models" / entry["path"]
    return json.loads((folder / "metadata.json").read_text()), folder
