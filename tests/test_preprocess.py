"""The one preprocessing definition, and proof that the browser's copy computes the same thing."""
import numpy as np
import pytest
from PIL import Image

from tests.js_runner import js_model_input
from train.preprocess import (ImageReadError, area_resize, area_weights, check_spec, load_rgb,
                              preprocess_file, preprocessing_spec, to_model_input)


def test_area_weights_rows_sum_to_one_and_cover_every_pixel():
    weights = area_weights(240, 80)
    assert np.allclose(weights.sum(axis=1), 1)
    assert np.allclose(weights.sum(axis=0), 80 / 240)
    assert np.count_nonzero(weights[0]) == 3


def test_area_resize_of_same_size_is_identity():
    rgb = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    assert np.array_equal(area_resize(rgb, 20, 30), rgb.astype(np.float32))


def test_area_resize_averages_exact_blocks():
    rgb = np.zeros((6, 6, 3), np.uint8)
    rgb[:3, :3] = 90
    assert area_resize(rgb, 2, 2)[0, 0].tolist() == [90, 90, 90]
    assert area_resize(rgb, 2, 2)[1, 1].tolist() == [0, 0, 0]


def test_area_resize_matches_pillow_box_filter_within_rounding():
    rgb = np.random.default_rng(2).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(rgb).resize((80, 80), Image.BOX), dtype=np.float32)
    assert np.abs(area_resize(rgb, 80, 80) - pillow).max() <= 1.0


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((10, 20, 3), np.uint8)
    pixels[:, :10] = 255  # white left half, stored landscape
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    Image.fromarray(pixels).save(tmp_path / "rotated.jpg", exif=exif, quality=100)
    upright = load_rgb(tmp_path / "rotated.jpg")
    assert upright.shape == (20, 10, 3)
    assert upright[:10].mean() > 200 and upright[10:].mean() < 50


@pytest.mark.parametrize("content", [b"", b"hello, not an image", b"\xff\xd8\xff\xe0" + b"\x00" * 40])
def test_unreadable_files_raise_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageReadError, match="bad.jpg: not a readable image"):
        preprocess_file(path, preprocessing_spec())


def test_unsupported_spec_is_refused():
    with pytest.raises(ValueError, match="resize='bilinear'"):
        check_spec({**preprocessing_spec(), "resize": "bilinear"})


@pytest.mark.parametrize("crop", ["full_frame", "cell_centred"])
@pytest.mark.parametrize("size", [(240, 320), (37, 53), (50, 50), (500, 375)])
def test_javascript_preprocessing_equals_python(tmp_path, size, crop):
    rgb = np.random.default_rng(size[0]).integers(0, 256, (*size, 3), dtype=np.uint8)
    spec = preprocessing_spec(80, crop)
    assert np.abs(js_model_input(rgb, spec, tmp_path) - to_model_input(rgb, spec)).max() < 1e-3


@pytest.mark.parametrize("crop", ["full_frame", "cell_centred"])
def test_javascript_preprocessing_equals_python_on_real_smears(real_data, tmp_path, crop):
    spec = preprocessing_spec(80, crop)
    for path in sorted(real_data.glob("TEST_SIMPLE/*/*.jpeg"))[::12]:
        rgb = load_rgb(path)
        assert np.abs(js_model_input(rgb, spec, tmp_path) - to_model_input(rgb, spec)).max() < 1e-3, path
