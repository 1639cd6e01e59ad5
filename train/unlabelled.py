"""White cells of other labs without their classes: the boxed white cells of whole fields (deepbionet,
raabin, bcd, bccd-smears), for learning from labs that have no labelled cells here.

Each field's cells are found as the page finds them (core/photo_cells.py on the colour-corrected photo);
a found cell whose centre lies in an annotated white-cell box is kept (the boxes say "a white cell", never
which). Every third photo is left out (core/annotated_fields.py HELD_OUT_EVERY) so the label-free checks
keep photos no model learned from. Per cell two arrays, cached like every other crop (train/cache.py):
its training crop (widened, for augmentation) and the page's own input (what pseudo-labels are read from).
"""
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.annotated_fields import annotation_of, boxed_cells, training_photos, white_cell_boxes
from core.dataset import DatasetError
from core.photo_cells import photo_cells
from core.preprocess import decoded_rgb, square_input, wide_square_input
from train.cache import cached, cached_value, fingerprint


@dataclass(frozen=True)
class FieldCell:
    """One boxed white cell of a field photo: the `number`th cell photo_cells lists there."""
    photo: Path
    number: int

    def fingerprint(self) -> str:
        return f"{fingerprint(self.photo)}\0cell {self.number}"


@dataclass
class UnlabelledCells:
    lab: str
    crops: np.ndarray    # N x C x C x 3 uint8, widened like the labelled training crops
    inputs: np.ndarray   # N x H x W x 3 float32, the page's inputs


def listed_cells(photo: Path, spec: dict) -> list:
    """The numbers of the photo's found cells that match a white-cell box (a refused photo is looked at anyway:
    the boxes say it is a smear)."""
    found = photo_cells(decoded_rgb(photo, spec), spec, look_anyway=True)
    return boxed_cells(found["cells"], white_cell_boxes(annotation_of(photo)))


def cell_square(cell: FieldCell, spec: dict) -> tuple:
    rgb = decoded_rgb(cell.photo, spec)
    return rgb, photo_cells(rgb, spec, look_anyway=True)["cells"][cell.number]["square"]


def cell_crop(cell: FieldCell, spec: dict) -> np.ndarray:
    rgb, square = cell_square(cell, spec)
    return wide_square_input(rgb, square, spec, spec["context"])


def cell_input(cell: FieldCell, spec: dict) -> np.ndarray:
    rgb, square = cell_square(cell, spec)
    return square_input(rgb, square, spec)


def field_cells(folder: Path, spec: dict, cache_dir: Path) -> list:
    photos = training_photos(folder)
    listing = cached_value(cache_dir, "field-cells", photos, spec,
                           lambda: [[str(photo), number] for photo in photos for number in listed_cells(photo, spec)])
    return [FieldCell(Path(photo), number) for photo, number in listing]


def unlabelled_cells(folder: Path, spec: dict, context: float, cache_dir: Path) -> UnlabelledCells:
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"--unlabelled {folder}: no such folder. The shipped recipe learns from the field sets "
                           "named in README (Data); give them, or train without: --unlabelled none")
    if not (folder / "Annotations").is_dir():
        raise DatasetError(f"--unlabelled {folder}: no Annotations/ there; give a folder of whole fields with "
                           "JPEGImages/ and Annotations/ (Pascal VOC, white cells named WBC)")
    print(f"finding the boxed white cells of {folder.name} (unlabelled)", file=sys.stderr, flush=True)
    cells = field_cells(folder, spec, cache_dir)
    if not cells:
        raise DatasetError(f"--unlabelled {folder}: no boxed white cell found in its training photos")
    crops, _, _ = cached(cache_dir, "field-crops", cells, {**spec, "context": context}, cell_crop,
                         f"{folder.name} unlabelled crops")
    inputs, _, _ = cached(cache_dir, "field-inputs", cells, spec, cell_input, f"{folder.name} unlabelled inputs")
    return UnlabelledCells(folder.name, crops, inputs)
