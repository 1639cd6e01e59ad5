"""Folder-per-class image datasets: DATA/<SPLIT>/<CLASS>/*.jpeg, class names from the folders.
(HDF5 files list their splits as the same SplitListing: core/h5data.py.)"""
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


def class_name(folder_name: str) -> str:
    """Class folders match by name whatever their case: Monocyte/, monocyte/ and MONOCYTE/ are MONOCYTE."""
    return folder_name.upper()


@dataclass
class SplitListing:
    """The images of one split and their class names (upper case), before any is decoded."""
    where: Path | str             # the split's folder, or which rows of which HDF5 file: what messages name
    paths: list                   # image files, or rows of an HDF5 file (core/h5data.H5Row)
    labels: list                  # class name per path
    found: list                   # class names with a folder (or a row) in this split
    skipped: list = field(default_factory=list)  # (path, reason) for what is not an image file


def list_split(split_dir: Path, classes: list = None, unknown: str = "error") -> SplitListing:
    """Every image file under split_dir/<CLASS>/. With `classes`, folders of other classes are an
    error (unknown="error") or left out (unknown="skip": evaluating a model on another lab's split)."""
    split_dir = Path(split_dir)
    folders = {}
    for folder in find_class_names(split_dir):
        name = class_name(folder)
        if name in folders:
            raise DatasetError(f"{split_dir} has two folders for class {name} ({folders[name]}/ and {folder}/): "
                               "class folders match whatever their case; merge them")
        folders[name] = folder
    unknown_names = sorted(set(folders) - set(classes)) if classes else []
    if unknown_names and unknown == "error":
        raise DatasetError(f"{split_dir} has class folders the model does not know: {', '.join(unknown_names)}")
    listing = SplitListing(split_dir, [], [], sorted(name for name in folders if name not in unknown_names))
    listed = {name: list_images(split_dir / folders[name]) for name in listing.found}
    empty = [folders[name] for name, (images, _) in listed.items() if not images]
    if empty:
        raise DatasetError(f"{split_dir}: class folder(s) with no images: {', '.join(empty)}; "
                           "put images in them or remove them")
    for name, (images, others) in listed.items():
        listing.paths += images
        listing.labels += [name] * len(images)
        listing.skipped += others
    return listing


def load_dataset(split_dir: Path, spec: dict, classes: list = None, progress=True, unknown: str = "error",
                 read=None) -> Dataset:
    """Read and preprocess every image; unreadable files are skipped and listed, not fatal.
    `read(paths, spec)` may stand in for preprocessing each file (e.g. a cache); it returns
    (inputs of the readable files, their indices, [(path, reason)] for the others)."""
    return load_listing(list_split(split_dir, classes, unknown), spec, classes, progress, read)


def load_listing(listing: SplitListing, spec: dict, classes: list | None = None, progress=True, read=None) -> Dataset:
    """load_dataset() for a split already listed (from a folder or an HDF5 file)."""
    classes = classes or listing.found
    inputs, kept, unreadable = (read or preprocess_files)(listing.paths, spec, progress=progress)
    skipped = listing.skipped + unreadable
    report_skipped(skipped)
    labels = [classes.index(listing.labels[i]) for i in kept]
    check_every_class_read(listing.where, classes, listing.found, labels, len(listing.paths))
    return Dataset(inputs, np.array(labels), classes, [str(listing.paths[i]) for i in kept], skipped)


def preprocess_files(paths: list, spec: dict, progress=True) -> tuple:
    """(N x H x W x 3 float32 inputs, indices of the files read, [(path, reason)] for unreadable ones)."""
    inputs, kept, skipped = [], [], []
    for done, path in enumerate(paths, 1):
        try:
            inputs.append(preprocess_file(path, spec))
            kept.append(done - 1)
        except ImageReadError as error:
            skipped.append((str(path), error.reason))
        if progress and (done % 500 == 0 or done == len(paths)):
            print(f"  read {done}/{len(paths)} images", file=sys.stderr, flush=True)
    height, width = spec["input_size"]
    return (np.stack(inputs) if inputs else np.zeros((0, height, width, 3), np.float32)), kept, skipped


def check_every_class_read(where, classes: list, found: list, labels: list, tried: int) -> None:
    if not labels:
        raise DatasetError(f"{where}: none of the {tried} image files could be read "
                           "(the skipped list above says why)")
    unread = [name for index, name in enumerate(classes) if name in found and index not in set(labels)]
    if unread:
        raise DatasetError(f"{where}: no image of class(es) {', '.join(unread)} could be read (the skipped "
                           "list above says why); replace those files with readable photos")


def report_skipped(skipped: list) -> None:
    if skipped:
        print(f"skipped {len(skipped)} file(s):", file=sys.stderr)
        for path, reason in skipped:
            print(f"  {path}: {reason}", file=sys.stderr)
