"""Controlled changes of a photo that another microscope or camera makes: colour casts (an uncorrected
white balance, a dim lamp, over-exposure), blur, JPEG quality and scale. Used by the robustness table
of the bench and by the tests of colour constancy and the smear check."""
import io

import numpy as np
from PIL import Image, ImageFilter

# Per-channel gains (red, green, blue) on the encoded values, as a camera's white balance applies them.
CASTS = {
    "cyan": (0.72, 1.0, 1.05),
    "green": (0.78, 1.05, 0.68),
    "yellow": (1.05, 1.0, 0.62),
    "dim": (0.55, 0.55, 0.55),
    "over-exposed": (1.3, 1.3, 1.3),
}


def cast(rgb: np.ndarray, name: str) -> np.ndarray:
    return np.clip(np.rint(rgb.astype(np.float64) * np.array(CASTS[name])), 0, 255).astype(np.uint8)


def blur(rgb: np.ndarray, radius: float = 1.5) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(radius)))


def jpeg(rgb: np.ndarray, quality: int = 40) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    with Image.open(io.BytesIO(buffer.getvalue())) as image:
        return np.asarray(image.convert("RGB"))


def scale(rgb: np.ndarray, factor: float) -> np.ndarray:
    height, width = rgb.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))


CHANGES = {**{f"{name} cast": (lambda rgb, name=name: cast(rgb, name)) for name in CASTS},
           "blur": blur, "JPEG quality 40": jpeg,
           "scale 0.5x": lambda rgb: scale(rgb, 0.5), "scale 2x": lambda rgb: scale(rgb, 2.0)}
