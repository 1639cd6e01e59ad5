"""From an image file to the model's input, defined once and mirrored by web/js/preprocess.js.

The preprocessing facts travel in a plain dict (`preprocessing_spec`) that training stores and
convert copies into metadata.json, so the browser reads the same facts instead of repeating them.
The resize is written out here (an exact-coverage box filter) rather than borrowed from Pillow or
TensorFlow, because their bilinear filters disagree on shrinking (antialiasing, pixel centres).
"""
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from core.colour import constant_colour, default_colour_spec
from core.facts import MAX_PIXELS, megapixels
from core.facts import PREPROCESSING_DEFAULTS as DEFAULTS
from core.facts import SUPPORTED_PREPROCESSING as SUPPORTED
from core.finder import default_finder_spec, main_cell_crop
from core.locate import crop_box, default_locate_spec

EXIF_ORIENTATION = 0x0112

# How a transparent pixel becomes RGB. Metadata written before this key existed lacks it; it means
# the same thing, and nothing changes for opaque photos, which is all those models ever saw.
DEFAULT_TRANSPARENCY = DEFAULTS["transparency"]


class ImageReadError(ValueError):
    """An image file that cannot be decoded; the message says which file and why."""

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.reason = reason


def preprocessing_spec(input_size: int = 80, crop: str = "cell_sized", padding: str = "replicate",
                       colour: str = "background_white") -> dict:
    spec = {
        "input_size": [input_size, input_size],
        "color_mode": "RGB",
        "transparency": DEFAULT_TRANSPARENCY,
        "exif_orientation": "apply",
        "crop": crop,
        "padding": padding,
        "resize": "area",
        # The model divides by 255 itself (a Rescaling layer), so both sides feed raw 0..255 RGB.
        "value_range": [0, 255],
        "scaling": "inside_model",
    }
    if colour != "none":
        spec["colour"] = default_colour_spec() | {"method": colour}
    return {**spec, **crop_mode(crop).settings()}


def padding_of(spec: dict) -> str:
    return spec.get("padding", DEFAULTS["padding"])


def check_spec(spec: dict) -> None:
    for key, allowed in SUPPORTED.items():
        if spec.get(key, DEFAULTS.get(key)) not in allowed:
            raise ValueError(f"unsupported preprocessing {key}={spec.get(key)!r}; supported: {sorted(allowed)}")


def load_rgb(path: Path, transparency: str = DEFAULT_TRANSPARENCY) -> np.ndarray:
    """Decode to HxWx3 uint8 RGB, upright as the camera's EXIF orientation says.

    Every mode comes out as the browser's decoder (web/js/preprocess.js) gives it: 16-bit samples
    keep their high byte, transparent pixels are laid on white, CMYK and palettes become RGB.
    """
    with open_image(path) as image:
        if image.mode.startswith("I;16"):
            # Pillow's own conversion clips 16-bit grey to 0..255 (nearly all white); browsers keep the high byte.
            grey = (np.asarray(image) >> 8).astype(np.uint8)
            return np.repeat(grey[:, :, None], 3, axis=2)
        if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
            return flatten_alpha(np.asarray(image.convert("RGBA")), transparency)
        return np.asarray(image.convert("RGB"))


def open_image(path: Path) -> Image.Image:
    """The decoded, upright first frame; refuses what the browser refuses (huge, animated)."""
    if Path(path).is_file() and Path(path).stat().st_size == 0:
        raise ImageReadError(path, "an empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 megapixels and raises from 179; the limit here is lower and says so itself.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as error:
        raise ImageReadError(path, f"too large to read safely: more than {MAX_PIXELS // 10**6} "
                                   f"megapixels ({error})") from error
    except Exception as error:  # Pillow raises many kinds for damaged files; all mean "unreadable"
        raise ImageReadError(path, f"not a readable image ({error})") from error
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageReadError(path, f"too large to read safely: {width} x {height} pixels "
                                       f"({megapixels(width * height)}), more than {MAX_PIXELS // 10**6} megapixels")
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            raise ImageReadError(path, f"an animation ({frames} frames), not a single photo")
        try:
            image.load()
            turn = TURNS.get(exif_orientation(image))
            upright = image.transpose(turn) if turn is not None else image.copy()
        except Exception as error:  # truncated or corrupt pixel data
            raise ImageReadError(path, f"not a readable image ({error})") from error
    return upright


# EXIF orientation -> the transpose that shows the picture upright (as in ImageOps.exif_transpose).
TURNS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
         5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
         8: Image.Transpose.ROTATE_90}


