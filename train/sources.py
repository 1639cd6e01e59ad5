"""Training sources: one dataset per lab, trained on together.

A source is a folder with TRAIN/<CLASS>/ and optionally VAL/, TEST/ and TEST_SIMPLE/, or an HDF5
file whose rows are marked with the same splits (core/h5data.py). Sources may know different
classes (blood-cells has no basophils); the model learns their union, classes matched by name
whatever their case. Each source keeps its own honest validation: its VAL split when it has one,
otherwise a share of its TRAIN held out (validation_groups says how).
"""
import sys
from dataclasses import dataclass, field
from pathlib import Path

from core.dataset import DatasetError, SplitListing, list_split
from core.h5data import H5Dataset, is_h5_source, read_h5
from train.cache import cached_value
from train.grouping import recover_groups

VALIDATION = "VAL"
HELD_OUT = ("TEST", "TEST_SIMPLE")


@dataclass(frozen=True)
class FolderSource:
    name: str      # the folder's name, e.g. "pbc": how metrics and metadata name the lab
    path: Path
    held_out_kind = "held-out smears"

    def split_dir(self, split: str) -> Path:
        return self.path / split

    def has(self, split: str) -> bool:
        return self.split_dir(split).is_dir()

    def listing(self, split: str, classes: list | None = None, unknown: str = "error") -> SplitListing:
        return list_split(self.split_dir(split), classes, unknown)

    def validation_groups(self, paths: list, labels, classes: list, cache_dir: Path) -> list:
        """A group key per TRAIN image: copies of one source smear share theirs (train/grouping.py),
        so validation holds out whole smears."""
        print("grouping copies of the same source image, for an honest validation split", file=sys.stderr, flush=True)
        return cached_value(cache_dir, "groups", paths, {"classes": classes},
                            lambda: recover_groups(paths, labels, classes))


@dataclass(frozen=True)
class H5Source:
    name: str      # the file's name without its suffix: my-lab.h5 is "my-lab"
    path: Path
    contents: H5Dataset = field(repr=False, compare=False)
    held_out_kind = "held-out rows"

    def has(self, split: str) -> bool:
        return self.contents.has(split)

    def listing(self, split: str, classes: list | None = None, unknown: str = "error") -> SplitListing:
        return self.contents.listing(split, classes, unknown)

    def validation_groups(self, paths: list, labels, classes: list, cache_dir: Path) -> list:
        """Every row its own group, so validation is a random share of each class (stratified, chosen
        by --split-seed, --val-fraction of it): an HDF5 file names no smears to keep together. A file
        whose rows include copies of one cell should mark a VAL split instead."""
        return [f"{classes[label]}/{row.key}" for row, label in zip(paths, labels)]


def source_name(path) -> str:
    """How metrics and metadata name a source: its folder's name, or its file's name without the suffix."""
    path = Path(path)
    return path.resolve().stem if is_h5_source(path) else path.resolve().name


def open_source(path) -> FolderSource | H5Source:
    path = Path(path)
    if is_h5_source(path):
        return H5Source(source_name(path), path, read_h5(path))
    return FolderSource(source_name(path), path)


def open_sources(paths) -> list:
    """The sources named by --data, checked: no two share a name (an HDF5 file's is checked whole)."""
    paths = list(paths)
    if not paths:
        raise DatasetError("no dataset given: name at least one folder or HDF5 file with --data")
    names = [source_name(path) for path in paths]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DatasetError(f"two --data sources are both named {repeated[0]}: sources are told apart by their "
                           "folder or file names, so rename one")
    return [open_source(path) for path in paths]


def class_union(listings: list, known=()) -> list:
    """Every class any source's TRAIN has (and those a fine-tuned model already knows), sorted: the model's classes."""
    return sorted({name for listing in listings for name in listing.found} | set(known))
