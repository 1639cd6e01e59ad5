"""Scale-aware white-cell finder: where each stained cell is, how big it is, and a crop sized from it.

Mirrored function for function by finder.js. Every decision is integer arithmetic (integer sums,
floor division of non-negative numbers, cross-multiplied comparisons, integer thresholds from the
spec), so Python and the browser find the same cells and the same crop boxes. Work happens on a
box-downscaled copy of the photo (an integer factor, so a camera photo costs about as much as a
640x480 frame); results are given in full-size pixels.

  1. work image: per-channel floor means of f x f blocks, f = ceil(long side / work_max_side)
  2. stain score s = blue - green (nuclei high; red cells and background low, in both stains seen)
  3. blobs: 4-connected regions of s >= background (median s) + min_contrast; each blob is cut at
     background + threshold_percent of its own contrast (its peak: a high quantile of its own
     scores), so an object's outline does not depend on how much of the frame it fills
  4. pieces: 4-connected regions of the cut mask, from horizontal runs in raster order; specks dropped
  5. red-cell ruler: length-weighted median chord of the 'darker than background' pixels outside
     the nuclei (red-cell pallor filled): about 0.8 red-cell diameters, in work pixels
  6. lobes into cells: two pieces join when their pixels are close relative to the smaller one,
     or the smaller sits inside the bigger one's box; two pieces that are each as big as a whole
     nucleus (against the ruler) only when they nearly touch. The cell's box spans its
     substantial pieces only (not specks next to it)
  7. each group is a candidate: nucleus box, extent (longer box side), stain mass, centre (box
     centre); a white cell when big against the ruler and the strongest group, and dense enough
  8. crop side = max(extent * crop_scale, ruler * crop_min_ruler_percent / 100), centred on the
     cell, allowed past the photo's edge (core/preprocess.py's cut_square repeats the edge pixels)
"""
import numpy as np


def default_finder_spec() -> dict:
    return {
        "work_max_side": 640,            # box-downscale so the work image's long side <= this
        "background_per_mille": 500,     # background level: this quantile of the stain score
        "min_contrast": 50,              # blobs: stain >= background + 50
        "blob_peak_per_mille": 900,      # a blob's peak: this quantile of its own scores
        "threshold_percent": 45,         # nucleus: stain >= background + 45% of (peak - background)
        "min_piece_pixels": 4,           # work pixels; smaller stained pieces are specks
        "group_gap_percent": 25,         # lobes: pixels <= 25% of the smaller piece's extent apart
        "whole_nucleus_ruler_percent": 100,  # pieces both >= 100% of the ruler: whole nuclei, ...
        "whole_nuclei_gap_percent": 15,  # ... joined only if pixels <= 15% of the smaller extent apart
        "box_piece_percent": 10,         # a cell's box spans pieces >= 10% of its biggest piece's area
        "white_ruler_percent": 40,       # white cell: nucleus extent >= 40% of the ruler,
        "white_mass_percent": 15,        #   stain mass >= 15% of the strongest group's,
        "white_min_density": 15,         #   mean stain above threshold >= 15 per pixel
        "crop_scale": [2, 1],            # crop side = nucleus extent * 2 / 1 ...
        "crop_min_ruler_percent": 150,   # ... but at least 150% of the ruler (platelets keep context)
        "min_crop_side": 8,              # full-size pixels
        "ruler_iterations": 16,          # Ridler-Calvard steps splitting green into dark / background
        "ruler_min_run": 2,              # work pixels; shorter runs are noise
        "ruler_min_runs": 20,            # fewer runs than this: no ruler (0)
        "smear_colour_percent": 75,      # a smear: >= 75% of work pixels smear-coloured, i.e.
        "smear_max_blue_minus_red": 40,  #   blue - red <= 40
        "smear_min_red_minus_green": -12,  #   and red - green >= -12,
        "smear_pink_percent": 13,        # and >= 13% pink, i.e. smear-coloured and
        "pink_min_red_minus_green": 12,  #   red - green >= 12
        "pink_min_blue_minus_green": -20,  #   and blue - green >= -20
        "require_smear": True,           # find_cells gives no cells for a photo failing the check
    }


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


# ---------------------------------------------------------------- 6: lobes into cells

def extent(box: dict) -> int:
    return max(box["bottom"] - box["top"], box["right"] - box["left"])


def box_gap(a: dict, b: dict) -> int:
    """Chessboard gap between two boxes (0 when they touch or overlap)."""
    dy = max(0, b["top"] - a["bottom"], a["top"] - b["bottom"])
    dx = max(0, b["left"] - a["right"], a["left"] - b["right"])
    return max(dy, dx)


