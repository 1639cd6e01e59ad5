"""The one preprocessing definition, and proof that the browser's copy computes the same thing."""
import json
import re

import numpy as np
import pytest
from PIL import Image

import tests.image_samples as samples
from core.preprocess import (
    MAX_PIXELS,
    ImageReadError,
    area_resize,
    area_weights,
    check_spec,
    CROP_MODES,
    SUPPORTED,
    cut_square,
    flatten_alpha,
    load_rgb,
    preprocess_file,
    preprocessing_spec,
    to_model_input,
)
from tests.js_runner import js_model_input, run_js, run_module_script


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


@pytest.mark.parametrize("content, reason", [
    (b"", r"an empty file \(0 bytes\)"),
    (b"hello, not an image", "not a readable image"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "not a readable image"),
])
def test_unreadable_files_raise_a_clear_error(tmp_path, content, reason):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageReadError, match=f"bad.jpg: {reason}"):
        preprocess_file(path, preprocessing_spec())


def test_unsupported_spec_is_refused():
    with pytest.raises(ValueError, match="resize='bilinear'"):
        check_spec({**preprocessing_spec(), "resize": "bilinear"})


CROPS = [("full_frame", "replicate"), ("cell_centred", "replicate"), ("cell_sized", "replicate"),
         ("cell_sized", "border_median")]


def test_both_crop_mode_tables_name_every_supported_crop_and_only_those(tmp_path):
    printed = run_module_script(tmp_path, "import { CROP_MODES } from './preprocess.js';\n"
                                          "console.log(JSON.stringify(Object.keys(CROP_MODES)));\n")
    assert sorted(json.loads(printed)) == sorted(CROP_MODES) == sorted(SUPPORTED["crop"])
    assert sorted(CROP_MODES) == sorted({crop for crop, _ in CROPS})


@pytest.mark.parametrize("crop, padding", CROPS)
@pytest.mark.parametrize("size", [(240, 320), (37, 53), (50, 50), (500, 375), (1, 9), (7, 1)])
def test_javascript_preprocessing_equals_python(tmp_path, size, crop, padding):
    rgb = np.random.default_rng(size[0]).integers(0, 256, (*size, 3), dtype=np.uint8)
    spec = preprocessing_spec(80, crop, padding)
    assert np.abs(js_model_input(rgb, spec, tmp_path) - to_model_input(rgb, spec)).max() < 1e-3


def test_a_square_past_the_edge_is_filled_with_the_border_median_or_the_edge_pixels():
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1] = 10, 30, 20, 20  # border: 10 x5, 30 x5, 20 x4 -> median 20
    rgb[1:3, 1:4] = 200
    padded = cut_square(rgb, -2, -2, 9, "border_median")
    assert (padded[:2] == 20).all() and (padded[:, :2] == 20).all()  # past the edge: the border's median
    np.testing.assert_array_equal(padded[2:6, 2:7], rgb)                # inside: the photo itself
    replicated = cut_square(rgb, -2, -2, 9, "replicate")
    assert (replicated[0, 2:7] == rgb[0]).all() and (replicated[3, 0] == rgb[1, 0]).all()


@pytest.mark.parametrize("crop, padding", CROPS)
def test_javascript_preprocessing_equals_python_on_real_smears(real_data, tmp_path, crop, padding):
    spec = preprocessing_spec(80, crop, padding)
    for path in sorted(real_data.glob("TEST_SIMPLE/*/*.jpeg"))[::12]:
        rgb = load_rgb(path)
        assert np.abs(js_model_input(rgb, spec, tmp_path) - to_model_input(rgb, spec)).max() < 1e-3, path


# Awkward files: every mode reads as the browser reads it, and what the browser refuses is refused here.

def test_sixteen_bit_samples_keep_their_high_byte(tmp_path):
    grey = np.asarray(Image.open(samples.grey16_png(tmp_path)))
    assert np.array_equal(load_rgb(tmp_path / "grey16.png"), np.repeat((grey >> 8)[..., None], 3, axis=2))
    colour = load_rgb(samples.rgb16_png(tmp_path))
    assert np.abs(colour.astype(int) - np.asarray(samples.smear(5), int)).max() <= 1


def test_transparent_pixels_are_laid_on_white(tmp_path):
    rgba = np.asarray(Image.open(samples.rgba_png(tmp_path)))
    rgb = load_rgb(tmp_path / "rgba.png")
    assert (rgb[:8] == 255).all()  # fully transparent rows, whatever colour lies underneath
    assert np.array_equal(rgb[8:16], rgba[8:16, :, :3])  # opaque rows untouched
    alpha = rgba[..., 3:].astype(float) / 255
    assert np.abs(rgb - (alpha * rgba[..., :3] + (1 - alpha) * 255)).max() <= 0.5 + 1e-9


def test_palette_transparency_is_laid_on_white(tmp_path):
    rgb = load_rgb(samples.palette_transparent_png(tmp_path))
    assert rgb[0, 0].tolist() == [255, 255, 255]


@pytest.mark.parametrize("write", [samples.greyscale_jpeg, samples.greyscale_png, samples.cmyk_jpeg,
                                   samples.palette_png, samples.still_gif])
