"""What the bench reads: each source's held-out splits (never its training data), and their photos
prepared for one model, over the classes that model knows and with its own preprocessing."""
import math
from dataclasses import dataclass
from pathlib import Path

from bench.defaults import QUICK_SAMPLE
from core.dataset import Dataset, list_split, load_dataset, preprocess_files
from core.paths import default_dataset
from train import HELD_OUT, open_sources

# What a model from before several sources was trained on; its metadata names no source.
SINGLE_SOURCE = "blood-cells"


@dataclass(frozen=True)
class HeldOutSplit:
    source: str             # the source folder's name, as metadata names the lab
    split: str              # TEST or TEST_SIMPLE
    folder: Path
    photos: int             # every photo the split holds, whatever its class
    chosen: frozenset = None  # the photos a quick run reads (paths); None: all of them

    @property
    def key(self) -> str:
        """How results name it: "blood-cells/TEST"."""
        return f"{self.source}/{self.split}"

    @property
    def sampled(self) -> bool:
        return self.chosen is not None


def file_stem(key: str) -> str:
    """A split key as part of a file name: "blood-cells/TEST" -> "blood-cells_TEST"."""
    return key.replace("/", "_")


def source_folders(data: list, metadata: dict) -> list:
    """--data's folders, or else the shared copy of each source the model was trained on."""
    if data:
        return [Path(folder) for folder in data]
    names = [source["name"] for source in metadata.get("training", {}).get("sources", [])] or [SINGLE_SOURCE]
    return [Path(default_dataset(name)) for name in names]


def splits_to_read(present: list, quick: bool) -> list:
    if not quick:
        return present
    return ["TEST_SIMPLE"] if "TEST_SIMPLE" in present else present[:1]


def held_out_splits(folders: list, quick: bool) -> tuple:
    """([HeldOutSplit], {source: why none of its splits is read}) for every source folder."""
    splits, missing = [], {}
    for source in open_sources(folders):
        present = [split for split in HELD_OUT if source.has(split)]
        if not present:
            missing[source.name] = (f"{source.path} does not exist" if not source.path.is_dir()
                                    else f"no {' or '.join(HELD_OUT)} folder in {source.path}")
        for split in splits_to_read(present, quick):
            listing = source.listing(split)
            # TEST_SIMPLE is small by nature; only a quick run's TEST is cut down.
            chosen = sample_evenly(listing, QUICK_SAMPLE) if quick and split == "TEST" else None
            splits.append(HeldOutSplit(source.name, split, source.split_dir(split), len(listing.paths), chosen))
    if not splits:
        raise FileNotFoundError("no held-out split to measure: " + "; ".join(missing.values())
                                + " (pass --data DIR, once per source, for folders holding TEST/ or TEST_SIMPLE/)")
    return splits, missing


def sample_evenly(listing, limit: int) -> frozenset | None:
    """About `limit` photos, the same share of every class folder and spread over each class's files
    (in name order), so a quick run sees every class and the same photos each time; None when the
    split holds no more than that."""
    if len(listing.paths) <= limit:
        return None
    by_class = {}
    for path, name in zip(listing.paths, listing.labels):
        by_class.setdefault(name, []).append(str(path))
    quota = math.ceil(limit / len(by_class))
    chosen = set()
    for paths in by_class.values():
        step = len(paths) / min(quota, len(paths))
        chosen.update(paths[int(i * step)] for i in range(min(quota, len(paths))))
    return frozenset(chosen)


def chosen_reader(chosen: frozenset | None):
    """load_dataset's `read` that prepares only the chosen photos (all of them for None)."""
    def read(paths, spec, progress=True):
        wanted = [i for i, path in enumerate(paths) if chosen is None or str(path) in chosen]
        inputs, kept, skipped = preprocess_files([paths[i] for i in wanted], spec, progress=progress)
        return inputs, [wanted[i] for i in kept], skipped
    return read


def read_split(split: HeldOutSplit, classes: list, spec: dict) -> Dataset | None:
    """The split's photos of `classes` (class folders match whatever their case; other classes are
    left out), prepared by core/preprocess.py as `spec` says; None when it has none of those classes."""
    if not list_split(split.folder, classes, unknown="skip").found:
        return None
    return load_dataset(split.folder, spec, classes=classes, unknown="skip", read=chosen_reader(split.chosen))