def exif_orientation(image: Image.Image) -> int:
    """The orientation tag of the file's EXIF block, as Chromium reads it (measured): not for WebP,
    whose orientation Chromium ignores, and never from XMP, which Pillow's getexif() falls back to."""
    if image.format == "TIFF":
        return image.getexif().get(EXIF_ORIENTATION, 1)  # a TIFF tag proper; no browser reads TIFF
    raw = image.info.get("exif")
    if image.format == "WEBP" or not raw:
        return 1
    exif = Image.Exif()
    try:
        exif.load(raw)
    except Exception:  # a damaged EXIF block: the browser shows such a photo as stored
        return 1
    return exif.get(EXIF_ORIENTATION, 1)


def flatten_alpha(rgba: np.ndarray, transparency: str = DEFAULT_TRANSPARENCY) -> np.ndarray:
    """Lay RGBA on a white background, exactly as the browser can: it stores colour premultiplied
    by alpha, rounded to 8 bits, so the rounded premultiplied value is what both sides keep."""
    if transparency != "white_background":
        raise ValueError(f"unsupported preprocessing transparency={transparency!r}")
    colour = rgba[:, :, :3].astype(np.int32)
    alpha = rgba[:, :, 3:].astype(np.int32)
    premultiplied = (colour * alpha + 127) // 255  # round(colour * alpha / 255); never a tie, 255 is odd
    return (premultiplied + 255 - alpha).astype(np.uint8)


