"""HDF5 datasets: one lab's images in one file, in either of two layouts.

flat             images   N x H x W x 3 uint8, every image the same size
                 labels   N class names (strings)
                 split    optional: N of TRAIN, VAL, TEST, TEST_SIMPLE (without it every row is TRAIN)
per-cell groups  one group per cell, as lab systems export them, each holding
                 Cell/image   H x W x 3 uint8, any size per cell
                 Label/class  its class name (a string)
                 split        optional, an attribute or a dataset of the group, as above

The images are stored decoded (upright RGB), so they skip only the decoding a photo file needs and
go through the same preprocessing (core/preprocess.decoded_rgb). Class names match whatever their
case, as class folders do, and so do split names. Opening a file checks everything from the shapes
and names alone; the pixels are read row by row when they are prepared.
"""
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from core.dataset import DatasetError, SplitListing, class_name
from core.facts import MAX_PIXELS
from core.preprocess import ImageReadError

SPLITS = ("TRAIN", "VAL", "TEST", "TEST_SIMPLE")
SUFFIXES = (".h5", ".hdf5")
CELL_IMAGE, CELL_CLASS, SPLIT = "Cell/image", "Label/class", "split"
LAYOUTS = ("datasets images (N x H x W x 3 uint8) and labels (N class names), or one group per cell holding "
           f"{CELL_IMAGE} (H x W x 3 uint8) and {CELL_CLASS} (its class name)")
SHOWN = 8  # names listed when a file holds neither layout


@dataclass(frozen=True)
class H5Row:
    """One image of an HDF5 dataset: row `key` of its images (flat layout), or the cell group named `key`."""
    file: Path
    key: int | str

    def __str__(self) -> str:
        return f"{self.file}[{self.key}]" if isinstance(self.key, int) else f"{self.file}/{self.key}"

    def fingerprint(self) -> str:
        """What the row's pixels depend on, for the preprocessing cache (train/cache.py): the file's
        resolved path, size and modification time, and which row of it this is."""
        stat = os.stat(self.file)
        return f"{Path(self.file).resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{self.key}"

    def rgb(self) -> np.ndarray:
        # Opened for each row: well under a millisecond, little beside preprocessing, and no handle
        # stays open in the worker processes that prepare the rows.
        try:
            with h5py.File(self.file, "r") as h5:
                rgb = h5["images"][self.key] if isinstance(self.key, int) else h5[self.key][CELL_IMAGE][()]
        except (OSError, KeyError) as error:
            raise ImageReadError(self, f"cannot be read ({error})") from error
        height, width = rgb.shape[:2]
        if height * width == 0:
            raise ImageReadError(self, f"an empty image ({width} x {height} pixels)")
        if height * width > MAX_PIXELS:
            raise ImageReadError(self, f"too large to read safely: {width} x {height} pixels, "
                                       f"more than {MAX_PIXELS // 10**6} megapixels")
        return rgb


@dataclass
class H5Dataset:
    """Every image of one HDF5 file: where its pixels are, its class name and its split."""
    file: Path
    layout: str                 # "flat" or "per-cell groups"
    rows: list                  # H5Row
    labels: list                # class name per row, upper case
    splits: list                # split per row
    ignored: list = field(default_factory=list)  # (name, reason): what is in the file but not a cell

    def has(self, split: str) -> bool:
        return split in self.splits

    def listing(self, split: str, classes: list | None = None, unknown: str = "error") -> SplitListing:
        """The rows of one split, as list_split gives a folder's: with `classes`, rows of other classes
        are an error (unknown="error") or left out (unknown="skip")."""
        where = f"{self.file} ({split} rows)"
        chosen = [i for i, name in enumerate(self.splits) if name == split]
        if not chosen:
            raise DatasetError(f"{self.file} has no {split} rows (it marks only "
                               f"{', '.join(sorted(set(self.splits)))}): {split_rule(self.layout)}")
        present = sorted({self.labels[i] for i in chosen})
        if len(present) < 2:
            raise DatasetError(f"{where} hold only one class ({present[0]}): a classifier needs at least two; "
                               "add images of the other classes")
        unknown_names = sorted(set(present) - set(classes)) if classes else []
        if unknown_names and unknown == "error":
            raise DatasetError(f"{where} hold classes the model does not know: {', '.join(unknown_names)}")
        kept = [i for i in chosen if self.labels[i] not in unknown_names]
        return SplitListing(where, [self.rows[i] for i in kept], [self.labels[i] for i in kept],
                            [name for name in present if name not in unknown_names],
                            list(self.ignored) if split == "TRAIN" else [])


