"""A white cell's own extent: the box outlined on the photo and whether the photo's edge cuts the cell.

The finder's group of pieces can hold a paler platelet clump joined to the nucleus (its mask runs on into
it), and the crop square is twice the nucleus: neither is the cell. The cell is its nucleus's core (the
group's pixels stained at least core_contrast times as far above the background as the nucleus's own
cut, framed like the group: connected parts of at least box_piece_percent of the biggest), widened all
round by a cytoplasm margin; it is cut when that box reaches the photo's edge. The crop squares do not
depend on any of this. Mirrored by web/js/cell-extent.js, in integer arithmetic (a parity test holds
them together).
"""
import numpy as np

from core.facts import FACTS
from core.stained_pieces import mask_runs, run_labels

CORE_NUM, CORE_DEN = FACTS["cell_extent"]["core_contrast"]
MARGIN_NUM, MARGIN_DEN = FACTS["cell_extent"]["cytoplasm_margin"]


def core_box(pieces: list, members: list, score: np.ndarray, thresholds: np.ndarray, background: int,
             spec: dict):
    """(top, left, bottom, right) in work pixels of the core of a group's nucleus; None when no pixel
    of the group is that strongly stained."""
    top = min(pieces[i]["top"] for i in members)
    left = min(pieces[i]["left"] for i in members)
    bottom = max(pieces[i]["bottom"] for i in members)
    right = max(pieces[i]["right"] for i in members)
    inside = np.zeros((bottom - top, right - left), bool)
    for i in members:
        for y, start, end in zip(pieces[i]["rows"], pieces[i]["starts"], pieces[i]["ends"]):
            inside[y - top, start - left:end - left] = True
    lift = score[top:bottom, left:right] - background
    core = inside & (lift * CORE_DEN >= (thresholds[top:bottom, left:right] - background) * CORE_NUM)
    rows, starts, ends = mask_runs(core)
    if len(rows) == 0:
        return None
    labels = run_labels(rows, starts, ends)
    areas = np.bincount(labels, ends - starts)
    framing = (areas * 100 >= spec["box_piece_percent"] * areas.max())[labels]
    return (top + int(rows[framing].min()), left + int(starts[framing].min()),
            top + int(rows[framing].max()) + 1, left + int(ends[framing].max()))


def cell_extent(box: tuple, factor: int, work_shape: tuple, photo_shape: tuple) -> dict:
    """{"cell_box": (top, left, bottom, right) in photo pixels, clipped to the photo, "cut": bool} from
    the nucleus core's box in work pixels: widened by the cytoplasm margin, cut when it reaches the edge."""
    top, left, bottom, right = box
    margin = max(bottom - top, right - left) * MARGIN_NUM // MARGIN_DEN
    height, width = work_shape
    cut = top - margin <= 0 or left - margin <= 0 or bottom + margin >= height or right + margin >= width
    return {"cell_box": (max(0, top - margin) * factor, max(0, left - margin) * factor,
                         min(photo_shape[0], (bottom + margin) * factor), min(photo_shape[1], (right + margin) * factor)),
            "cut": bool(cut)}
