"""Training sources: one dataset folder per lab, trained on together.

Each source is a folder with TRAIN/<CLASS>/ and optionally VAL/, TEST/ and TEST_SIMPLE/. Sources
may know different classes (blood-cells has no basophils); the model learns their union, classes
matched by name whatever their case. Each source keeps its own honest validation: its VAL/ when it
has one, otherwise whole source smears held out of its TRAIN/ (train/grouping.py).
"""
from dataclasses import dataclass
from pathlib import Path

from core.dataset import DatasetError, SplitListing, list_split

VALIDATION = "VAL"
HELD_OUT = ("TEST", "TEST_SIMPLE")


@dataclass(frozen=True)
class Source:
    name: str      # the folder's name, e.g. "pbc": how metrics and metadata name the lab
    path: Path

    def split_dir(self, split: str) -> Path:
        return self.path / split

    def has(self, split: str) -> bool:
        return self.split_dir(split).is_dir()

    def listing(self, split: str, classes: list = None, unknown: str = "error") -> SplitListing:
        return list_split(self.split_dir(split), classes, unknown)


def open_sources(paths) -> list:
    """The sources named by --data, checked: each has TRAIN/, and no two share a name."""
    sources = [Source(Path(path).resolve().name, Path(path)) for path in paths]
    if not sources:
        raise DatasetError("no dataset given: name at least one folder with --data")
    names = [source.name for source in sources]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DatasetError(f"two --data folders are both named {repeated[0]}: sources are told apart by their "
                           "folder names, so rename one")
    return sources


def class_union(listings: list, known=()) -> list:
    """Every class any source's TRAIN has (and those a fine-tuned model already knows), sorted: the model's classes."""
    return sorted({name for listing in listings for name in listing.found} | set(known))
