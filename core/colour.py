"""Colour constancy: every photo mapped to one canonical illuminant before anything looks at it.

A clinic's camera has its own white balance (green, yellow, cyan or dim casts are common), but every
smear shows the light itself where no cell lies: the plasma and glass between the cells, the brightest
part of the field. The photo's white point is read there, and each channel is scaled so that this
background becomes the canonical background colour (von Kries: a cast is a gain per channel, in
gamma-encoded values as in linear ones). The smear check, the cell finder and the network all see the
corrected photo, so a cast changes none of them.

Why only the background: red cells and stain were measured as second references (docs/experiments.md),
and mapping them too moved the nuclei's colours by more than the casts did; the stain's own
variation is left to training's augmentation.

One sample's photos come from one microscope: the page can balance them all with the sample's pooled white
point (the mean of its photos' own), so one odd field (a dense one, a bubble, a cell over the bright part)
does not get a balance of its own.

Mirrored function for function by web/js/colour.js, in integer arithmetic, so Python and the page
correct every pixel identically (a table of 256 values per channel, applied to the full photo).
"""
import numpy as np

from core.stained_pieces import box_downscale, bright_mean, downscale_factor


def default_colour_spec() -> dict:
    return {
        "method": "background_white",
        "work_max_side": 320,             # the white point is read on a box-downscaled copy this small
        "background_per_mille": 900,      # background: the pixels at or above this brightness quantile
        "target_background": [236, 224, 210],  # the canonical background (the training labs' mean)
        "min_background": 32,             # a channel darker than this is a black photo, not a cast: gain capped
    }


def white_point(rgb: np.ndarray, spec: dict) -> list:
    """Per channel, the floor mean of the brightest pixels of the work image: the light behind the smear."""
    work = box_downscale(rgb, downscale_factor(rgb.shape[0], rgb.shape[1], spec))
    return bright_mean(work, spec["background_per_mille"])


def pooled_white_point(white_points: list) -> list:
    """One microscope's white point: per channel, the mean of its photos' own white points, rounded half up."""
    if not white_points:
        raise ValueError("a pooled white point needs the white point of at least one photo")
    count = len(white_points)
    return [(2 * sum(int(point[c]) for point in white_points) + count) // (2 * count) for c in range(3)]


def colour_tables(background: list, spec: dict) -> np.ndarray:
    """3 x 256 uint8: value v of channel c -> round(v * target_c / background_c), at most 255."""
    values = np.arange(256, dtype=np.int64)
    tables = []
    for c in range(3):
        source = max(background[c], spec["min_background"])
        target = spec["target_background"][c]
        tables.append(np.minimum(255, (2 * values * target + source) // (2 * source)))
    return np.array(tables, np.uint8)


def identity_tables() -> np.ndarray:
    return np.tile(np.arange(256, dtype=np.uint8), (3, 1))


def colour_reference(rgb: np.ndarray, spec: dict | None, pooled: list | None = None) -> dict:
    """What the correction of this photo is: its white point and the tables that map it (none: identity).
    With `pooled` (its sample's pooled_white_point) the tables map that point instead of the photo's own."""
    if not spec or spec["method"] == "none":
        return {"white_point": None, "tables": identity_tables()}
    if spec["method"] != "background_white":
        raise ValueError(f"unsupported colour constancy method {spec['method']!r}; supported: background_white, none")
    background = white_point(rgb, spec) if rgb.size else list(spec["target_background"])
    return {"white_point": background, "tables": colour_tables(pooled or background, spec)}


def apply_tables(rgb: np.ndarray, tables: np.ndarray) -> np.ndarray:
    return np.stack([tables[c][rgb[..., c]] for c in range(3)], axis=-1)


def constant_colour(rgb: np.ndarray, spec: dict | None, pooled: list | None = None) -> np.ndarray:
    """The photo as seen under the canonical illuminant (unchanged when spec is None or method none);
    with `pooled`, balanced by its sample's pooled white point rather than its own."""
    if not spec or spec["method"] == "none":
        return rgb
    return apply_tables(rgb, colour_reference(rgb, spec, pooled)["tables"])
