"""Finding white cells: the browser (web/js/finder.js) finds the very cells Python (core/finder.py) finds,
a cell gives the same crop whatever the zoom, and what is not a smear gives no cells."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.finder import default_finder_spec, find_candidates, find_cells, main_cell_crop
from core.preprocess import load_rgb
from tests.conftest import SHARED_DATA, draw_smear
from tests.test_cell_extent import cell_with_clump
from tests.js_runner import run_on_images

SPEC = default_finder_spec()
ZOOMS = (0.5, 0.7, 1.0, 1.4, 2.0)


def python_answer(rgb: np.ndarray) -> dict:
    candidates, info = find_candidates(rgb, SPEC)
    return json.loads(json.dumps({"candidates": candidates, "info": info, "cells": find_cells(rgb, SPEC),
                                  "crop": main_cell_crop(rgb, SPEC)}, default=int))


def javascript_answers(images: list, workdir: Path) -> list:
    """finder.js on the same pixels, all images in one Node run."""
    return run_on_images(workdir, images, SPEC, "import { findCandidates, findCells, mainCellCrop } from './finder.js';\n", (
        "  const { cells: candidates, info } = findCandidates(image, spec);\n"
        "  return { candidates, info, cells: findCells(image, spec), crop: mainCellCrop(image, spec) };\n"))


def assert_same_answers(named_images: dict, workdir: Path) -> None:
    names, images = list(named_images), list(named_images.values())
    for name, js in zip(names, javascript_answers(images, workdir)):
        python = python_answer(named_images[name])
        assert json.loads(json.dumps(js)) == python, name


def real_photos() -> dict:
    """pbc tiles of every class, every blood-cells TEST_SIMPLE frame, whole smears, large photos."""
    pbc = sorted((SHARED_DATA / "pbc" / "VAL").glob("*/*.jpg"))
    frames = sorted((SHARED_DATA / "blood-cells" / "TEST_SIMPLE").glob("*/*.jpeg"))
    smears = sorted((SHARED_DATA / "bccd-smears" / "JPEGImages").glob("*.jpg"))
    if not (pbc and frames and smears):
        pytest.skip(f"real datasets (pbc, blood-cells, bccd-smears) not found under {SHARED_DATA}")
    photos = {str(path): load_rgb(path) for path in pbc[::60] + frames[::3] + smears[::30]}
    with Image.open(smears[0]) as smear:
        photos["a smear as a 4000x3000 camera photo"] = np.asarray(smear.convert("RGB").resize((4000, 3000)))
    with Image.open(pbc[0]) as tile:
        photos["a pbc tile at its full published size"] = np.asarray(tile.convert("RGB").resize((360, 363)))
    return photos


def test_javascript_finds_what_python_finds_on_drawn_and_awkward_images(tmp_path):
    rng = np.random.default_rng(3)
    images = {
        "one white cell": draw_smear(rng),
        "two white cells": draw_smear(rng, white_cells=((120, 150), (330, 480))),
        "a cell cut by the edge": draw_smear(rng, white_cells=((10, 600),)),
        "a clump from a cell to the edge": cell_with_clump(rng),
        "noise": rng.integers(0, 256, (120, 160, 3), dtype=np.uint8),
        "flat purple": np.full((50, 70, 3), (120, 60, 180), np.uint8),
        "one pixel": np.full((1, 1, 3), 200, np.uint8),
        "a thin strip": draw_smear(rng)[:3],
        "odd sizes": draw_smear(rng, size=(641, 479), white_cells=((300, 200),)),
    }
    assert_same_answers(images, tmp_path)


def test_javascript_finds_what_python_finds_on_real_photos(tmp_path):
    assert_same_answers(real_photos(), tmp_path)


def test_a_drawn_smear_gives_each_white_cell_once_and_no_platelet():
    rng = np.random.default_rng(4)
    centres = ((120, 150), (330, 480))
    cells = find_cells(draw_smear(rng, white_cells=centres, platelets=12), SPEC)
    assert len(cells) == 2
    for cy, cx in centres:
        assert any(abs(cell["centre"][0] - cy) < 15 and abs(cell["centre"][1] - cx) < 15 for cell in cells)


def test_a_cell_cut_by_the_edge_is_found_and_marked():
    cells = find_cells(draw_smear(np.random.default_rng(5), white_cells=((12, 320),)), SPEC)
    assert len(cells) == 1 and cells[0]["touches_edge"]


def test_a_document_or_a_landscape_gives_no_cells():
    rng = np.random.default_rng(6)
    document = np.full((480, 640, 3), 250, np.uint8)
    for row in range(40, 440, 24):  # lines of dark blue "text"
        document[row:row + 8, 40:600:3] = (30, 40, 140)
    landscape = np.zeros((480, 640, 3), np.uint8)
    landscape[:240] = (120, 170, 235)   # sky
    landscape[240:] = (60, 140, 50)     # grass
    for picture in (document, np.clip(landscape + rng.normal(0, 8, landscape.shape), 0, 255).astype(np.uint8)):
        assert find_cells(picture, SPEC) == []


def paste(rgb: np.ndarray, zoom: float) -> tuple:
    """The photo zoomed and pasted off-centre into a frame of fixed size (2.5 times the photo, as a
    camera sensor is), the rest filled with the photo's own border colour: (frame, offset, zoomed size)."""
    height, width = rgb.shape[:2]
    size = (max(1, round(height * zoom)), max(1, round(width * zoom)))
    zoomed = np.asarray(Image.fromarray(rgb).resize(size[::-1], Image.LANCZOS))
    border = np.concatenate([zoomed[0], zoomed[-1], zoomed[:, 0], zoomed[:, -1]])
    frame = np.empty((round(height * 2.5), round(width * 2.5), 3), np.uint8)
    frame[:] = np.median(border, axis=0).astype(np.uint8)
    offset = (round((frame.shape[0] - size[0]) * 0.3), round((frame.shape[1] - size[1]) * 0.7))
    frame[offset[0]:offset[0] + size[0], offset[1]:offset[1] + size[1]] = zoomed
    return frame, offset, size


