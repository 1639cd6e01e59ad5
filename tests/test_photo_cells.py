"""The cells of a photo: the page (web/js/photo-cells.js) lists the very cells Python (core/photo_cells.py)
lists, on drawn photos and on real photos of every lab, and a photo refused as not a smear gives its cells
when the person looks for them anyway."""
import json
from pathlib import Path

import numpy as np
import pytest

from core.colour import constant_colour
from core.photo_cells import cell_inputs, photo_cells
from core.preprocess import load_rgb, preprocessing_spec
from tests.conftest import SHARED_DATA, draw_smear
from tests.test_cell_extent import cell_with_clump
from tests.js_runner import run_on_images
from tests.test_colour import photos_of_every_lab

SPEC = preprocessing_spec()


def javascript_cells(images: dict, look_anyway: bool, workdir: Path) -> list:
    imports = "import { constantColour } from './colour.js';\nimport { photoCells } from './photo-cells.js';\n"
    return run_on_images(workdir, list(images.values()), SPEC, imports, (
        f"  return photoCells(constantColour(image, spec.colour), spec, {json.dumps(look_anyway)});\n"))


def python_cells(rgb: np.ndarray, look_anyway: bool) -> dict:
    return json.loads(json.dumps(photo_cells(constant_colour(rgb, SPEC["colour"]), SPEC, look_anyway), default=int))


def assert_same_cells(images: dict, workdir: Path, look_anyway: bool = False) -> None:
    for name, js in zip(images, javascript_cells(images, look_anyway, workdir)):
        assert js == python_cells(images[name], look_anyway), name


def not_a_smear() -> np.ndarray:
    """A green field with purple blobs above a band of darker green (foliage): stained-looking spots, but most
    of what is not background lets green through best, as nothing in a smear does. (Two purple blobs alone on
    a plain field of any colour are a sparse smear under a colour cast, and pass the check.)"""
    rgb = np.full((240, 320, 3), (60, 150, 60), np.uint8)
    rgb[200:] = (30, 100, 30)
    yy, xx = np.mgrid[:240, :320]
    for cy, cx in ((60, 80), (150, 230)):
        rgb[(yy - cy) ** 2 + (xx - cx) ** 2 < 20 ** 2] = (110, 50, 160)
    return rgb


def test_javascript_lists_the_cells_python_lists_on_drawn_photos(tmp_path):
    rng = np.random.default_rng(11)
    images = {"one cell": draw_smear(rng), "two cells": draw_smear(rng, white_cells=((120, 150), (330, 480))),
              "cut by the edge": draw_smear(rng, white_cells=((10, 600),)), "not a smear": not_a_smear(),
              "a clump from a cell to the edge": cell_with_clump(rng),
              "blank": np.full((60, 80, 3), 235, np.uint8)}
    assert_same_cells(images, tmp_path)
    assert_same_cells(images, tmp_path, look_anyway=True)


def test_javascript_lists_the_cells_python_lists_on_every_lab(tmp_path):
    assert_same_cells(photos_of_every_lab(5), tmp_path)


def test_a_refused_photo_gives_its_cells_when_looked_at_anyway():
    refused = photo_cells(not_a_smear(), SPEC)
    assert refused["status"] == "not-smear" and refused["cells"] == [] and cell_inputs(not_a_smear(), SPEC) == []
    looked = photo_cells(not_a_smear(), SPEC, look_anyway=True)
    assert looked["status"] == "cells" and not looked["smear"] and len(looked["cells"]) == 2
    assert len(cell_inputs(not_a_smear(), SPEC, look_anyway=True)) == 2


def test_a_model_without_the_finder_sees_one_square_per_photo():
    smear = draw_smear(np.random.default_rng(12))
    for crop in ("cell_centred", "full_frame"):
        cells = photo_cells(smear, preprocessing_spec(crop=crop))
        assert cells["status"] == "cells" and cells["main"] == 0 and len(cells["cells"]) == 1
    assert photo_cells(smear, preprocessing_spec(crop="full_frame"))["cells"][0]["square"] is None


# tecom's monocytes whose nuclei colour constancy leaves paler than white_min_density (mean stain 10-15 per
# pixel) under the lab's yellow cast: each is found by the finder's pale-cell rule alone.
PALE_TECOM_MONOCYTES = ("tecom-087.png", "tecom-093.png", "tecom-115.png", "tecom-116.png", "tecom-120.png",
                        "tecom-129.png")


def test_tecoms_pale_monocytes_are_each_one_cell_on_both_sides(tmp_path):
    folder = SHARED_DATA / "tecom" / "VAL" / "MONOCYTE"
    if not folder.is_dir():
        pytest.skip(f"tecom's validation photos are not here ({folder})")
    photos = {name: load_rgb(folder / name) for name in PALE_TECOM_MONOCYTES}
    assert [len(python_cells(rgb, False)["cells"]) for rgb in photos.values()] == [1] * len(photos)
    without_the_rule = {**SPEC["finder"], "pale_cell_ruler_percent": 10 ** 6}
    assert all(photo_cells(constant_colour(rgb, SPEC["colour"]), {**SPEC, "finder": without_the_rule})["cells"] == []
               for rgb in photos.values())
    assert_same_cells(photos, tmp_path)


def test_a_cell_a_person_points_at_is_cut_as_the_finder_would_cut_the_group_there(tmp_path):
    """cellAt (the page's "Add a missed cell"): a point on a nucleus the finder judged no white cell (a pale one,
    with the pale-cell rule off) gives that group's own crop; a point on bare glass gives a square of the photo's
    other cells' median side, centred on the point; with no other cell, as the finder cuts a nucleus one red
    cell wide."""
    from core.finder import find_candidates
    from tests.test_finder import pale_nucleus

    rgb = pale_nucleus(66)
    spec = {**SPEC, "finder": {**SPEC["finder"], "pale_cell_ruler_percent": 10 ** 6}}
    candidates, info = find_candidates(rgb, spec["finder"])
    nucleus = max(candidates, key=lambda c: c["mass"])
    assert not any(c["white"] for c in candidates), "the drawing must be a cell the finder misses"
    on, beside, bare = run_on_images(tmp_path, [rgb], spec, "import { cellAt } from './photo-cells.js';\n",
                                     "  return [cellAt(image, spec, [240, 300]), cellAt(image, spec, [20, 20], [50, 61, 70]),\n"
                                     "          cellAt(image, spec, [20, 20])];\n")[0]
    assert on["square"] == list(nucleus["crop"]) and on["cell_box"] is None
    assert beside["square"] == [20 - 30, 20 - 30, 61] and beside["nucleus_box"] is None
    num, den = spec["finder"]["crop_scale"]
    assert bare["square"][2] == max(spec["finder"]["min_crop_side"], info["ruler"] * num // den), "a red cell's width, cut as a nucleus"
