"""Write a dataset folder into one HDF5 file, for labs that exchange HDF5 rather than folders of photos.

python -m train.export_h5 --data ../shared/data/blood-cells --out blood-cells.h5 [--layout groups]

Every split folder the dataset has (TRAIN, VAL, TEST, TEST_SIMPLE) is written and each image marked
with its split, so the file trains and is evaluated as the folder is; class names are written as
training names them (upper case). Images are stored decoded, as preprocessing decodes a photo
(core/preprocess.load_rgb: upright, transparency laid on white), so the model gets the same pixels
from the file as from the folder. The flat layout (the default) holds one image size: a folder whose
photos differ in size is refused, before anything is written, with the hint to use --layout groups
(one group per cell, each image at its own size); resizing or padding would change what the model
sees. Unreadable files are skipped and listed, as training skips them. The file is written beside
--out and renamed into place once complete.
"""
import argparse
import sys
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from core.cli import run_stage
from core.dataset import DatasetError, list_split, missing_split_message, report_skipped
from core.files import atomic_path
from core.h5data import CELL_CLASS, CELL_IMAGE, SPLIT, SPLITS
from core.preprocess import TURNS, ImageReadError, exif_orientation, load_rgb

LAYOUTS = ("flat", "groups")
# Orientations whose upright picture is the stored one turned on its side: height and width swap.
SIDEWAYS = {Image.Transpose.TRANSPOSE, Image.Transpose.TRANSVERSE, Image.Transpose.ROTATE_90,
            Image.Transpose.ROTATE_270}
PROGRESS_EVERY = 500
TEXT = h5py.string_dtype()


def folder_images(folder: Path) -> list:
    """(split, path, class name) for every image file of every split folder, in the order training lists them."""
    splits = [split for split in SPLITS if (folder / split).is_dir()]
    if not splits:
        raise DatasetError(missing_split_message(folder / "TRAIN"))
    others = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in SPLITS and p.name[0] != ".")
    if others:
        print(f"not exported: {', '.join(others)} (not a split: {', '.join(SPLITS)})", file=sys.stderr)
    images = []
    for split in splits:
        listing = list_split(folder / split)
        report_skipped(listing.skipped)
        images += [(split, path, label) for path, label in zip(listing.paths, listing.labels)]
    return images


