"""Colour constancy: the page (web/js/colour.js) corrects every pixel as Python (core/colour.py) does, on
drawn photos and on real photos of every lab; a cast photo comes out as the uncast one does, and the finder
finds the same cells in it."""
from pathlib import Path

import numpy as np
import pytest

from bench.casts import CASTS, cast
from core.colour import colour_reference, constant_colour, default_colour_spec
from core.finder import default_finder_spec, find_cells
from core.preprocess import load_rgb
from tests.conftest import SHARED_DATA, draw_smear
from tests.js_runner import run_on_images

SPEC = default_colour_spec()
LABS = {"pbc": "pbc/VAL/*/*.jpg", "blood-cells": "blood-cells/TEST_SIMPLE/*/*.jpeg",
        "bccd-smears": "bccd-smears/JPEGImages/*.jpg", "deepbionet-fields": "deepbionet-fields/JPEGImages/*.jpg",
        "raabin-fields": "raabin-fields/JPEGImages/*.jpg", "bcd-fields": "bcd-fields/JPEGImages/*.jpg",
        "tecom": "tecom/VAL/*/*"}


def javascript_corrections(images: dict, workdir: Path) -> dict:
    """colour.js on the same pixels: {name: (white point, corrected RGB)}, all in one Node run."""
    imports = "import { writeFileSync } from 'node:fs';\nimport { colourReference, constantColour } from './colour.js';\n"
    points = run_on_images(workdir, list(images.values()), SPEC, imports, (
        "  writeFileSync(new URL(`./out${number}.rgba`, import.meta.url), constantColour(image, spec).data);\n"
        "  return colourReference(image, spec).whitePoint;\n"))
    answers = {}
    for number, (name, rgb) in enumerate(images.items()):
        rgba = np.frombuffer((workdir / f"out{number}.rgba").read_bytes(), np.uint8).reshape(rgb.shape[:2] + (4,))
        answers[name] = (points[number], rgba[..., :3])
    return answers


def assert_same_corrections(images: dict, workdir: Path) -> None:
    for name, (point, corrected) in javascript_corrections(images, workdir).items():
        assert point == colour_reference(images[name], SPEC)["white_point"], name
        np.testing.assert_array_equal(corrected, constant_colour(images[name], SPEC), err_msg=name)


def test_javascript_corrects_drawn_and_awkward_photos_as_python_does(tmp_path):
    rng = np.random.default_rng(5)
    smear = draw_smear(rng)
    images = {f"{name} cast": cast(smear, name) for name in CASTS}
    images.update({"plain": smear, "odd size": draw_smear(rng, size=(333, 517)), "one pixel": smear[:1, :1],
                   "black": np.zeros((40, 30, 3), np.uint8), "white": np.full((30, 40, 3), 255, np.uint8),
                   "noise": rng.integers(0, 256, (97, 131, 3), dtype=np.uint8),
                   "a 2000x1500 camera photo": np.kron(smear[:300, :400], np.ones((5, 5, 1), np.uint8))})
    assert_same_corrections(images, tmp_path)


def photos_of_every_lab(per_lab: int) -> dict:
    """{path: decoded RGB} of per_lab photos spread over each lab; skips when a lab's photos are not here."""
    images = {}
    for lab, pattern in LABS.items():
        photos = sorted(SHARED_DATA.glob(pattern))
        if not photos:
            pytest.skip(f"the {lab} photos ({SHARED_DATA / pattern}) are not here")
        images.update({str(path): load_rgb(path) for path in photos[:: max(1, len(photos) // per_lab)][:per_lab]})
    return images


def test_javascript_corrects_real_photos_of_every_lab_as_python_does(tmp_path):
    assert_same_corrections(photos_of_every_lab(6), tmp_path)


@pytest.mark.parametrize("name", list(CASTS))
def test_a_cast_photo_comes_out_as_the_uncast_one(name):
    smear = draw_smear(np.random.default_rng(7))
    plain = constant_colour(smear, SPEC).astype(int)
    corrected = constant_colour(cast(smear, name), SPEC).astype(int)
    background = plain.sum(axis=-1) >= np.quantile(plain.sum(axis=-1), 0.9)
    assert np.abs(corrected[background].mean(axis=0) - plain[background].mean(axis=0)).max() <= 3
    if name != "over-exposed":  # clipped highlights cannot come back
        assert np.median(np.abs(corrected - plain)) <= 4


def test_the_background_becomes_the_canonical_one():
    smear = cast(draw_smear(np.random.default_rng(8)), "green")
    corrected = constant_colour(smear, SPEC)
    white = colour_reference(corrected, SPEC)["white_point"]
    assert np.abs(np.array(white) - SPEC["target_background"]).max() <= 2


@pytest.mark.parametrize("name", list(CASTS))
def test_the_finder_finds_the_same_cells_in_a_cast_photo_once_corrected(name):
    finder = default_finder_spec()
    smear = draw_smear(np.random.default_rng(9), white_cells=((120, 160), (330, 470)))
    expected = [cell["centre"] for cell in find_cells(constant_colour(smear, SPEC), finder)]
    found = [cell["centre"] for cell in find_cells(constant_colour(cast(smear, name), SPEC), finder)]
    assert len(expected) == 2
    assert len(found) == 2
    for (y, x), (ey, ex) in zip(sorted(found), sorted(expected)):
        assert abs(y - ey) <= 4 and abs(x - ex) <= 4


def test_no_colour_block_leaves_the_photo_as_it_is():
    smear = draw_smear(np.random.default_rng(10))
    assert constant_colour(smear, None) is smear
    assert constant_colour(smear, {**SPEC, "method": "none"}) is smear
    with pytest.raises(ValueError, match="unsupported colour constancy method"):
        constant_colour(smear, {**SPEC, "method": "grey_world"})