def pixel_gap(a: dict, b: dict) -> int:
    """Chessboard distance between the nearest pixels of two pieces, minus one (0 = 8-adjacent)."""
    best = None
    for k in range(0, len(a["rows"]), 256):          # in slices, to bound memory on huge pieces
        rows, starts, ends = a["rows"][k:k + 256, None], a["starts"][k:k + 256, None], a["ends"][k:k + 256, None]
        dy = np.abs(rows - b["rows"][None, :]) - 1
        dx = np.maximum(b["starts"][None, :] - ends, starts - b["ends"][None, :])
        gap = int(np.maximum(dy, np.maximum(dx, 0)).min())
        best = gap if best is None else min(best, gap)
        if best == 0:
            break
    return best


def centre_inside(small: dict, big: dict) -> bool:
    """The smaller piece's box centre lies inside the bigger piece's box (doubled coordinates)."""
    cy2, cx2 = small["top"] + small["bottom"], small["left"] + small["right"]
    return 2 * big["top"] <= cy2 < 2 * big["bottom"] and 2 * big["left"] <= cx2 < 2 * big["right"]


def same_cell(a: dict, b: dict, ruler: int, spec: dict) -> bool:
    """Lobes of one nucleus: pixels close against the smaller piece, or the smaller one sitting
    inside the bigger one's box. Two pieces each as big as a whole nucleus (against the ruler)
    must nearly touch: otherwise they are two cells side by side."""
    small, big = (a, b) if extent(a) <= extent(b) else (b, a)
    if box_gap(a, b) * 100 > spec["group_gap_percent"] * extent(small):
        return False                    # cheap test first: the boxes are already too far apart
    if ruler > 0 and extent(small) * 100 >= spec["whole_nucleus_ruler_percent"] * ruler:
        return pixel_gap(a, b) * 100 <= spec["whole_nuclei_gap_percent"] * extent(small)
    return centre_inside(small, big) or pixel_gap(a, b) * 100 <= spec["group_gap_percent"] * extent(small)


def candidate_pairs(pieces: list, spec: dict) -> list:
    """(i, j), i < j, whose boxes are close enough for same_cell. Pieces come sorted by top, so
    for piece i only the pieces starting at most its allowed gap below its bottom can qualify."""
    box = np.array([[p["top"], p["left"], p["bottom"], p["right"]] for p in pieces], np.int64)
    ext = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
    pairs = []
    for i in range(len(pieces)):
        reach = box[i, 2] + spec["group_gap_percent"] * ext[i] // 100
        j = np.arange(i + 1, np.searchsorted(box[:, 0], reach, side="right"))
        if len(j) == 0:
            continue
        dy = np.maximum(0, np.maximum(box[j, 0] - box[i, 2], box[i, 0] - box[j, 2]))
        dx = np.maximum(0, np.maximum(box[j, 1] - box[i, 3], box[i, 1] - box[j, 3]))
        near = np.maximum(dy, dx) * 100 <= spec["group_gap_percent"] * np.minimum(ext[i], ext[j])
        pairs += [(i, int(k)) for k in j[near]]
    return pairs


def group_pieces(pieces: list, ruler: int, spec: dict) -> list:
    """Lists of piece indices, one list per cell, in order of each cell's first piece."""
    parent = list(range(len(pieces)))
    for i, j in candidate_pairs(pieces, spec) if pieces else []:
        if same_cell(pieces[i], pieces[j], ruler, spec):
            union(parent, i, j)
    groups = {}
    for i in range(len(pieces)):
        groups.setdefault(find_root(parent, i), []).append(i)
    return [groups[root] for root in sorted(groups)]


def merge_group(pieces: list, members: list, spec: dict) -> dict:
    """A cell from its pieces. Its box spans only the pieces of at least box_piece_percent of the
    biggest piece's area, so specks and granules next to the nucleus do not stretch it."""
    biggest = max(pieces[i]["area"] for i in members)
    framing = [i for i in members if pieces[i]["area"] * 100 >= spec["box_piece_percent"] * biggest]
    return {
        "area": sum(pieces[i]["area"] for i in members),
        "mass": sum(pieces[i]["mass"] for i in members),
        "top": min(pieces[i]["top"] for i in framing),
        "left": min(pieces[i]["left"] for i in framing),
        "bottom": max(pieces[i]["bottom"] for i in framing),
        "right": max(pieces[i]["right"] for i in framing),
        "pieces": len(members),
    }


# ---------------------------------------------------------------- 7-8: cells and crops

def is_white_cell(group: dict, largest_mass: int, ruler: int, spec: dict) -> bool:
    """Big against the red cells (when measured) and against the strongest stained group, and
    densely stained: platelets, specks and pale debris fail at least one."""
    big_vs_ruler = ruler == 0 or extent(group) * 100 >= spec["white_ruler_percent"] * ruler
    big_vs_largest = group["mass"] * 100 >= spec["white_mass_percent"] * largest_mass
    dense = group["mass"] >= spec["white_min_density"] * group["area"]
    return big_vs_ruler and big_vs_largest and dense


def prominence(group: dict, work_shape: tuple) -> int:
    """Stain mass times centrality (half-diagonal squared minus squared distance from the
    photo's centre, in doubled work coordinates): how much a cell looks like 'the' cell."""
    height, width = work_shape
    dy = group["top"] + group["bottom"] - height
    dx = group["left"] + group["right"] - width
    return group["mass"] * (height * height + width * width - dy * dy - dx * dx)


