"""Where a photo is stained: its work image, stain score, stained pieces, red-cell ruler, and whether it
is a stained smear at all. The first half of the cell finder (core/finder.py groups the pieces into
cells); mirrored function for function by web/js/stained-pieces.js, in integer arithmetic throughout.
"""
import numpy as np

from core.facts import SMEAR_CHECK_DEFAULTS

# ---------------------------------------------------------------- 1-2: work image, stain score

def downscale_factor(height: int, width: int, spec: dict) -> int:
    """ceil(long side / work_max_side), but never more than the short side (keeps >= 1 work pixel)."""
    return max(1, min(-(-max(height, width) // spec["work_max_side"]), min(height, width)))


def box_downscale(rgb: np.ndarray, factor: int) -> np.ndarray:
    """Per-channel floor mean of factor x factor blocks; the last partial rows/columns are dropped."""
    if factor == 1:
        return rgb[..., :3].astype(np.int32)
    h, w = rgb.shape[0] // factor, rgb.shape[1] // factor
    blocks = rgb[:h * factor, :w * factor, :3].reshape(h, factor, w, factor, 3)
    return (blocks.sum(axis=(1, 3), dtype=np.int64) // (factor * factor)).astype(np.int32)


def stain_score(work: np.ndarray) -> np.ndarray:
    return work[..., 2] - work[..., 1]


# ---------------------------------------------------------------- 3: threshold

def quantile(score: np.ndarray, per_mille: int) -> int:
    """Smallest v with count(score <= v) * 1000 >= per_mille * n (scores lie in -255..255)."""
    counts = np.bincount((score + 255).ravel(), minlength=511).cumsum()
    return int(np.searchsorted(counts * 1000, per_mille * score.size)) - 255


def blob_peaks(score: np.ndarray, labels: np.ndarray, count: int, per_mille: int) -> np.ndarray:
    """Per blob: smallest v with count(blob's scores <= v) * 1000 >= per_mille * blob size.
    `score` holds the blobs' pixels in raster order, `labels` their blob numbers."""
    order = np.lexsort((score, labels))
    sizes = np.bincount(labels, minlength=count)
    offsets = np.concatenate([[0], sizes.cumsum()[:-1]])
    rank = np.maximum((per_mille * sizes + 999) // 1000 - 1, 0)
    return score[order][offsets + rank]


def stain_thresholds(score: np.ndarray, spec: dict) -> tuple:
    """(background, per-pixel threshold, nucleus mask). Blobs are the connected regions at least
    min_contrast above the background (the median score); each blob is then cut at background +
    threshold_percent of the way up to its own peak (a high quantile of its scores), never lower
    than the blob level. Each stained object is judged against itself, not against the frame."""
    background = quantile(score, spec["background_per_mille"])
    low = background + spec["min_contrast"]
    rows, starts, ends = mask_runs(score >= low)
    thresholds = np.full(score.shape, 1 << 20, np.int64)     # above any score: not stained
    if len(rows) == 0:
        return background, thresholds, score >= thresholds
    labels = run_labels(rows, starts, ends)
    count = int(labels.max()) + 1
    lengths = ends - starts
    pixel_labels = np.repeat(labels, lengths)
    peaks = blob_peaks(score[score >= low], pixel_labels, count, spec["blob_peak_per_mille"])
    cut = background + np.maximum(spec["min_contrast"], (np.maximum(peaks - background, 0) * spec["threshold_percent"]) // 100)
    flat = thresholds.reshape(-1)
    pixel_index = np.repeat(rows * score.shape[1] + starts - np.concatenate([[0], lengths.cumsum()[:-1]]), lengths) \
        + np.arange(int(lengths.sum()))
    flat[pixel_index] = cut[pixel_labels]
    return background, thresholds, score >= thresholds


# ---------------------------------------------------------------- 4: connected pieces

def mask_runs(mask: np.ndarray) -> tuple:
    """Horizontal runs of True in raster order: (row, start, end) arrays, end exclusive."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), np.int8)
    padded[:, 1:-1] = mask
    change = np.diff(padded, axis=1)
    rows, starts = np.nonzero(change == 1)
    _, ends = np.nonzero(change == -1)
    return rows, starts, ends


def find_root(parent: list, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def union(parent: list, a: int, b: int) -> None:
    """Join two sets; the smaller index stays the root (so roots come first in raster order)."""
    ra, rb = find_root(parent, a), find_root(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


def run_labels(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """4-connected component of each run, numbered 0.. in the order of each component's first run."""
    n = len(rows)
    parent = list(range(n))
    row_first = np.searchsorted(rows, np.arange(int(rows[-1]) + 3)) if n else np.zeros(1, int)
    for y in range(len(row_first) - 2):
        a, a_end = int(row_first[y]), int(row_first[y + 1])
        b, b_end = a_end, int(row_first[y + 2])
        while a < a_end and b < b_end:       # two-pointer sweep over rows y and y + 1
            if starts[a] < ends[b] and starts[b] < ends[a]:
                union(parent, a, b)
            if ends[a] <= ends[b]:
                a += 1
            else:
                b += 1
    roots = np.array([find_root(parent, i) for i in range(n)], np.int64)
    _, labels = np.unique(roots, return_inverse=True)
    return labels.reshape(-1)


def find_pieces(score: np.ndarray, thresholds: np.ndarray, mask: np.ndarray, spec: dict) -> list:
    """Connected pieces of the nucleus mask: runs, area, box, stain mass (sum of s - t + 1)."""
    rows, starts, ends = mask_runs(mask)
    if len(rows) == 0:
        return []
    labels = run_labels(rows, starts, ends)
    weight = np.where(mask, score - thresholds + 1, 0).astype(np.int64)
    cumulative = np.zeros((score.shape[0], score.shape[1] + 1), np.int64)
    cumulative[:, 1:] = weight.cumsum(axis=1)
    run_mass = cumulative[rows, ends] - cumulative[rows, starts]
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(labels.max() + 2))
    pieces = []
    for k in range(len(bounds) - 1):
        sel = order[bounds[k]:bounds[k + 1]]
        area = int((ends[sel] - starts[sel]).sum())
        if area < spec["min_piece_pixels"]:
            continue
        pieces.append({
            "rows": rows[sel], "starts": starts[sel], "ends": ends[sel],
            "area": area, "mass": int(run_mass[sel].sum()),
            "top": int(rows[sel].min()), "bottom": int(rows[sel].max()) + 1,
            "left": int(starts[sel].min()), "right": int(ends[sel].max()),
        })
    return pieces


# ---------------------------------------------------------------- 5: red-cell ruler

def isodata_threshold(values: np.ndarray, spec: dict) -> int:
    """Ridler-Calvard: t = floor((mean below t + mean at/above t) / 2), iterated from the mean."""
    counts = np.bincount(values.ravel(), minlength=256).astype(np.int64)
    cum_n, cum_s = counts.cumsum(), (counts * np.arange(256)).cumsum()
    total_n, total_s = int(cum_n[-1]), int(cum_s[-1])
    if total_n == 0:
        return 0
    t = total_s // total_n
    for _ in range(spec["ruler_iterations"]):
        low_n = int(cum_n[t - 1]) if t > 0 else 0
        low_s = int(cum_s[t - 1]) if t > 0 else 0
        if low_n == 0 or low_n == total_n:
            break
        new_t = (low_s // low_n + (total_s - low_s) // (total_n - low_n)) // 2
        if new_t == t:
            break
        t = new_t
    return t


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """mask plus every 4-connected False region that does not reach the border (red-cell pallor)."""
    rows, starts, ends = mask_runs(~mask)
    if len(rows) == 0:
        return mask.copy()
    labels = run_labels(rows, starts, ends)
    at_border = (rows == 0) | (rows == mask.shape[0] - 1) | (starts == 0) | (ends == mask.shape[1])
    enclosed = (np.bincount(labels, at_border, labels.max() + 1) == 0)[labels]
    filled = mask.copy()
    for y, a, b in zip(rows[enclosed], starts[enclosed], ends[enclosed]):
        filled[y, a:b] = True
    return filled


def inner_run_lengths(mask: np.ndarray) -> np.ndarray:
    """Lengths of horizontal, then vertical, runs of True that touch neither end of their line."""
    lengths = []
    for lines in (mask, mask.T):
        _, starts, ends = mask_runs(lines)
        inner = (starts > 0) & (ends < lines.shape[1])
        lengths.append((ends - starts)[inner])
    return np.concatenate(lengths)


def red_cell_ruler(work: np.ndarray, nucleus: np.ndarray, spec: dict) -> int:
    """Typical red-cell chord in work pixels (0 when too few runs): the length-weighted median run
    of pixels darker (in green) than the Ridler-Calvard split of the non-nucleus pixels, with the
    pale centres of red cells filled, outside the nuclei. About 0.8 red-cell diameters."""
    green = work[..., 1]
    dark = fill_holes(green < isodata_threshold(green[~nucleus], spec)) & ~nucleus
    lengths = np.sort(inner_run_lengths(dark))
    lengths = lengths[lengths >= spec["ruler_min_run"]]
    if len(lengths) < spec["ruler_min_runs"]:
        return 0
    cumulative = lengths.cumsum()
    return int(lengths[np.searchsorted(cumulative * 2, int(cumulative[-1]))])


# ---------------------------------------------------------------- the light behind the smear

def brightness_threshold(work: np.ndarray, per_mille: int) -> int:
    """Smallest v with count(r + g + b <= v) * 1000 >= per_mille * n."""
    brightness = work.sum(axis=-1)
    counts = np.bincount(brightness.ravel(), minlength=766).cumsum()
    return int(np.searchsorted(counts * 1000, per_mille * brightness.size))


def bright_mean(work: np.ndarray, per_mille: int) -> list:
    """Per channel, the floor mean of the pixels at or above the per_mille brightness quantile: in a smear,
    the plasma and glass between the cells, i.e. the light itself."""
    bright = work.sum(axis=-1) >= brightness_threshold(work, per_mille)
    count = int(bright.sum())
    return [int(work[..., c][bright].sum()) // count for c in range(3)]


# ---------------------------------------------------------------- is this a stained smear at all?

def enough_content(total: int, content: int, purple: int, spec: dict) -> bool:
    """Enough stained or grey matter for a smear: a share of the picture, or a smaller one mostly purple
    (a sparse field, one stained cell alone on the glass: a document or a blank picture has no purple)."""
    return content * 100 >= spec["smear_content_percent"] * total or (
        content * 1000 >= spec["smear_sparse_content_per_mille"] * total
        and purple * 100 >= spec["smear_sparse_purple_percent"] * content)


def smear_check(work: np.ndarray, spec: dict) -> dict:
    """Whether the picture looks like a Romanowsky-stained smear, judged against its own light (its brightest
    part), so that no camera's white balance decides it. Against that light, what a smear holds is grey
    (unstained red cells), pink (red cells, cytoplasm) or purple (nuclei, platelets): each absorbs green at
    least about as much as red and blue. A smear has enough content, some of it purple, and little that lets
    green through best (foliage, sky, cyan ink) or absorbs blue best (skin, wood, coffee, cats, brown stains).
    Grey documents and photos have no purple; landscapes and everyday photos are mostly foreign colours.

    Settings (web/js/facts.json smear_check): the light is the mean of the pixels at or above the
    smear_background_per_mille brightness quantile; content is at least smear_content_darker_percent darker
    than it (in r + g + b); purple content lets red through at least as well as green and blue at least
    smear_purple_percent points better; foreign content lets red or blue through smear_foreign_percent points
    worse than green. A smear: content >= smear_content_percent of the picture (or, a sparse field with one
    stained cell alone on the glass, >= smear_sparse_content_per_mille of it when >= smear_sparse_purple_percent
    of the content is purple), purple >= smear_purple_per_mille of the content, foreign <= smear_most_foreign_percent
    of it."""
    spec = {**SMEAR_CHECK_DEFAULTS, **spec}
    total = int(work.shape[0] * work.shape[1])
    light = bright_mean(work, spec["smear_background_per_mille"]) if total else [0, 0, 0]
    if min(light) == 0:
        return {"pixels": total, "light": light, "content": 0, "purple": 0, "foreign": 0, "is_smear": False}
    red, green, blue = (work[..., c].astype(np.int64) for c in range(3))
    lr, lg, lb = light
    red_over_green = 100 * (red * lg - green * lr)      # 100 x (red's share of its light - green's), times lr * lg
    blue_over_green = 100 * (blue * lg - green * lb)
    content = (red + green + blue) * 100 <= (lr + lg + lb) * (100 - spec["smear_content_darker_percent"])
    purple = content & (red_over_green >= 0) & (blue_over_green >= spec["smear_purple_percent"] * lb * lg)
    foreign = content & ((red_over_green <= -spec["smear_foreign_percent"] * lr * lg)
                         | (blue_over_green <= -spec["smear_foreign_percent"] * lb * lg))
    n_content, n_purple, n_foreign = int(content.sum()), int(purple.sum()), int(foreign.sum())
    return {"pixels": total, "light": light, "content": n_content, "purple": n_purple, "foreign": n_foreign,
            "is_smear": enough_content(total, n_content, n_purple, spec)
            and n_purple * 1000 >= spec["smear_purple_per_mille"] * n_content
            and n_foreign * 100 <= spec["smear_most_foreign_percent"] * n_content}
