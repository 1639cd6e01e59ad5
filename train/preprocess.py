"""From an image file to the model's input, defined once and mirrored by web/js/preprocess.js.

The preprocessing facts travel in a plain dict (`preprocessing_spec`) that training stores and
convert copies into metadata.json, so the browser reads the same facts instead of repeating them.
The resize is written out here (an exact-coverage box filter) rather than borrowed from Pillow or
TensorFlow, because their bilinear filters disagree on shrinking (antialiasing, pixel centres).
"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from train.locate import crop_box, default_locate_spec

SUPPORTED = {
    "color_mode": {"RGB"},
    "exif_orientation": {"apply"},
    "crop": {"full_frame", "cell_centred"},
    "resize": {"area"},
    "scaling": {"inside_model"},
}


class ImageReadError(ValueError):
    """An image file that cannot be decoded; the message says which file and why."""


def preprocessing_spec(input_size: int = 80, crop: str = "cell_centred") -> dict:
    spec = {
        "input_size": [input_size, input_size],
        "color_mode": "RGB",
        "exif_orientation": "apply",
        "crop": crop,
        "resize": "area",
        # The model divides by 255 itself (a Rescaling layer), so both sides feed raw 0..255 RGB.
        "value_range": [0, 255],
        "scaling": "inside_model",
    }
    if crop == "cell_centred":
        spec["locate"] = default_locate_spec()
    return spec


def check_spec(spec: dict) -> None:
    for key, allowed in SUPPORTED.items():
        if spec.get(key) not in allowed:
            raise ValueError(f"unsupported preprocessing {key}={spec.get(key)!r}; supported: {sorted(allowed)}")


def load_rgb(path: Path) -> np.ndarray:
    """Decode to HxWx3 uint8 RGB, upright as the camera's EXIF orientation says."""
    try:
        with Image.open(path) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            return np.asarray(upright.convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(f"{path}: not a readable image ({error})") from error


def area_weights(in_size: int, out_size: int) -> np.ndarray:
    """Row i holds how much of each input pixel falls in output pixel i (rows sum to 1)."""
    edges = np.arange(out_size + 1) * (in_size / out_size)
    low, high = edges[:-1, None], edges[1:, None]
    pixel = np.arange(in_size)[None, :]
    overlap = np.clip(np.minimum(high, pixel + 1) - np.maximum(low, pixel), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def area_resize(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    rows = area_weights(rgb.shape[0], height)
    cols = area_weights(rgb.shape[1], width)
    resized = np.einsum("oh,hwc,pw->opc", rows, rgb.astype(np.float64), cols, optimize=True)
    return resized.astype(np.float32)


def to_model_input(rgb: np.ndarray, spec: dict) -> np.ndarray:
    check_spec(spec)
    height, width = spec["input_size"]
    if spec["crop"] == "cell_centred":
        top, left, side = crop_box(rgb, spec["locate"])
        rgb = rgb[top:top + side, left:left + side]
    return area_resize(rgb, height, width)


def preprocess_file(path: Path, spec: dict) -> np.ndarray:
    return to_model_input(load_rgb(path), spec)
