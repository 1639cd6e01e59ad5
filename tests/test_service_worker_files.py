"""web/sw.js keeps the page shell for offline use: its list must name files that exist (one missing
file and the service worker never installs) and every module the page can import."""
import json
import re

from tests.conftest import REPO

WEB = REPO / "web"


def shell_list() -> list:
    source = (WEB / "sw.js").read_text()
    block = re.search(r"const SHELL = \[(.*?)\];", source, re.S).group(1)
    return re.findall(r"'([^']+)'", block)


def test_every_listed_file_exists():
    missing = [path for path in shell_list() if path != "./" and not (WEB / path).is_file()]
    assert missing == []


def test_every_page_module_and_the_page_itself_are_listed():
    listed = set(shell_list())
    modules = {f"js/{path.name}" for path in (WEB / "js").glob("*.js")}
    assert modules - listed == set()
    assert {"./", "index.html", "style.css", "manifest.webmanifest"} <= listed


def test_every_file_the_page_links_is_listed():
    html = (WEB / "index.html").read_text()
    linked = set(re.findall(r'(?:src|href)="([^"]+)"', html))
    assert linked - set(shell_list()) == set()


def test_the_manifest_icons_are_listed():
    icons = {icon["src"] for icon in json.loads((WEB / "manifest.webmanifest").read_text())["icons"]}
    assert icons - set(shell_list()) == set()