def upright_size(path: Path) -> tuple | None:
    """(height, width) as load_rgb will give it, from the file's header alone; None when unreadable."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            sideways = TURNS.get(exif_orientation(image)) in SIDEWAYS
    except Exception:  # noqa: BLE001 (Pillow raises many kinds for damaged files; decoding it later says why)
        return None
    return (width, height) if sideways else (height, width)


def common_size(folder: Path, images: list) -> tuple:
    """The one (height, width) of every image, which the flat layout needs; else DatasetError saying what to do."""
    seen = {}
    for _, path, _ in images:
        size = upright_size(path)
        if size is not None:
            seen.setdefault(size, path)
    if not seen:
        raise DatasetError(f"{folder}: none of the {len(images)} image files could be read")
    if len(seen) > 1:
        raise DatasetError(size_message(folder, seen))
    return next(iter(seen))


def size_message(folder: Path, seen: dict) -> str:
    examples = ", ".join(f"{w} x {h} in {path.relative_to(folder)}" for (h, w), path in list(seen.items())[:3])
    return (f"{folder}: the images differ in size ({examples}; {len(seen)} sizes in all), and the flat layout "
            "holds one size: export with --layout groups, which keeps every image at its own size (resizing or "
            "padding would change what the model sees)")


class FlatWriter:
    """images, labels and split datasets (plus files: where each row came from, for people, not training)."""

    def __init__(self, h5: h5py.File, folder: Path, size: tuple):
        self.h5, self.folder, self.size = h5, folder, size
        self.labels, self.splits, self.files = [], [], []
        # One chunk per image: training reads the file one row at a time.
        self.images = h5.create_dataset("images", (0, *size, 3), np.uint8, maxshape=(None, *size, 3),
                                        chunks=(1, *size, 3), compression="gzip")

    def add(self, rgb: np.ndarray, split: str, label: str, path: Path) -> None:
        if rgb.shape[:2] != self.size:  # decoded otherwise than its header said (rare): still one size, or refuse
            (height, width), (expected_height, expected_width) = rgb.shape[:2], self.size
            raise DatasetError(f"{path} is {width} x {height} pixels, the other images {expected_width} x "
                               f"{expected_height}: the flat layout holds one size; export with --layout groups")
        self.images.resize(len(self.labels) + 1, axis=0)
        self.images[len(self.labels)] = rgb
        self.labels.append(label)
        self.splits.append(split)
        self.files.append(str(path.relative_to(self.folder)))

    def finish(self) -> None:
        for name, values in (("labels", self.labels), (SPLIT, self.splits), ("files", self.files)):
            self.h5.create_dataset(name, data=values, dtype=TEXT)


class GroupWriter:
    """One group per cell, cell_000000, cell_000001, ... in the folder's order, each with its image,
    class, split attribute and a file attribute (where it came from)."""

    def __init__(self, h5: h5py.File, folder: Path, total: int):
        self.h5, self.folder, self.written = h5, folder, 0
        self.digits = max(6, len(str(total)))

    def add(self, rgb: np.ndarray, split: str, label: str, path: Path) -> None:
        group = self.h5.create_group(f"cell_{self.written:0{self.digits}d}")
        group.create_dataset(CELL_IMAGE, data=rgb, compression="gzip")
        group.create_dataset(CELL_CLASS, data=label, dtype=TEXT)
        group.attrs[SPLIT] = split
        group.attrs["file"] = str(path.relative_to(self.folder))
        self.written += 1

    def finish(self) -> None:
        pass


def export_folder(folder: Path, out: Path, layout: str = "flat") -> dict:
    """Write the folder's images into `out`; returns {split: images written} and what was skipped."""
    folder, out = Path(folder), Path(out)
    images = folder_images(folder)
    size = common_size(folder, images) if layout == "flat" else None
    counts, skipped = {}, []
    with atomic_path(out) as temporary, h5py.File(temporary, "w") as h5:
        writer = FlatWriter(h5, folder, size) if layout == "flat" else GroupWriter(h5, folder, len(images))
        for done, (split, path, label) in enumerate(images, 1):
            try:
                writer.add(load_rgb(path), split, label, path)
                counts[split] = counts.get(split, 0) + 1
            except ImageReadError as error:
                skipped.append((str(path), error.reason))
            if done % PROGRESS_EVERY == 0 or done == len(images):
                print(f"  exported {done}/{len(images)} images", file=sys.stderr, flush=True)
        if not counts:
            raise DatasetError(f"{folder}: none of the {len(images)} image files could be read")
        writer.finish()
    report_skipped(skipped)
    return {"out": out, "layout": layout, "counts": counts, "skipped": skipped}


def describe(summary: dict) -> str:
    counts = ", ".join(f"{split} {count}" for split, count in summary["counts"].items())
    return f"wrote {summary['out']} ({summary['layout']} layout): {counts} images"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.export_h5", description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a dataset folder: TRAIN/<CLASS>/ and any of VAL/, TEST/, "
                        "TEST_SIMPLE/")
    parser.add_argument("--out", required=True, help="the HDF5 file to write, e.g. my-lab.h5 (training names the "
                        "source after it: my-lab)")
    parser.add_argument("--layout", choices=LAYOUTS, default="flat", help="flat: images, labels and split datasets, "
                        "every image one size; groups: one group per cell (Cell/image, Label/class), any sizes "
                        "(default: %(default)s)")
    options = parser.parse_args(argv)
    return run_stage(lambda: export_folder(Path(options.data), Path(options.out), options.layout),
                     (DatasetError, OSError), describe)


if __name__ == "__main__":
    sys.exit(main())
