"""Whole fields with Pascal VOC boxes (JPEGImages/, Annotations/: bccd-smears' layout, and the field sets of
other labs): which photos there are, where their white cells are boxed, and which found cell is which box.

The bench measures the finder against the boxes; training learns from the boxed white cells without
their classes (train/unlabelled.py). Every third photo (HELD_OUT_EVERY) is never trained on, so the
label-free checks have photos no model learned from.
"""
import xml.etree.ElementTree as ElementTree
from pathlib import Path

SAME_CELL_OVERLAP = 0.5  # intersection over union at which two boxes outline one cell
EDGE_MARGIN = 2          # pixels: a box this close to the photo's edge touches it
HELD_OUT_EVERY = 3       # photos 0, 3, 6, ... of each field set: measured on, never trained on


def field_photos(data: Path) -> list:
    photos = sorted((Path(data) / "JPEGImages").glob("*.jpg"))
    if not photos:
        raise FileNotFoundError(f"no field photos in {Path(data) / 'JPEGImages'}: point at a folder "
                                "with JPEGImages/ and Annotations/ (bccd-smears' layout)")
    return photos


def training_photos(data: Path) -> list:
    """The photos training may learn from: all but the held-out ones."""
    return [photo for number, photo in enumerate(field_photos(data)) if number % HELD_OUT_EVERY]


def held_out_photos(data: Path) -> list:
    return field_photos(data)[::HELD_OUT_EVERY]


def annotation_of(photo: Path) -> Path:
    return Path(photo).parent.parent / "Annotations" / f"{Path(photo).stem}.xml"


def white_cell_boxes(annotation: Path) -> list:
    """[(left, top, right, bottom)] of the objects named WBC, a cell boxed twice kept once."""
    boxes = []
    for item in ElementTree.parse(annotation).findall("object"):
        if item.findtext("name", "").strip().upper() == "WBC":
            box = item.find("bndbox")
            box = tuple(round(float(box.findtext(k))) for k in ("xmin", "ymin", "xmax", "ymax"))
            if all(overlap(box, kept) < SAME_CELL_OVERLAP for kept in boxes):
                boxes.append(box)
    return boxes


def overlap(a: tuple, b: tuple) -> float:
    """Intersection over union of two (left, top, right, bottom) boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])  # noqa: E731
    return width * height / (area(a) + area(b) - width * height)


def touches_edge(box: tuple, shape: tuple) -> bool:
    left, top, right, bottom = box
    return (left <= EDGE_MARGIN or top <= EDGE_MARGIN or right >= shape[1] - 1 - EDGE_MARGIN
            or bottom >= shape[0] - 1 - EDGE_MARGIN)


def assign(centres: list, boxes: list) -> list:
    """For each found centre (y, x), the index of the box it matches, or None (each box matched at most once)."""
    free, matched = set(range(len(boxes))), []
    for y, x in centres:
        inside = [k for k in free if boxes[k][0] <= x <= boxes[k][2] and boxes[k][1] <= y <= boxes[k][3]]
        if not inside:
            matched.append(None)
            continue
        nearest = min(inside, key=lambda k: (boxes[k][0] + boxes[k][2] - 2 * x) ** 2 + (boxes[k][1] + boxes[k][3] - 2 * y) ** 2)
        free.discard(nearest)
        matched.append(nearest)
    return matched


def square_centre(square: tuple) -> tuple:
    """(y, x) of a cell's square (top, left, side): the finder centres each square on its cell."""
    top, left, side = square
    return top + side // 2, left + side // 2


def boxed_cells(cells: list, boxes: list) -> list:
    """The indices of the found cells (core/photo_cells.py's) whose centre matches a white-cell box."""
    matched = assign([square_centre(cell["square"]) for cell in cells], boxes)
    return [k for k, box in enumerate(matched) if box is not None]
