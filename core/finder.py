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
     nucleus (against the ruler) when together they span no more than one cell, or when they
     nearly touch; never a piece with another stained far more strongly (a nucleus and the violet
     red cells touching it). The cell's box spans its substantial pieces only (not specks next to it)
  7. each group is a candidate: nucleus box, extent (longer box side), stain mass, centre (box
     centre); a white cell when big against the ruler and the strongest group, and dense enough
     (or, paler, when the photo's strongest group, whole and over twice the ruler wide); a group cut
     by the photo's edge is weighed as the round nucleus its chord is part of
  8. crop side = max(extent * crop_scale, ruler * crop_min_ruler_percent / 100), centred on the
     cell, allowed past the photo's edge (core/preprocess.py's cut_square repeats the edge pixels)
  9. each white cell's own box (its nucleus's core and a cytoplasm margin, not a clump joined to it)
     and whether the photo's edge cuts it (core/cell_extent.py): what the page outlines and dashes.
     touches_edge (the group's box on the edge) only picks a photo's main cell, as training always has
"""
import numpy as np

from core.cell_extent import cell_extent, core_box
from core.facts import LOBE_AND_CUT_CELL_DEFAULTS, PALE_CELL_DEFAULTS, SMEAR_CHECK_DEFAULTS
from core.stained_pieces import (
    box_downscale,
    downscale_factor,
    find_pieces,
    find_root,
    red_cell_ruler,
    smear_check,
    stain_score,
    stain_thresholds,
    union,
)


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
        "whole_nuclei_gap_percent": 10,  # ... joined if pixels <= 10% of the smaller extent apart,
        **LOBE_AND_CUT_CELL_DEFAULTS,    # ... or spanning one cell; lobes stained alike; cells the edge cuts
        "box_piece_percent": 10,         # a cell's box spans pieces >= 10% of its biggest piece's area
        "white_ruler_percent": 40,       # white cell: nucleus extent >= 40% of the ruler,
        "white_mass_percent": 15,        #   stain mass >= 15% of the strongest group's,
        "white_min_density": 15,         #   mean stain above threshold >= 15 per pixel
        **PALE_CELL_DEFAULTS,            #   (or paler, when the photo's strongest group and far bigger than a red cell)
        "crop_scale": [2, 1],            # crop side = nucleus extent * 2 / 1 ...
        "crop_min_ruler_percent": 150,   # ... but at least 150% of the ruler (platelets keep context)
        "min_crop_side": 8,              # full-size pixels
        "ruler_iterations": 16,          # Ridler-Calvard steps splitting green into dark / background
        "ruler_min_run": 2,              # work pixels; shorter runs are noise
        "ruler_min_runs": 20,            # fewer runs than this: no ruler (0)
        **SMEAR_CHECK_DEFAULTS,          # is it a smear at all (core/stained_pieces.py smear_check)
        "require_smear": True,           # find_cells gives no cells for a photo failing the check
    }


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


def joint_extent(a: dict, b: dict) -> int:
    """The longer side of the box around both pieces."""
    return max(max(a["bottom"], b["bottom"]) - min(a["top"], b["top"]),
               max(a["right"], b["right"]) - min(a["left"], b["left"]))


def alike_stain(a: dict, b: dict, spec: dict) -> bool:
    """The paler piece's mean stain (mass per pixel) is at least lobe_stain_percent of the other's: the
    lobes of a nucleus are stained alike, a red cell stained violet by a cast is far paler than the
    nucleus it touches. Densities compared cross-multiplied."""
    a_over_b, b_over_a = a["mass"] * b["area"], b["mass"] * a["area"]
    return min(a_over_b, b_over_a) * 100 >= spec["lobe_stain_percent"] * max(a_over_b, b_over_a)


def same_cell(a: dict, b: dict, ruler: int, spec: dict) -> bool:
    """Lobes of one nucleus, stained alike: pixels close against the smaller piece, or the smaller one
    sitting inside the bigger one's box. Two pieces each as big as a whole nucleus (against the ruler)
    are lobes when together they span no more than one cell (a high-magnification neutrophil's lobes
    lie far apart), or when they nearly touch: otherwise they are two cells side by side."""
    if not alike_stain(a, b, spec):
        return False
    small, big = (a, b) if extent(a) <= extent(b) else (b, a)
    if ruler > 0 and extent(small) * 100 >= spec["whole_nucleus_ruler_percent"] * ruler:
        if joint_extent(a, b) * 100 <= spec["cell_span_ruler_percent"] * ruler:
            return True
        gap = spec["whole_nuclei_gap_percent"] * extent(small)
        return box_gap(a, b) * 100 <= gap and pixel_gap(a, b) * 100 <= gap   # cheap test first
    if box_gap(a, b) * 100 > spec["group_gap_percent"] * extent(small):
        return False                    # cheap test first: the boxes are already too far apart
    return centre_inside(small, big) or pixel_gap(a, b) * 100 <= spec["group_gap_percent"] * extent(small)


def candidate_pairs(pieces: list, ruler: int, spec: dict) -> list:
    """(i, j), i < j, whose boxes are close enough for same_cell: near against the smaller piece, or
    within one cell's span. Pieces come sorted by top, so for piece i only the pieces starting at most
    that far below it can qualify."""
    box = np.array([[p["top"], p["left"], p["bottom"], p["right"]] for p in pieces], np.int64)
    ext = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
    span = spec["cell_span_ruler_percent"] * ruler // 100
    pairs = []
    for i in range(len(pieces)):
        reach = max(box[i, 2] + spec["group_gap_percent"] * ext[i] // 100, box[i, 0] + span)
        j = np.arange(i + 1, np.searchsorted(box[:, 0], reach, side="right"))
        if len(j) == 0:
            continue
        dy = np.maximum(0, np.maximum(box[j, 0] - box[i, 2], box[i, 0] - box[j, 2]))
        dx = np.maximum(0, np.maximum(box[j, 1] - box[i, 3], box[i, 1] - box[j, 3]))
        near = np.maximum(dy, dx) * 100 <= spec["group_gap_percent"] * np.minimum(ext[i], ext[j])
        joint = np.maximum(np.maximum(box[j, 2], box[i, 2]) - np.minimum(box[j, 0], box[i, 0]),
                           np.maximum(box[j, 3], box[i, 3]) - np.minimum(box[j, 1], box[i, 1]))
        pairs += [(i, int(k)) for k in j[near | (joint <= span)]]
    return pairs


def group_pieces(pieces: list, ruler: int, spec: dict) -> list:
    """Lists of piece indices, one list per cell, in order of each cell's first piece."""
    parent = list(range(len(pieces)))
    for i, j in candidate_pairs(pieces, ruler, spec) if pieces else []:
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

def at_edge(group: dict, work_shape: tuple) -> bool:
    """The group's box reaches the photo's edge."""
    return group["top"] == 0 or group["left"] == 0 or group["bottom"] >= work_shape[0] or group["right"] >= work_shape[1]


def round_mass(group: dict, spec: dict) -> int:
    """The stain mass of a round nucleus as wide as the group's extent and stained as it is on average:
    what a cell the photo's edge cuts would weigh whole (at least what shows of it)."""
    num, den = spec["cut_cell_round"]
    return max(group["mass"], group["mass"] // group["area"] * extent(group) * extent(group) * num // den)


def is_white_cell(group: dict, largest_mass: int, ruler: int, work_shape: tuple, spec: dict) -> bool:
    """Big against the red cells (when measured) and against the strongest stained group, and
    densely stained: platelets, specks and pale debris fail at least one. A cell the photo's edge cuts
    shows only part of its nucleus: it is weighed as the round nucleus its chord spans, and that chord
    must be longer (a sliver shorter than that is a platelet or a red cell's rim as often as a cell)."""
    cut = at_edge(group, work_shape)
    least_extent = spec["cut_cell_ruler_percent"] if cut else spec["white_ruler_percent"]
    big_vs_ruler = ruler == 0 or extent(group) * 100 >= least_extent * ruler
    mass = round_mass(group, spec) if cut else group["mass"]
    big_vs_largest = mass * 100 >= spec["white_mass_percent"] * largest_mass
    dense = group["mass"] >= spec["white_min_density"] * group["area"]
    return big_vs_ruler and big_vs_largest and (dense or pale_cell(group, largest_mass, ruler, cut, spec))


def pale_cell(group: dict, largest_mass: int, ruler: int, cut: bool, spec: dict) -> bool:
    """A nucleus too pale for white_min_density that is still a white cell: the photo's strongest group,
    whole, and far bigger than a red cell (tecom's monocytes under a yellow cast: mean stain 10-15 per pixel,
    2.4-3.8 rulers wide). Pale debris that big is rarer than such a monocyte: on every photo of the four
    field sets the rule adds one find, a boxed white cell, and on pbc's and blood-cells' none."""
    return (not cut and ruler > 0 and group["mass"] == largest_mass
            and extent(group) * 100 >= spec["pale_cell_ruler_percent"] * ruler
            and group["mass"] >= spec["pale_cell_min_density"] * group["area"])


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
        "touches_edge": at_edge(group, work_shape),
        "white": group["white"],
        "score": group["prominence"],
        "mass": group["mass"],
        "pieces": group["pieces"],
    }


def find_candidates(rgb: np.ndarray, spec: dict) -> tuple:
    """Every stained group (white cells, platelets, debris) in raster order, and the photo's facts."""
    spec = {**LOBE_AND_CUT_CELL_DEFAULTS, **PALE_CELL_DEFAULTS, **spec}  # a spec written before these settings existed
    factor = downscale_factor(rgb.shape[0], rgb.shape[1], spec)
    work = box_downscale(rgb, factor)
    score = stain_score(work)
    background, thresholds, nucleus = stain_thresholds(score, spec)
    ruler = red_cell_ruler(work, nucleus, spec)
    pieces = find_pieces(score, thresholds, nucleus, spec)
    memberships = group_pieces(pieces, ruler, spec)
    groups = [merge_group(pieces, members, spec) for members in memberships]
    largest = max((g["mass"] for g in groups), default=0)
    for g in groups:
        g["white"] = is_white_cell(g, largest, ruler, work.shape[:2], spec)
        g["prominence"] = prominence(g, work.shape[:2])
    cells = [describe(g, factor, ruler, work.shape[:2], spec) for g in groups]
    for cell, g, members in zip(cells, groups, memberships):
        if g["white"]:   # the cell's own box and edge verdict (core/cell_extent.py); the crop does not use them
            core = core_box(pieces, members, score, thresholds, background, spec)
            own = cell_extent(core or (g["top"], g["left"], g["bottom"], g["right"]), factor, work.shape[:2], rgb.shape[:2])
            cell.update(cell_box=own["cell_box"], cut_by_edge=own["cut"])
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
