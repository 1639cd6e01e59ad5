"""A cell's own extent (core/cell_extent.py): a whole cell with a paler clump joined to it that reaches the
photo's edge is not cut, a cell the edge runs through is, on drawn photos and on real BCCD smears (their
annotated white-cell boxes say which cells the edge cuts); the crop squares do not move."""
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

from core.colour import constant_colour
from core.finder import find_candidates
from core.photo_cells import photo_cells
from core.preprocess import load_rgb, preprocessing_spec
from tests.conftest import SHARED_DATA, draw_smear

SPEC = preprocessing_spec()
BCCD = SHARED_DATA / "bccd-smears"


def cell_with_clump(rng) -> np.ndarray:
    """One white cell well inside the photo, a paler violet clump (platelets) running from its lowest lobe
    down to the photo's bottom edge: the finder's stained group reaches the edge, the cell does not."""
    rgb = draw_smear(rng, white_cells=((400, 320),)).astype(np.float64)
    yy, xx = np.mgrid[:rgb.shape[0], :rgb.shape[1]]
    clump = (yy >= 420) & (np.abs(xx - 315) < 18)
    rgb[clump] = np.array((195, 130, 200)) + rng.normal(0, 3, (int(clump.sum()), 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def cells_of(rgb: np.ndarray) -> list:
    return photo_cells(constant_colour(rgb, SPEC["colour"]), SPEC)["cells"]


def test_a_clump_reaching_the_edge_does_not_cut_the_cell_it_touches():
    rgb = constant_colour(cell_with_clump(np.random.default_rng(21)), SPEC["colour"])
    [group] = [c for c in find_candidates(rgb, SPEC["finder"])[0] if c["white"]]
    assert group["touches_edge"], "the drawn clump should join the nucleus's stained group up to the edge"
    [cell] = photo_cells(rgb, SPEC)["cells"]
    top, left, bottom, right = cell["cell_box"]
    assert not cell["touches_edge"]
    assert bottom < 450 and 340 < top < 400, "the outline is the cell, not the cell and the clump"
    assert cell["square"] == group["crop"], "the crop square stays the finder's"


def test_a_cell_the_edge_runs_through_is_cut():
    [cell] = cells_of(draw_smear(np.random.default_rng(5), white_cells=((12, 320),), nucleus_radius=28))
    assert cell["touches_edge"] and cell["cell_box"][0] == 0


def annotated_white_cells(name: str) -> list:
    """(xmin, ymin, xmax, ymax) of each white cell annotated on a BCCD smear."""
    objects = ElementTree.parse(BCCD / "Annotations" / f"{name}.xml").findall("object")
    return [tuple(int(float(o.find("bndbox").find(k).text)) for k in ("xmin", "ymin", "xmax", "ymax"))
            for o in objects if o.find("name").text == "WBC"]


def centre_inside(cell_box: tuple, annotated: tuple) -> bool:
    top, left, bottom, right = cell_box
    xmin, ymin, xmax, ymax = annotated
    return xmin <= (left + right) / 2 <= xmax and ymin <= (top + bottom) / 2 <= ymax


# BloodImage_00010: a whole neutrophil over a platelet clump that touches the bottom edge (was dashed as cut);
# 00112: the edge cuts a cell's cytoplasm, not its nucleus (was not dashed); 00184: the edge cuts a cell.
@pytest.mark.parametrize("name", ["BloodImage_00010", "BloodImage_00112", "BloodImage_00184"])
def test_real_smears_cut_only_the_cells_the_edge_runs_through(name):
    if not (BCCD / "JPEGImages").is_dir():
        pytest.skip(f"the BCCD smears are not here ({BCCD})")
    rgb = load_rgb(BCCD / "JPEGImages" / f"{name}.jpg")
    height, width = rgb.shape[:2]
    cells = cells_of(rgb)
    for annotated in annotated_white_cells(name):
        [cell] = [c for c in cells if centre_inside(c["cell_box"], annotated)]
        xmin, ymin, xmax, ymax = annotated
        assert cell["touches_edge"] == (xmin <= 2 or ymin <= 2 or xmax >= width - 3 or ymax >= height - 3), annotated