def is_h5_source(path: Path) -> bool:
    """--data names an HDF5 file: a file (told apart from other files when opened), or a name with an
    HDF5 suffix that is not a folder (a missing file is then said to be missing)."""
    path = Path(path)
    return path.is_file() or (path.suffix.lower() in SUFFIXES and not path.is_dir())


def split_rule(layout: str) -> str:
    where = "a split dataset beside images and labels" if layout == "flat" else "a split attribute on each cell group"
    return f"mark rows with {where}, each {', '.join(SPLITS)}; without one every row is TRAIN"


def read_h5(file) -> H5Dataset:
    """The file's layout and rows, checked; DatasetError says what to fix."""
    file = Path(file)
    if not file.exists():
        raise DatasetError(f"{file} does not exist: check the --data path")
    if not h5py.is_hdf5(file):
        raise DatasetError(f"{file} is not an HDF5 file: --data takes a dataset folder (TRAIN/<CLASS>/...) or "
                           f"an HDF5 file holding {LAYOUTS}")
    try:
        with h5py.File(file, "r") as h5:
            if "images" in h5 or "labels" in h5:
                return read_flat(file, h5)
            if any(is_cell(item) for item in h5.values()):
                return read_groups(file, h5)
            raise DatasetError(f"{file} holds neither HDF5 layout: expected {LAYOUTS}; {contents(h5)}")
    except OSError as error:
        raise DatasetError(f"{file} cannot be read as HDF5 ({error})") from error


def read_flat(file: Path, h5: h5py.File) -> H5Dataset:
    missing = [name for name in ("images", "labels") if name not in h5]
    if missing:
        raise DatasetError(f"{file} has no {missing[0]} dataset: the flat layout needs both images "
                           "(N x H x W x 3 uint8) and labels (N class names, in the same order)")
    images = h5["images"]
    check_pixels(images, "N x H x W x 3", f"{file}: images")
    labels = strings(h5["labels"], f"{file}: labels")
    if len(labels) != len(images):
        raise DatasetError(f"{file}: images holds {len(images)} images but labels holds {len(labels)} class names: "
                           "give one label per image, in the same order")
    if not len(images):
        raise DatasetError(f"{file}: images holds no image")
    splits = strings(h5[SPLIT], f"{file}: split") if SPLIT in h5 else ["TRAIN"] * len(labels)
    if len(splits) != len(labels):
        raise DatasetError(f"{file}: split holds {len(splits)} values for {len(labels)} images: give one per image")
    rows = [H5Row(file, index) for index in range(len(labels))]
    names = [label_name(label, f"{file}: labels row {index}") for index, label in enumerate(labels)]
    return H5Dataset(file, "flat", rows, names, [split_name(value, f"{file}: split row {index}", "flat")
                                                 for index, value in enumerate(splits)])


