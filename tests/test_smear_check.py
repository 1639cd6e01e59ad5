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


def test_a_black_or_blank_picture_is_refused():
    assert not checked(np.zeros((50, 60, 3), np.uint8))
    assert not checked(np.full((50, 60, 3), 240, np.uint8))
