"""Folder-per-class image datasets: DATA/<SPLIT>/<CLASS>/*.jpeg, class names from the folders."""
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.facts import IMAGE_SUFFIXES
from core.preprocess import ImageReadError, preprocess_file


class DatasetError(ValueError):
    """A dataset layout the pipeline cannot train on; the message says what to fix."""


@dataclass
class Dataset:
    images: np.ndarray            # N x H x W x 3 float32, values 0..255
    labels: np.ndarray            # N int class indices
    classes: list
    files: list
    skipped: list = field(default_factory=list)  # (path, reason)


def find_class_names(split_dir: Path) -> list:
    if not split_dir.is_dir():
        raise DatasetError(missing_split_message(split_dir))
    entries = list_folder(split_dir)
    classes = sorted(p.name for p in entries if p.is_dir())
    if not classes:
        loose = [p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES]
        found = f"it holds {len(loose)} image(s) directly; " if loose else ""
        raise DatasetError(f"{split_dir} has no class folders: {found}put each class's images in "
                           f"{split_dir}/<CLASS>/, one folder per class (for example {split_dir}/MONOCYTE/)")
    if len(classes) < 2:
        raise DatasetError(f"{split_dir} has only one class ({classes[0]}): a classifier needs at least two "
                           f"class folders; add a folder of images for each other class next to {classes[0]}/")
    return classes


def missing_split_message(split_dir: Path) -> str:
    message = f"{split_dir} does not exist: expected {split_dir}/<CLASS>/ with one folder of images per class"
    parent = split_dir.parent
    if not parent.is_dir():
        return f"{message}; {parent} does not exist either: check the --data path"
    siblings = sorted(p.name for p in list_folder(parent) if p.is_dir())
    misnamed = [name for name in siblings if name.lower() == split_dir.name.lower()]
    if misnamed:
        return f"{message}; rename {parent / misnamed[0]} to {split_dir.name} (folder names are case-sensitive)"
    if siblings:
        message += f"; {parent} holds {', '.join(siblings)}"
    if split_dir.name == "TRAIN":
        message += "; --data must name the folder that contains TRAIN/, not TRAIN itself or a class folder"
    return message


def list_folder(folder: Path) -> list:
    """Visible entries; hidden ones (.DS_Store, .git) are the system's, not the dataset's."""
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as error:
        raise DatasetError(f"{folder} cannot be read ({error.strerror}): check its permissions") from error


def list_images(class_dir: Path) -> tuple:
    """(image paths, [(path, reason)] for everything else in the folder), both sorted."""
    images, others = [], []
    for path in list_folder(class_dir):
        if path.is_dir():
            others.append((str(path), "a folder inside a class folder; its files are not read"))
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            images.append(path)
        else:
            others.append((str(path), f"not an image file name (reads {', '.join(sorted(IMAGE_SUFFIXES))})"))
    return images, others


def load_dataset(split_dir: Path, spec: dict, classes: list = None, progress=True) -> Dataset:
    """Read and preprocess every image; unreadable files are skipped and listed, not fatal."""
    split_dir = Path(split_dir)
    found = find_class_names(split_dir)
    classes = classes or found
    unknown = sorted(set(found) - set(classes))
    if unknown:
        raise DatasetError(f"{split_dir} has class folders the model does not know: {', '.join(unknown)}")
    listed = {name: list_images(split_dir / name) if (split_dir / name).is_dir() else ([], []) for name in classes}
    skipped = [other for _, others in listed.values() for other in others]
    empty = [name for name in found if not listed[name][0]]
    if empty:
        raise DatasetError(f"{split_dir}: class folder(s) with no images: {', '.join(empty)}; "
                           "put images in them or remove them")
    jobs = [(path, index) for index, name in enumerate(classes) for path in listed[name][0]]
    images, labels, files = [], [], []
    for done, (path, index) in enumerate(jobs, 1):
        try:
            images.append(preprocess_file(path, spec))
        except ImageReadError as error:
            skipped.append((str(path), error.reason))
            continue
        labels.append(index)
        files.append(str(path))
        if progress and (done % 500 == 0 or done == len(jobs)):
            print(f"  read {done}/{len(jobs)} images from {split_dir}", file=sys.stderr, flush=True)
    report_skipped(skipped)
    check_every_class_read(split_dir, classes, found, labels, len(jobs))
    return Dataset(np.stack(images), np.array(labels), classes, files, skipped)


def check_every_class_read(split_dir: Path, classes: list, found: list, labels: list, tried: int) -> None:
    if not labels:
        raise DatasetError(f"{split_dir}: none of the {tried} image files could be read "
                           "(the skipped list above says why)")
    unread = [name for index, name in enumerate(classes) if name in found and index not in set(labels)]
    if unread:
        raise DatasetError(f"{split_dir}: no image of class(es) {', '.join(unread)} could be read (the skipped "
                           "list above says why); replace those files with readable photos")


def report_skipped(skipped: list) -> None:
    if skipped:
        print(f"skipped {len(skipped)} file(s):", file=sys.stderr)
        for path, reason in skipped:
            print(f"  {path}: {reason}", file=sys.stderr)