def crop_in_photo(crop: tuple, offset: tuple, size: tuple, shape: tuple) -> tuple:
    """A crop found in the pasted frame, in the original photo's pixels: (centre y, centre x, side)."""
    top, left, side = crop
    zoom = (size[0] / shape[0] + size[1] / shape[1]) / 2
    return ((top + side / 2 - offset[0]) / zoom, (left + side / 2 - offset[1]) / zoom, side / zoom)


def test_one_cell_gives_the_same_crop_from_half_to_twice_the_zoom():
    pbc = SHARED_DATA / "pbc" / "VAL"
    frames = SHARED_DATA / "blood-cells" / "TEST_SIMPLE"
    if not (pbc.is_dir() and frames.is_dir()):
        pytest.skip(f"real datasets (pbc, blood-cells) not found under {SHARED_DATA}")
    photos = [sorted((pbc / name).glob("*.jpg"))[7] for name in ("BASOPHIL", "EOSINOPHIL", "LYMPHOCYTE",
                                                                    "MONOCYTE", "NEUTROPHIL", "ERYTHROBLAST")]
    photos += [sorted((frames / name).glob("*.jpeg"))[1] for name in ("EOSINOPHIL", "LYMPHOCYTE", "NEUTROPHIL")]
    for path in photos:
        rgb = load_rgb(path)
        top, left, side = main_cell_crop(rgb, SPEC)
        reference = (top + side / 2, left + side / 2, side)
        for zoom in ZOOMS:
            frame, offset, size = paste(rgb, zoom)
            centre_y, centre_x, found_side = crop_in_photo(main_cell_crop(frame, SPEC), offset, size, rgb.shape)
            assert abs(found_side / reference[2] - 1) < 0.12, (path.name, zoom)
            assert np.hypot(centre_y - reference[0], centre_x - reference[1]) < 0.06 * reference[2], (path.name, zoom)