def test_other_modes_become_rgb_of_the_same_picture(tmp_path, write):
    rgb = load_rgb(write(tmp_path))
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8
    seed = {"greyscale_jpeg": 1, "greyscale_png": 2, "cmyk_jpeg": 3, "palette_png": 4, "still_gif": 9}[write.__name__]
    original = np.asarray(samples.smear(seed), float)
    if "greyscale" in write.__name__:
        original = np.repeat(np.asarray(samples.smear(seed).convert("L"), float)[..., None], 3, axis=2)
    assert np.abs(rgb - original).mean() < 8


def test_javascript_lays_transparency_on_white_as_python_does(tmp_path):
    rgba = np.random.default_rng(3).integers(0, 256, (17, 23, 4), dtype=np.uint8)
    raw = run_js(tmp_path, rgba, {}, "Buffer.from((await import('./preprocess.js')).flattenAlpha(image.data))")
    assert np.array_equal(np.frombuffer(raw, np.uint8).reshape(17, 23, 4)[..., :3], flatten_alpha(rgba))


@pytest.mark.parametrize("side, reason", [(8000, r"8000 x 8000 pixels \(64 megapixels\), more than 50 megapixels"),
                                          (20000, "more than 50 megapixels")])
def test_huge_images_are_refused_before_decoding(tmp_path, side, reason):
    with pytest.raises(ImageReadError, match=reason):
        load_rgb(samples.huge_png(tmp_path, side))


def test_a_photo_just_over_the_limit_is_refused_with_its_real_size(tmp_path):
    with pytest.raises(ImageReadError, match=r"8200 x 6150 pixels \(50.4 megapixels\), more than 50 megapixels"):
        load_rgb(samples.huge_png(tmp_path, 8200, 6150))


def test_animations_are_refused(tmp_path):
    with pytest.raises(ImageReadError, match=r"an animation \(3 frames\)"):
        load_rgb(samples.animated_gif(tmp_path))


def test_truncated_jpeg_is_unreadable(tmp_path):
    with pytest.raises(ImageReadError, match="truncated.jpg: not a readable image"):
        load_rgb(samples.truncated_jpeg(tmp_path))


def inspect_in_node(tmp_path, path) -> dict:
    """web/js/image-file.js inspectImage() on the file's bytes, under Node."""
    call = f"(await import('./image-file.js')).inspectImage(new Uint8Array(readFileSync({json.dumps(str(path))})))"
    return json.loads(run_js(tmp_path, np.zeros((1, 1, 3), np.uint8), {}, f"JSON.stringify({call})"))


def with_alpha(image):
    image = image.copy()
    image.putalpha(128)
    return image


@pytest.mark.parametrize("save", [
    lambda image, path: image.save(path.with_suffix(".jpg"), quality=90),
    lambda image, path: image.save(path.with_suffix(".png")),
    lambda image, path: image.convert("P").save(path.with_suffix(".gif")),
    lambda image, path: image.save(path.with_suffix(".webp"), quality=80),
    lambda image, path: image.save(path.with_suffix(".webp"), lossless=True),
    lambda image, path: with_alpha(image).save(path.with_suffix(".webp"), quality=80),  # VP8X container
    lambda image, path: image.save(path.with_suffix(".bmp")),
], ids=["jpeg", "png", "gif", "webp-lossy", "webp-lossless", "webp-extended", "bmp"])
def test_javascript_reads_the_size_from_the_header_as_pillow_does(tmp_path, save):
    save(Image.new("RGB", (321, 123), (200, 100, 50)), tmp_path / "photo")
    path = next(tmp_path.glob("photo.*"))
    found = inspect_in_node(tmp_path, path)
    assert (found["width"], found["height"]) == Image.open(path).size, found


def test_javascript_and_python_refuse_above_the_same_pixel_count(tmp_path):
    raw = run_js(tmp_path, np.zeros((1, 1, 3), np.uint8), {},
                 "String((await import('./image-file.js')).MAX_PIXELS)")
    assert int(raw) == MAX_PIXELS


def test_metadata_without_the_transparency_key_still_works(tmp_path):
    """Models published before the key existed: same meaning, same model input, in Python and the browser."""
    old = preprocessing_spec(80, "cell_centred")
    del old["transparency"]
    check_spec(old)
    path = samples.rgb_jpeg(tmp_path)
    assert np.array_equal(preprocess_file(path, old), preprocess_file(path, {**old, "transparency": "white_background"}))
    run_js(tmp_path, np.zeros((1, 1, 3), np.uint8), old,
           "String((await import('./preprocess.js')).checkSpec(spec))")


def test_no_code_branches_on_the_crop_mode_outside_the_tables():
    """Adding a crop mode means adding a row to CROP_MODES (both languages): nothing else compares the name."""
    from core.paths import REPO

    compares = re.compile(r"""crop['"]?\]?\s*(===?|!==?|in)\s*['"(\[]|['"](full_frame|cell_sized|cell_centred)['"]\s*(===?|!==?)""")
    code = [path for folder in ("core", "train", "convert", "bench", "server", "headless", "web/js")
            for path in sorted((REPO / folder).rglob("*")) if path.suffix in (".py", ".js", ".mjs")]
    found = [f"{path.relative_to(REPO)}:{number}: {line.strip()}" for path in code
             for number, line in enumerate(path.read_text().splitlines(), 1) if compares.search(line)]
    assert code and found == []
