"""Cell localisation: where the crop goes, and proof the browser puts it in the same place."""
import numpy as np
import pytest

from core.locate import crop_box, default_locate_spec, locate_cell
from core.preprocess import load_rgb
from tests.js_runner import js_crop_box

SPEC = default_locate_spec()


def smear(height=240, width=320, cells=()):
    """A pink field with purple discs at (y, x, radius)."""
    rgb = np.zeros((height, width, 3), np.uint8) + np.array([225, 185, 195], np.uint8)
    y, x = np.mgrid[:height, :width]
    for cy, cx, radius in cells:
        rgb[(y - cy) ** 2 + (x - cx) ** 2 < radius**2] = (110, 60, 190)
    return rgb


def test_finds_the_cell_wherever_it_is():
    cy, cx = locate_cell(smear(cells=[(60, 250, 30)]), SPEC)
    assert abs(cy - 60) <= 8 and abs(cx - 250) <= 8


def test_the_largest_cell_wins_over_platelets():
    cy, cx = locate_cell(smear(cells=[(40, 40, 6), (200, 60, 5), (150, 200, 35)]), SPEC)
    assert abs(cy - 150) <= 8 and abs(cx - 200) <= 8


def test_no_cell_means_the_centre_of_the_frame():
    assert locate_cell(smear(), SPEC) == (120, 160)


def test_the_crop_stays_inside_the_frame():
    top, left, side = crop_box(smear(cells=[(5, 315, 20)]), SPEC)
    assert side == 120 and top == 0 and left == 320 - 120


def test_tiny_images_still_get_a_box():
    assert crop_box(smear(3, 5, cells=[(1, 1, 1)]), SPEC)[2] == 1


@pytest.mark.parametrize("cells", [[], [(60, 250, 30)], [(40, 40, 6), (150, 200, 35)], [(120, 160, 40), (118, 40, 40)]])
def test_javascript_chooses_the_same_box(cells, tmp_path):
    rgb = smear(cells=cells)
    assert js_crop_box(rgb, SPEC, tmp_path) == crop_box(rgb, SPEC)


def test_javascript_chooses_the_same_box_on_real_smears(real_data, tmp_path):
    for path in sorted(real_data.glob("TEST_SIMPLE/*/*.jpeg"))[::3]:
        rgb = load_rgb(path)
        assert js_crop_box(rgb, SPEC, tmp_path) == crop_box(rgb, SPEC), path