def describe(group: dict, factor: int, ruler: int, work_shape: tuple, spec: dict) -> dict:
    """A cell in full-size pixels, with its crop box (top, left, side)."""
    num, den = spec["crop_scale"]
    size = extent(group) * factor
    side = max(spec["min_crop_side"], size * num // den, ruler * factor * spec["crop_min_ruler_percent"] // 100)
    centre_y = (group["top"] + group["bottom"]) * factor // 2
    centre_x = (group["left"] + group["right"]) * factor // 2
    return {
        "centre": (centre_y, centre_x),
        "nucleus_box": (group["top"] * factor, group["left"] * factor,
                        group["bottom"] * factor, group["right"] * factor),
        "extent": size,
        "crop": (centre_y - side // 2, centre_x - side // 2, side),
        "touches_edge": bool(group["top"] == 0 or group["left"] == 0
                             or group["bottom"] >= work_shape[0] or group["right"] >= work_shape[1]),
        "white": group["white"],
        "score": group["prominence"],
        "mass": group["mass"],
        "pieces": group["pieces"],
    }


def find_candidates(rgb: np.ndarray, spec: dict) -> tuple:
    """Every stained group (white cells, platelets, debris) in raster order, and the photo's facts."""
    factor = downscale_factor(rgb.shape[0], rgb.shape[1], spec)
    work = box_downscale(rgb, factor)
    score = stain_score(work)
    background, thresholds, nucleus = stain_thresholds(score, spec)
    ruler = red_cell_ruler(work, nucleus, spec)
    pieces = find_pieces(score, thresholds, nucleus, spec)
    groups = [merge_group(pieces, members, spec) for members in group_pieces(pieces, ruler, spec)]
    largest = max((g["mass"] for g in groups), default=0)
    for g in groups:
        g["white"] = is_white_cell(g, largest, ruler, spec)
        g["prominence"] = prominence(g, work.shape[:2])
    cells = [describe(g, factor, ruler, work.shape[:2], spec) for g in groups]
    info = {"factor": factor, "background": background, "blob_level": background + spec["min_contrast"],
            "ruler": ruler * factor, "work_shape": tuple(work.shape[:2]), "smear": smear_check(work, spec)}
    return cells, info


def find_cells(rgb: np.ndarray, spec: dict) -> list:
    """The white cells of a photo, most prominent first (ties: raster order); none when the photo
    does not look like a stained smear (and spec["require_smear"])."""
    candidates, info = find_candidates(rgb, spec)
    if spec["require_smear"] and not info["smear"]["is_smear"]:
        return []
    cells = [c for c in candidates if c["white"]]
    return sorted(cells, key=lambda c: -c["score"])  # stable sort keeps raster order on ties


def main_key(cell: dict) -> tuple:
    return (cell["white"] and not cell["touches_edge"], cell["white"], cell["score"])


def pick_main(cells: list):
    """White cells clear of the photo's edge beat white cells cut by it, which beat other stained
    groups; then the higher score (mass x centrality); then the earlier one in raster order."""
    best = None
    for c in cells:
        if best is None or main_key(c) > main_key(best):
            best = c
    return best


def main_cell_crop(rgb: np.ndarray, spec: dict) -> tuple:
    """(top, left, side) around the photo's one cell; the central square of the short side if
    nothing is stained at all."""
    main = pick_main(find_candidates(rgb, spec)[0])
    if main is None:
        height, width = rgb.shape[:2]
        side = min(height, width)
        return (height - side) // 2, (width - side) // 2, side
    return main["crop"]


# ---------------------------------------------------------------- is this a stained smear at all?

def smear_check(work: np.ndarray, spec: dict) -> dict:
    """Colour statistics of the work image. A Romanowsky-stained smear is nearly all smear-coloured
    (blue at most a little above red, red not much below green: pink and red cells, cream or
    grey-lilac background, purple nuclei), and a good share of it is pink (red well above green,
    blue not far below green: red cells, cytoplasm, nuclei). Documents and screenshots (grey,
    white, blue), landscapes (green, blue) and skin or orange tones fail one of the two."""
    red, green, blue = work[..., 0], work[..., 1], work[..., 2]
    coloured = (blue - red <= spec["smear_max_blue_minus_red"]) & (red - green >= spec["smear_min_red_minus_green"])
    pink = coloured & (red - green >= spec["pink_min_red_minus_green"]) & (blue - green >= spec["pink_min_blue_minus_green"])
    total, n_coloured, n_pink = int(red.size), int(coloured.sum()), int(pink.sum())
    return {"pixels": total, "smear_coloured": n_coloured, "pink": n_pink,
            "is_smear": total > 0 and n_coloured * 100 >= spec["smear_colour_percent"] * total
            and n_pink * 100 >= spec["smear_pink_percent"] * total}
