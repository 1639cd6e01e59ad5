"""Real pictures that are not blood smears, for the smear check's false-accept rate: scikit-image's sample
photographs, documents rendered here, and screenshots of the page itself (docs/screenshots/)."""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core.paths import REPO
from core.preprocess import load_rgb

# Bundled with scikit-image (no download): photographs of people, animals, things, space and tissue.
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry",
                  "retina", "colorwheel", "camera", "coins", "page", "text", "horse", "moon", "brick", "grass",
                  "gravel", "logo", "cat", "motorcycle_left", "binary_blobs")


def as_rgb(picture: np.ndarray) -> np.ndarray:
    picture = np.asarray(picture)
    if picture.dtype == bool:
        picture = picture.astype(np.uint8) * 255
    elif picture.dtype != np.uint8:
        picture = np.clip(picture * 255 if picture.max() <= 1 else picture, 0, 255).astype(np.uint8)
    if picture.ndim == 2:
        picture = np.repeat(picture[..., None], 3, axis=2)
    return np.ascontiguousarray(picture[..., :3])


def skimage_photos() -> dict:
    from skimage import data

    photos = {}
    for name in SKIMAGE_PHOTOS:
        loader = getattr(data, name, None)
        if loader is not None:
            photos[f"scikit-image {name}"] = as_rgb(loader())
    return photos


def rendered_documents() -> dict:
    """A letter, a form with a coloured header, and a spreadsheet-like table, as a scanner would give them."""
    font = ImageFont.load_default()
    documents = {}
    for name, (paper, ink, header) in {"letter": ((252, 252, 250), (20, 20, 30), None),
                                       "form": ((255, 255, 255), (40, 40, 60), (60, 90, 170)),
                                       "table": ((250, 248, 240), (30, 30, 30), (200, 70, 60))}.items():
        page = Image.new("RGB", (850, 1100), paper)
        draw = ImageDraw.Draw(page)
        if header:
            draw.rectangle((0, 0, 850, 120), fill=header)
        for row in range(160, 1040, 26):
            draw.text((70, row), "Lorem ipsum dolor sit amet, 12.5 x10^9/L, consectetur adipiscing " * 2, fill=ink,
                      font=font)
            if name == "table":
                draw.line((60, row - 4, 790, row - 4), fill=(150, 150, 150))
        documents[f"a rendered {name}"] = np.asarray(page)
    return documents


def page_screenshots() -> dict:
    return {f"a screenshot of the page ({path.name})": load_rgb(path)
            for path in sorted((Path(REPO) / "docs" / "screenshots").glob("*.png"))}


def not_smears() -> dict:
    return {**skimage_photos(), **rendered_documents(), **page_screenshots()}
