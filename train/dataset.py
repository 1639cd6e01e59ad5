"""Folder-per-class image datasets: DATA/<SPLIT>/<CLASS>/*.jpeg, class names from the folders."""
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from train.preprocess import ImageReadError, preprocess_file

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"}
# Kaggle's blood-cells files are named _<source smear>_<augmented copy>.jpeg.
SOURCE_SMEAR = re.compile(r"^_(\d+)_\d+$")


class DatasetError(ValueError):
    """A dataset layout the pipeline cannot train on; the message says what to fix."""


@dataclass
class Dataset:
    images: np.ndarray            # N x H x W x 3 float32, values 0..255
    labels: np.ndarray            # N int class indices
    groups: list                  # N source-smear keys; copies of one smear share a key
    classes: list
    files: list
    skipped: list = field(default_factory=list)  # (path, reason)


def find_class_names(split_dir: Path) -> list:
    if not split_dir.is_dir():
        raise DatasetError(f"{split_dir} does not exist: expected a folder with one sub-folder per class")
    classes = sorted(p.name for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(f"{split_dir} has no class folders: put each class's images in {split_dir}/<CLASS>/")
    if len(classes) < 2:
        raise DatasetError(f"{split_dir} has only one class ({classes[0]}): a classifier needs at least two class folders")
    return classes


def list_images(class_dir: Path) -> list:
    return sorted(p for p in class_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def source_smear(path: Path, class_name: str) -> str:
    match = SOURCE_SMEAR.match(path.stem)
    return f"{class_name}/{match.group(1) if match else path.stem}"


def load_dataset(split_dir: Path, spec: dict, classes: list = None, progress=True) -> Dataset:
    """Read and preprocess every image; unreadable files are skipped and listed, not fatal."""
    split_dir = Path(split_dir)
    found = find_class_names(split_dir)
    classes = classes or found
    unknown = sorted(set(found) - set(classes))
    if unknown:
        raise DatasetError(f"{split_dir} has class folders the model does not know: {', '.join(unknown)}")
    per_class = {name: list_images(split_dir / name) if (split_dir / name).is_dir() else [] for name in classes}
    empty = [name for name in found if not per_class[name]]
    if empty:
        raise DatasetError(f"{split_dir}: class folder(s) with no images: {', '.join(empty)}")
    jobs = [(path, index, name) for index, name in enumerate(classes) for path in per_class[name]]
    images, labels, groups, files, skipped = [], [], [], [], []
    for done, (path, index, name) in enumerate(jobs, 1):
        try:
            images.append(preprocess_file(path, spec))
        except ImageReadError as error:
            skipped.append((str(path), str(error.__cause__ or error)))
            continue
        labels.append(index)
        groups.append(source_smear(path, name))
        files.append(str(path))
        if progress and (done % 500 == 0 or done == len(jobs)):
            print(f"  read {done}/{len(jobs)} images from {split_dir}", file=sys.stderr, flush=True)
    report_skipped(skipped)
    if not images:
        raise DatasetError(f"{split_dir}: none of the {len(jobs)} image files could be read")
    return Dataset(np.stack(images), np.array(labels), groups, classes, files, skipped)


def report_skipped(skipped: list) -> None:
    if skipped:
        print(f"skipped {len(skipped)} unreadable file(s):", file=sys.stderr)
        for path, reason in skipped:
            print(f"  {path}: {reason}", file=sys.stderr)


def group_split(dataset: Dataset, fraction: float, seed: int) -> tuple:
    """Hold out whole source smears per class, so augmented copies of one smear never straddle the split."""
    rng = np.random.default_rng(seed)
    groups = np.array(dataset.groups)
    held_out = np.zeros(len(groups), dtype=bool)
    for index in range(len(dataset.classes)):
        names = np.unique(groups[dataset.labels == index])
        rng.shuffle(names)
        count = min(max(1, round(fraction * len(names))), len(names) - 1)
        held_out |= np.isin(groups, names[:count]) & (dataset.labels == index)
    if not held_out.any() or held_out.all():
        raise DatasetError("every class needs at least two source images to hold some out for validation")
    return np.flatnonzero(~held_out), np.flatnonzero(held_out)