def read_groups(file: Path, h5: h5py.File) -> H5Dataset:
    found = H5Dataset(file, "per-cell groups", [], [], [])
    for name in sorted(h5):
        item, where = h5[name], f"{file}/{name}"
        if not is_cell(item):
            found.ignored.append((where, f"not a cell group (one holding {CELL_IMAGE} and {CELL_CLASS}); not read"))
            continue
        for part in (CELL_IMAGE, CELL_CLASS):
            if part not in item:
                raise DatasetError(f"{where} has no {part}: every cell group needs {CELL_IMAGE} (H x W x 3 uint8) "
                                   f"and {CELL_CLASS} (its class name)")
        check_pixels(item[CELL_IMAGE], "H x W x 3", f"{where}/{CELL_IMAGE}")
        found.rows.append(H5Row(file, name))
        label = f"{where}/{CELL_CLASS}"
        found.labels.append(label_name(single_string(item[CELL_CLASS], label), label))
        found.splits.append(split_name(split_of_group(item, where), f"{where}: split", found.layout))
    return found


def is_cell(item) -> bool:
    return isinstance(item, h5py.Group) and ("Cell" in item or "Label" in item)


def split_of_group(group: h5py.Group, where: str) -> str:
    if SPLIT in group.attrs:
        value = group.attrs[SPLIT]
        return value.decode() if isinstance(value, bytes) else str(value)
    return single_string(group[SPLIT], f"{where}/{SPLIT}") if SPLIT in group else "TRAIN"


def check_pixels(data, expected: str, what: str) -> None:
    """uint8 RGB of the rank `expected` names ("N x H x W x 3" or "H x W x 3")."""
    if not isinstance(data, h5py.Dataset):
        raise DatasetError(f"{what} is a group, not a dataset of {expected} uint8 pixels")
    rank = expected.count("x") + 1
    if data.ndim != rank or data.shape[-1] != 3:
        raise DatasetError(f"{what} has shape {data.shape}: expected {expected} (RGB; store grey images "
                           "as three equal channels)")
    if data.dtype != np.uint8:
        raise DatasetError(f"{what} holds {data.dtype} values: expected uint8 (0..255 per channel, as "
                           "photos are stored); convert the pixels to 8 bits before export")


def strings(data, what: str) -> list:
    """A one-dimensional dataset of strings (bytes or str), as str."""
    if not isinstance(data, h5py.Dataset) or h5py.check_string_dtype(data.dtype) is None:
        kind = f"{data.dtype} values" if isinstance(data, h5py.Dataset) else "a group"
        raise DatasetError(f"{what} holds {kind}: expected strings (class names such as NEUTROPHIL, "
                           "or split names such as TRAIN)")
    if data.ndim != 1:
        raise DatasetError(f"{what} has shape {data.shape}: expected one string per image (one dimension)")
    return [text(value) for value in data[()]]


def single_string(data, what: str) -> str:
    if not isinstance(data, h5py.Dataset) or h5py.check_string_dtype(data.dtype) is None or data.size != 1:
        raise DatasetError(f"{what} is not a single string: expected the cell's class name, e.g. NEUTROPHIL")
    return text(data[()] if data.ndim == 0 else data[()].ravel()[0])


def text(value) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()


def label_name(value: str, where: str) -> str:
    if not value:
        raise DatasetError(f"{where} is empty: every image needs its class name")
    return class_name(value)


def split_name(value: str, where: str, layout: str) -> str:
    name = value.upper()
    if name not in SPLITS:
        raise DatasetError(f"{where} is {value!r}, not a split: {split_rule(layout)}")
    return name


def contents(h5: h5py.File) -> str:
    """What a file holds at its top, for the message when it holds neither layout."""
    datasets = [name for name, item in h5.items() if isinstance(item, h5py.Dataset)]
    groups = [name for name, item in h5.items() if isinstance(item, h5py.Group)]
    if not datasets and not groups:
        return "it is empty"
    parts = [f"{kind} {shown(names)}" for kind, names in (("datasets", datasets), ("groups", groups)) if names]
    found = f"it holds {' and '.join(parts)}"
    if groups:
        inside = []
        h5[groups[0]].visit(inside.append)
        found += f" (the group {groups[0]} holds {shown(inside) if inside else 'nothing'})"
    return found


def shown(names: list) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more
