"""The smear check never refuses a real smear, of any lab or under any camera cast, and still refuses real
pictures that are not smears (photographs, documents)."""
import numpy as np
import pytest

from bench.casts import CASTS, cast
from bench.not_smears import rendered_documents, skimage_photos
from core.preprocess import corrected_rgb, load_rgb, preprocessing_spec
from bench.smear_check import is_smear
from tests.conftest import SHARED_DATA, draw_smear
from tests.test_colour import LABS

SPEC = preprocessing_spec()
# Photographs and documents the check refuses (bench/smear_check.py reports the others it lets through).
REFUSED = ("scikit-image coffee", "scikit-image chelsea", "scikit-image rocket", "scikit-image camera",
           "scikit-image coins", "scikit-image page", "scikit-image text", "scikit-image immunohistochemistry",
           "scikit-image hubble_deep_field", "scikit-image grass", "scikit-image logo", "a rendered letter",
           "a rendered table")


def checked(rgb: np.ndarray) -> bool:
    return is_smear(corrected_rgb(rgb, SPEC), SPEC)


@pytest.mark.parametrize("lab", list(LABS))
def test_real_smears_of_every_lab_pass(lab):
    photos = sorted(SHARED_DATA.glob(LABS[lab]))
    if not photos:
        pytest.skip(f"the {lab} photos ({SHARED_DATA / LABS[lab]}) are not here")
    refused = [path.name for path in photos[:: max(1, len(photos) // 12)] if not checked(load_rgb(path))]
    assert refused == []


@pytest.mark.parametrize("name", list(CASTS))
def test_a_smear_under_a_camera_cast_passes(name):
    assert checked(cast(draw_smear(np.random.default_rng(21)), name))
    photos = sorted((SHARED_DATA / "bccd-smears" / "JPEGImages").glob("*.jpg"))[:3] \
        + sorted((SHARED_DATA / "pbc" / "VAL" / "NEUTROPHIL").glob("*.jpg"))[:3]
    assert [path.name for path in photos if not checked(cast(load_rgb(path), name))] == []


def test_photographs_and_documents_are_refused():
    pictures = {**skimage_photos(), **rendered_documents()}
    assert [name for name in REFUSED if name in pictures and checked(pictures[name])] == []
    assert len([name for name in REFUSED if name in pictures]) >= 10


def alone_on_the_glass(colour: tuple, radius: int) -> np.ndarray:
    """A pale field (pbc's glass) with one disc of `colour` in its middle and no red cells: 2.8% of the
    picture for radius 17."""
    rgb = np.full((180, 180, 3), (246, 226, 208), np.uint8)
    rows, cols = np.ogrid[:180, :180]
    rgb[(rows - 90) ** 2 + (cols - 90) ** 2 <= radius ** 2] = colour
    return rgb


def test_one_stained_cell_alone_on_the_glass_is_a_smear_and_a_grey_mark_is_not():
    assert checked(alone_on_the_glass((150, 100, 190), 17)), "a platelet or a small cell with nothing round it"
    assert not checked(alone_on_the_glass((150, 150, 150), 17)), "a grey mark on a blank page"
    assert not checked(alone_on_the_glass((150, 100, 190), 5)), "a purple speck: too little to be a field"


def test_a_real_platelet_alone_on_the_glass_passes():
    photo = SHARED_DATA / "pbc" / "TEST" / "PLATELET" / "PLATELET_466299.jpg"
    if not photo.is_file():
        pytest.skip(f"{photo} is not here")
    assert checked(load_rgb(photo))


def test_a_black_or_blank_picture_is_refused():
    assert not checked(np.zeros((50, 60, 3), np.uint8))
    assert not checked(np.full((50, 60, 3), 240, np.uint8))