def area_weights(in_size: int, out_size: int) -> np.ndarray:
    """Row i holds how much of each input pixel falls in output pixel i (rows sum to 1)."""
    edges = np.arange(out_size + 1) * (in_size / out_size)
    low, high = edges[:-1, None], edges[1:, None]
    pixel = np.arange(in_size)[None, :]
    overlap = np.clip(np.minimum(high, pixel + 1) - np.maximum(low, pixel), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def area_resize(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Rows first, then columns: two matrix products (float64, then float32 like the browser's result)."""
    rows = area_weights(rgb.shape[0], height)
    cols = area_weights(rgb.shape[1], width)
    tall = (rows @ rgb.reshape(rgb.shape[0], -1).astype(np.float64)).reshape(height, rgb.shape[1], 3)
    return (tall.transpose(0, 2, 1) @ cols.T).transpose(0, 2, 1).astype(np.float32)


@dataclass(frozen=True)
class CropMode:
    """What one crop mode means. CROP_MODES is the one place that says it; web/js/preprocess.js holds its twin."""
    settings: Callable[[], dict]  # what the mode adds to the preprocessing spec
    square: Callable              # (rgb, spec) -> (top, left, side) the model sees; None: the whole frame
    finds_cells: bool             # the finder lists every white cell of a smear (core/photo_cells.py)
    widens: bool                  # training crops have room around the square (the whole frame has none)


CROP_MODES = {
    "full_frame": CropMode(dict, lambda rgb, spec: None, finds_cells=False, widens=False),
    "cell_centred": CropMode(lambda: {"locate": default_locate_spec()},
                             lambda rgb, spec: crop_box(rgb, spec["locate"]), finds_cells=False, widens=True),
    "cell_sized": CropMode(lambda: {"finder": default_finder_spec()},
                           lambda rgb, spec: main_cell_crop(rgb, spec["finder"]), finds_cells=True, widens=True),
}


def crop_mode(crop: str) -> CropMode:
    if crop not in CROP_MODES:
        raise ValueError(f"unsupported preprocessing crop={crop!r}; supported: {sorted(CROP_MODES)}")
    return CROP_MODES[crop]


def crop_square(rgb: np.ndarray, spec: dict) -> tuple | None:
    """(top, left, side) of the square the model sees (with cell_sized it may reach past the frame's edge),
    or None when the model sees the whole frame."""
    return crop_mode(spec["crop"]).square(rgb, spec)


def cut_square(rgb: np.ndarray, top: int, left: int, side: int, padding: str = "replicate") -> np.ndarray:
    """rgb[top:top+side, left:left+side]; a square reaching past the frame keeps its size, so a cell
    near the edge keeps its size and place in it. Past the frame: the edge pixels repeated ("replicate"),
    or the median colour of the frame's border ("border_median": plain background, not streaks that a
    tightly cropped photo would otherwise surround its cell with). The browser crops the same way."""
    rows, cols = np.arange(top, top + side), np.arange(left, left + side)
    square = rgb[np.clip(rows, 0, rgb.shape[0] - 1)[:, None], np.clip(cols, 0, rgb.shape[1] - 1)[None, :]]
    if padding == "border_median":
        outside = ((rows < 0) | (rows >= rgb.shape[0]))[:, None] | ((cols < 0) | (cols >= rgb.shape[1]))[None, :]
        square[outside] = border_median(rgb)
    return square


def border_median(rgb: np.ndarray) -> np.ndarray:
    """Per channel, the lower median of the frame's outermost pixels (integers, as the browser takes it)."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[1:-1, 0], rgb[1:-1, -1]]) if rgb.shape[0] > 1 else rgb[0]
    return np.sort(border, axis=0)[(len(border) - 1) // 2]


def to_model_input(rgb: np.ndarray, spec: dict) -> np.ndarray:
    """The model's input for a photo of one cell (or, with full_frame, the whole frame)."""
    check_spec(spec)
    return square_input(rgb, crop_square(rgb, spec), spec)


def square_input(rgb: np.ndarray, square: tuple | None, spec: dict) -> np.ndarray:
    """The model's input for one square (top, left, side) of a photo (None: the whole frame): each cell
    the finder found in a smear is classified from its own square."""
    region = rgb if square is None else cut_square(rgb, *square, padding_of(spec))
    return area_resize(region, *spec["input_size"])


def decoded_rgb(image, spec: dict) -> np.ndarray:
    """HxWx3 uint8 RGB of an image file, or of an image stored decoded (anything with an rgb() method,
    such as a row of an HDF5 dataset, core/h5data.py), colour-corrected: the one way into the functions
    below, so a photo is prepared the same whether it came as a file or as an array."""
    rgb = image.rgb() if hasattr(image, "rgb") else load_rgb(image, spec.get("transparency", DEFAULT_TRANSPARENCY))
    return corrected_rgb(rgb, spec)


def corrected_rgb(rgb: np.ndarray, spec: dict) -> np.ndarray:
    """A decoded photo under the canonical illuminant (core/colour.py), as the model's spec says: what the
    smear check, the finder and the network all see. Models without a "colour" block see the photo as is."""
    return constant_colour(rgb, spec.get("colour"))


def training_crop(image, spec: dict, context: float) -> np.ndarray:
    """The model's square widened `context` times around the same centre, at the model's scale
    (input_size x context pixels), as uint8: room for training to zoom in and out and shift."""
    return wide_crop(decoded_rgb(image, spec), spec, context)


def wide_crop(rgb: np.ndarray, spec: dict, context: float) -> np.ndarray:
    size = round(spec["input_size"][0] * context)
    square = crop_square(rgb, spec)
    if square is None:  # the whole frame is the input: nothing around it to widen into
        return np.clip(np.rint(area_resize(rgb, size, size)), 0, 255).astype(np.uint8)
    return wide_square_input(rgb, square, spec, context)


def wide_square_input(rgb: np.ndarray, square: tuple, spec: dict, context: float) -> np.ndarray:
    """One square (top, left, side) of a photo widened `context` times around its centre, at the model's
    scale, as uint8: a training crop of any cell the finder found."""
    size = round(spec["input_size"][0] * context)
    top, left, side = square
    wide = round(side * context)
    top, left = top - (wide - side) // 2, left - (wide - side) // 2
    wide_square = cut_square(rgb, top, left, wide, padding_of(spec))
    return np.clip(np.rint(area_resize(wide_square, size, size)), 0, 255).astype(np.uint8)


def preprocess_file(image, spec: dict) -> np.ndarray:
    """The model's input for an image file (or a decoded image: see decoded_rgb)."""
    return to_model_input(decoded_rgb(image, spec), spec)
