"""Finding white cells: the browser (web/js/finder.js) finds the very cells Python (core/finder.py) finds,
a cell gives the same crop whatever the zoom, and what is not a smear gives no cells; a neutrophil's far lobes
are one cell, two nuclei side by side two, a nucleus is not joined to the violet red cells a cast leaves
touching it, a cell the photo's edge cuts is weighed whole, and a pale nucleus far bigger than a red cell is a
cell; on drawn photos and real fields of four labs."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.find_cells import assign, white_cell_boxes
from bench.page_cells import square_centre
from core.facts import LOBE_AND_CUT_CELL_DEFAULTS, PALE_CELL_DEFAULTS
from core.finder import default_finder_spec, find_candidates, find_cells, main_cell_crop
from core.preprocess import load_rgb
from tests.conftest import SHARED_DATA, draw_smear
from tests.test_smear_check import alone_on_the_glass
from tests.test_cell_extent import cell_with_clump, cells_of
from tests.js_runner import run_on_images

SPEC = default_finder_spec()
# A model's spec written before the lobe, cut-cell and pale-cell settings existed: both sides take them from
# facts.json.
OLDER_SPEC = {key: value for key, value in SPEC.items()
              if key not in LOBE_AND_CUT_CELL_DEFAULTS and key not in PALE_CELL_DEFAULTS}
ZOOMS = (0.5, 0.7, 1.0, 1.4, 2.0)
NUCLEUS = (110, 50, 160)      # draw_smear's nucleus colour
CYTOPLASM = (205, 185, 220)   # and its cytoplasm's
# Real fields, each with its every white cell boxed (bench/find_cells.py's truth) and found: (lab, photo, why).
FIELDS = [
    ("deepbionet-fields", "594.jpg", "a strong green cast"),
    ("deepbionet-fields", "1467.jpg", "a yellow cast"),
    ("deepbionet-fields", "1160.jpg", "a green cast leaving the red cells violet, touching the nucleus"),
    ("raabin-fields", "17a97618-7c6c-53af-a9f1-79dd46213799.jpg", "two lobes far apart, each as big as a nucleus"),
    ("raabin-fields", "f40ea6f1-8752-5abb-80f0-3d7cf6fc918a.jpg", "two lobes far apart, each as big as a nucleus"),
    ("bcd-fields", "1b31602c-d6d5-525d-8262-605e8f899086.jpg", "a pale cell's two lobes"),
    ("bccd-smears", "BloodImage_00065.jpg", "two cells side by side"),
    ("bcd-fields", "253582b7-62dc-5d32-8f05-b5c4f5e4f714.jpg", "two cells side by side, nuclei a few pixels apart"),
    ("raabin-fields", "5232e096-af14-59f2-ad19-07c48d56f95b.jpg", "a sliver of a cell cut by the bottom edge"),
    ("bcd-fields", "208bc3f6-caec-525d-807e-0067b7650890.jpg", "a sliver of a cell cut by the right edge"),
]


def python_answer(rgb: np.ndarray, spec: dict) -> dict:
    candidates, info = find_candidates(rgb, spec)
    return json.loads(json.dumps({"candidates": candidates, "info": info, "cells": find_cells(rgb, spec),
                                  "crop": main_cell_crop(rgb, spec)}, default=int))


def javascript_answers(images: list, workdir: Path, spec: dict) -> list:
    """finder.js on the same pixels, all images in one Node run."""
    return run_on_images(workdir, images, spec, "import { findCandidates, findCells, mainCellCrop } from './finder.js';\n", (
        "  const { cells: candidates, info } = findCandidates(image, spec);\n"
        "  return { candidates, info, cells: findCells(image, spec), crop: mainCellCrop(image, spec) };\n"))


def assert_same_answers(named_images: dict, workdir: Path, spec: dict = SPEC) -> None:
    names, images = list(named_images), list(named_images.values())
    for name, js in zip(names, javascript_answers(images, workdir, spec)):
        python = python_answer(named_images[name], spec)
        assert json.loads(json.dumps(js)) == python, name


def field(lab: str, photo: str) -> tuple:
    """(decoded photo, its white-cell boxes (left, top, right, bottom)); skips when the lab is not here."""
    path = SHARED_DATA / lab / "JPEGImages" / photo
    if not path.is_file():
        pytest.skip(f"the {lab} field {photo} is not here ({path})")
    return load_rgb(path), white_cell_boxes(SHARED_DATA / lab / "Annotations" / f"{path.stem}.xml")


def disc(rgb: np.ndarray, centre: tuple, radius: float, colour: tuple) -> None:
    """Paint a disc (it may reach past the photo's edge) with a little of draw_smear's noise."""
    yy, xx = np.mgrid[:rgb.shape[0], :rgb.shape[1]]
    inside = (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 < radius ** 2
    noise = np.random.default_rng(int(radius)).normal(0, 3, (int(inside.sum()), 3))
    rgb[inside] = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)


def smear_around(centre: tuple, seed: int) -> np.ndarray:
    """A drawn smear with its red cells kept clear of `centre`, where a cell is then painted."""
    return draw_smear(np.random.default_rng(seed), white_cells=(centre,), nucleus_radius=50)


def two_lobes(gap: int, radius: int = 34) -> np.ndarray:
    """A cell with two round lobes as big as whole nuclei (against draw_smear's red cells), `gap` apart."""
    rgb = smear_around((240, 320), 31)
    disc(rgb, (240, 320), 2.4 * radius, CYTOPLASM)
    for side in (-1, 1):
        disc(rgb, (240, 320 + side * (radius + gap // 2)), radius, NUCLEUS)
    return rgb


def pale_nucleus(radius: int) -> np.ndarray:
    """A nucleus stained paler than white_min_density (mean stain about 11 per pixel): mostly pale, a tenth
    of it dark chromatin, as tecom's monocytes under a yellow cast; `radius` 66 is over twice the ruler."""
    rgb = smear_around((240, 320), 31)
    disc(rgb, (240, 320), 1.5 * radius, CYTOPLASM)
    disc(rgb, (240, 320), radius, (160, 110, 170))
    yy, xx = np.mgrid[:rgb.shape[0], :rgb.shape[1]]
    chromatin = (yy - 240) ** 2 + (xx - 320) ** 2 < (radius - 4) ** 2
    rgb[chromatin & (np.random.default_rng(4).random(rgb.shape[:2]) < 0.1)] = NUCLEUS
    return rgb


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
        "one stained cell alone on the glass": alone_on_the_glass((150, 100, 190), 17),
        "a grey mark alone on a blank page": alone_on_the_glass((150, 150, 150), 17),
        "a big pale nucleus": pale_nucleus(66),
        "a small pale nucleus": pale_nucleus(40),
    }
    assert_same_answers(images, tmp_path)


def test_javascript_finds_what_python_finds_on_real_photos(tmp_path):
    assert_same_answers(real_photos(), tmp_path)


def test_javascript_finds_what_python_finds_on_fields_of_every_lab(tmp_path):
    assert_same_answers({f"{lab} {photo}": field(lab, photo)[0] for lab, photo, _ in FIELDS}, tmp_path)


def test_javascript_and_python_fill_in_a_spec_older_than_the_lobe_cut_and_pale_cell_settings(tmp_path):
    rng = np.random.default_rng(8)
    images = {"lobes far apart": two_lobes(18), "a cell cut by the edge": draw_smear(rng, white_cells=((12, 320),),
                                                                                     nucleus_radius=28),
              "a big pale nucleus": pale_nucleus(66)}
    assert_same_answers(images, tmp_path, OLDER_SPEC)
    for rgb in images.values():
        assert python_answer(rgb, OLDER_SPEC) == python_answer(rgb, SPEC)


def test_a_drawn_smear_gives_each_white_cell_once_and_no_platelet():
    rng = np.random.default_rng(4)
    centres = ((120, 150), (330, 480))
    cells = find_cells(draw_smear(rng, white_cells=centres, platelets=12), SPEC)
    assert len(cells) == 2
    for cy, cx in centres:
        assert any(abs(cell["centre"][0] - cy) < 15 and abs(cell["centre"][1] - cx) < 15 for cell in cells)


def test_a_cell_cut_by_the_edge_is_found_and_marked():
    cells = find_cells(draw_smear(np.random.default_rng(5), white_cells=((12, 320),), nucleus_radius=28), SPEC)
    assert len(cells) == 1 and cells[0]["touches_edge"]


def test_a_long_thin_sliver_of_a_cell_at_the_edge_is_weighed_whole():
    rgb = draw_smear(np.random.default_rng(9), white_cells=((300, 320),), nucleus_radius=28)
    disc(rgb, (-42, 200), 50, NUCLEUS)  # 8 pixels deep, 54 wide: a red cell's chord, a tenth of a cell's stain
    cells = find_cells(rgb, SPEC)
    assert len(cells) == 2 and [cell["touches_edge"] for cell in cells] == [False, True]
    assert len(find_cells(rgb, {**SPEC, "cut_cell_round": [0, 1]})) == 1, "weighed as it shows, it is too light"


def test_a_sliver_shorter_than_most_of_a_red_cell_is_not_a_cell():
    rgb = draw_smear(np.random.default_rng(9), white_cells=((300, 320),), nucleus_radius=28)
    disc(rgb, (-4, 200), 22, NUCLEUS)   # 43 pixels wide at the edge: under 80% of the drawn red cells' ruler
    assert [cell["touches_edge"] for cell in find_cells(rgb, SPEC)] == [False]
    assert len(find_cells(rgb, {**SPEC, "cut_cell_ruler_percent": SPEC["white_ruler_percent"]})) == 2


def test_a_pale_nucleus_far_bigger_than_a_red_cell_is_a_white_cell_and_a_small_one_is_not():
    without_the_rule = {**SPEC, "pale_cell_ruler_percent": 10 ** 6}
    assert len(find_cells(pale_nucleus(66), SPEC)) == 1
    assert find_cells(pale_nucleus(66), without_the_rule) == [], "too pale to be dense"
    # Pale and hardly bigger than a red cell: debris as often, so the rule adds nothing to what density finds.
    assert find_cells(pale_nucleus(40), SPEC) == find_cells(pale_nucleus(40), without_the_rule)


def test_lobes_as_big_as_nuclei_within_one_cells_span_are_one_cell():
    far_apart = two_lobes(18)    # 18 pixels: over a quarter of a lobe, far more than nuclei side by side touch
    assert len(find_cells(far_apart, SPEC)) == 1
    assert len(find_cells(far_apart, {**SPEC, "cell_span_ruler_percent": 0})) == 2


def test_two_nuclei_wider_together_than_a_cell_are_two_cells_unless_they_nearly_touch():
    side_by_side = two_lobes(12, radius=46)   # 12 pixels apart, an eighth of a nucleus
    assert len(find_cells(side_by_side, SPEC)) == 2
    assert len(find_cells(side_by_side, {**SPEC, "whole_nuclei_gap_percent": 15})) == 1


def test_a_nucleus_is_not_joined_to_a_violet_red_cell_beside_it():
    rgb = draw_smear(np.random.default_rng(10), white_cells=((240, 320),), nucleus_radius=28)
    disc(rgb, (240, 381), 26, (170, 115, 173))   # a red cell a cast left violet, 3 pixels from the nucleus
    [cell] = find_cells(rgb, SPEC)
    assert cell["nucleus_box"][3] < 360, "the nucleus alone"
    [joined] = find_cells(rgb, {**SPEC, "lobe_stain_percent": 0})
    assert joined["nucleus_box"][3] > 400


@pytest.mark.parametrize(("lab", "photo", "why"), FIELDS)
def test_each_boxed_cell_of_a_real_field_is_found_once_and_nothing_else(lab, photo, why):
    rgb, boxes = field(lab, photo)
    centres = [square_centre(cell["square"]) for cell in cells_of(rgb)]
    assert sorted(assign(centres, boxes), key=str) == list(range(len(boxes))), why


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
