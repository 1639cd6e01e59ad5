"""The cells of a photo: what the page classifies in one photo, defined once here and once in its twin
web/js/photo-cells.js (a parity test holds them together over photos of every lab). Training's
evaluation, recalibration and the bench all go through it, so they score what the page shows.
"""
import numpy as np

from core.finder import find_candidates, pick_main
from core.preprocess import crop_mode, crop_square, square_input


def photo_cells(rgb: np.ndarray, spec: dict, look_anyway: bool = False) -> dict:
    """{"status": "cells" | "no-cells" | "not-smear", "smear": the check's verdict, "cells": [{"square",
    "touches_edge", "nucleus_box", "cell_box"}], "main": index of the photo's main cell or None}, from a colour-corrected photo.

    A model without the finder sees each photo as one cell, the square it was trained on. With it: every
    white cell, most prominent first (ties: raster order), and the main one (pick_main, the cell training
    uses for a photo of one cell) when it is among them; none when the photo fails the smear check, unless
    the person looked for cells anyway. cell_box (top, left, bottom, right) is the cell's own extent and
    touches_edge whether the photo's edge cuts it (core/cell_extent.py), not its crop square's."""
    if not crop_mode(spec["crop"]).finds_cells:
        return {"status": "cells", "smear": True, "cells": [{"square": crop_square(rgb, spec), "touches_edge": False,
                                                     "nucleus_box": None, "cell_box": None}],
                "main": 0}
    candidates, info = find_candidates(rgb, spec["finder"])
    smear = bool(info["smear"]["is_smear"]) or not spec["finder"]["require_smear"]
    if not smear and not look_anyway:
        return {"status": "not-smear", "smear": False, "cells": [], "main": None}
    white = sorted((c for c in candidates if c["white"]), key=lambda c: -c["score"])
    main = pick_main(candidates)
    return {"status": "cells" if white else "no-cells", "smear": smear,
            "cells": [{"square": c["crop"], "touches_edge": c["cut_by_edge"], "nucleus_box": c["nucleus_box"],
                       "cell_box": c["cell_box"]} for c in white],
            "main": next((k for k, c in enumerate(white) if c is main), None)}


def cell_inputs(rgb: np.ndarray, spec: dict, look_anyway: bool = False) -> list:
    """The model's input for every cell the page would classify in this (colour-corrected) photo."""
    return [square_input(rgb, cell["square"], spec) for cell in photo_cells(rgb, spec, look_anyway)["cells"]]
