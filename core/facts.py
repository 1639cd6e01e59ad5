"""Facts the browser and Python share, read from the one file both use: web/js/facts.json."""
import json
from pathlib import Path

FACTS_FILE = Path(__file__).resolve().parent.parent / "web" / "js" / "facts.json"
# UTF-8 said outright: Windows would otherwise read it in the local code page.
FACTS = json.loads(FACTS_FILE.read_text(encoding="utf-8"))

# Larger images are refused, here and in the browser, whose decoding would exhaust a laptop's memory.
MAX_PIXELS: int = FACTS["max_pixels"]
IMAGE_FORMATS: list = FACTS["image_formats"]
IMAGE_SUFFIXES = frozenset(suffix for kind in IMAGE_FORMATS for suffix in kind["suffixes"])
SUPPORTED_PREPROCESSING = {key: frozenset(values) for key, values in FACTS["preprocessing"]["supported"].items()}
PREPROCESSING_DEFAULTS: dict = FACTS["preprocessing"]["defaults"]
NO_MODEL_FIX: str = FACTS["no_model_fix"]
# The smear check's settings, for a finder spec written before they existed.
SMEAR_CHECK_DEFAULTS: dict = {key: value for key, value in FACTS["smear_check"].items() if key != "about"}
# The finder's lobe and cut-cell settings, for a finder spec written before they existed.
LOBE_AND_CUT_CELL_DEFAULTS: dict = {key: value for key, value in FACTS["lobes_and_cut_cells"].items()
                                    if key != "about"}
# The finder's pale-cell settings, for a finder spec written before they existed.
PALE_CELL_DEFAULTS: dict = {key: value for key, value in FACTS["pale_cells"].items() if key != "about"}


def megapixels(pixels: int) -> str:
    """"50.4 megapixels": as few decimals as show a size over MAX_PIXELS to be over it, rounded half
    up in whole numbers, as megapixels() in web/js/image-file.js does (a parity test holds them together)."""
    for digits in range(4):
        scaled = (pixels * 10**digits + 500_000) // 10**6
        if scaled * 10 ** (6 - digits) > MAX_PIXELS:
            return f"{scaled / 10**digits:.{digits}f} megapixels"
    return f"{pixels:,} pixels"
