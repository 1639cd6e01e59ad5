"""web/js/image-file.js beside core/facts.py: the size a refused photo is given as, in both languages."""
import json

import pytest

from core.facts import MAX_PIXELS, megapixels
from tests.js_runner import run_module_script

PIXEL_COUNTS = [8200 * 6150, 20000 * 20000, 8000 * 8000, MAX_PIXELS + 1, MAX_PIXELS + 40_000, MAX_PIXELS + 499_999,
                MAX_PIXELS + 500_000, MAX_PIXELS + 50_000, MAX_PIXELS + 5_000, 123_456_789]


@pytest.fixture(scope="module")
def javascript_texts(tmp_path_factory):
    printed = run_module_script(tmp_path_factory.mktemp("js"), (
        "import { megapixels } from './image-file.js';\n"
        f"console.log(JSON.stringify({json.dumps(PIXEL_COUNTS)}.map(megapixels)));\n"))
    return dict(zip(PIXEL_COUNTS, json.loads(printed)))


@pytest.mark.parametrize(("pixels", "text"), [
    (8200 * 6150, "50.4 megapixels"), (20000 * 20000, "400 megapixels"), (MAX_PIXELS + 500_000, "51 megapixels"),
    (MAX_PIXELS + 40_000, "50.04 megapixels"), (MAX_PIXELS + 1, "50,000,001 pixels")])
def test_a_size_over_the_limit_is_never_shown_as_the_limit(pixels, text):
    assert megapixels(pixels) == text


def test_javascript_gives_the_same_size_as_python(javascript_texts):
    assert javascript_texts == {pixels: megapixels(pixels) for pixels in PIXEL_COUNTS}
