"""Everything a training run reads, prepared once: each source's training crops and its validation
inputs, the class union, and the weights that let small classes and small sources count.

Training images are stored widened around the cell (CONTEXT) so augmentation can zoom and shift;
validation inputs are exactly what the page computes (core/preprocess.py), so validation measures
the model the browser will run.
"""
import sys
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from core.dataset import DatasetError, check_every_class_read, report_skipped
from core.preprocess import crop_mode, preprocess_file, preprocessing_spec, training_crop
from train.cache import cached
from train.grouping import group_split
from train.rows import Rows
from train.sources import VALIDATION, FolderSource, H5Source, class_union, open_sources
from train.unlabelled import UnlabelledCells, unlabelled_cells

# Training crops cover this many times the model's square: room to zoom out 1.25x and shift.
CONTEXT = 1.4


@dataclass
class SourceData:
    source: FolderSource | H5Source
    validation_kind: str             # "VAL", "held-out smears" (a folder) or "held-out rows" (an HDF5 file)
    train_images: np.ndarray         # N x C x C x 3 uint8 (C = input size x CONTEXT), memory-mapped
    train_labels: np.ndarray         # indices into the model's classes
    val_images: np.ndarray           # M x H x W x 3 float32, exactly the page's inputs, memory-mapped
    val_labels: np.ndarray
    val_files: list
    validation_groups: list = field(default_factory=list)  # held-out smears (or rows), when split from TRAIN
    skipped: list = field(default_factory=list)

    def counts(self, classes: list) -> dict:
        """Images per class in each part: what training.json and metadata.json record."""
        def per_class(labels):
            return {classes[k]: int(n) for k, n in zip(*np.unique(labels, return_counts=True))}
        return {"train": per_class(self.train_labels), "validation": per_class(self.val_labels)}


@dataclass
class TrainingData:
    classes: list
    spec: dict
    sources: list    # SourceData, in --data order
    context: float   # how much wider than the model's square the training crops are
    unlabelled: list = field(default_factory=list)  # UnlabelledCells, in --unlabelled order

    def unlabelled_crops(self) -> np.ndarray:
        return np.concatenate([np.asarray(cells.crops) for cells in self.unlabelled])

    def train_set(self) -> tuple:
        images = Rows([s.train_images for s in self.sources])
        labels = np.concatenate([s.train_labels for s in self.sources])
        return images, labels, balanced_weights(self.source_ids("train"), labels, equal="classes")

    def validation_set(self) -> tuple:
        images = Rows([s.val_images for s in self.sources])
        labels = np.concatenate([s.val_labels for s in self.sources])
        return images, labels, balanced_weights(self.source_ids("val"), labels, equal="sources")

    def source_ids(self, part: str) -> np.ndarray:
        return np.concatenate([np.full(len(getattr(s, f"{part}_labels")), i) for i, s in enumerate(self.sources)])


def balanced_weights(source_ids: np.ndarray, labels: np.ndarray, equal: str) -> np.ndarray:
    """Per-image weights (mean 1) under which every (source, class) pair weighs the same within its class
    (equal="classes": then every class weighs the same, so a class only one small source has still counts),
    or within its source (equal="sources": every source weighs the same, as validation should)."""
    weights = np.zeros(len(labels))
    pairs, inverse, sizes = np.unique(np.stack([source_ids, labels], 1), axis=0, return_inverse=True,
                                      return_counts=True)
    inverse = inverse.ravel()
    group = pairs[:, 1] if equal == "classes" else pairs[:, 0]
    groups, per_group = np.unique(group, return_counts=True)
    share_of_pair = 1.0 / (len(groups) * per_group[np.searchsorted(groups, group)])
    weights = share_of_pair[inverse] / sizes[inverse]
    return weights * len(labels) / weights.sum()


def prepare_data(config, cache_dir: Path, start=None) -> TrainingData:
    """With a start (fine-tuning), its preprocessing and classes: the data may add classes, not drop them."""
    sources = open_sources(config.data)
    listings = {source.name: source.listing("TRAIN") for source in sources}
    classes = class_union(listings.values(), start.classes if start else ())
    if len(classes) < 2:
        raise DatasetError(f"the sources name only one class ({classes[0]}): a classifier needs at least two")
    spec = start.preprocessing if start else preprocessing_spec(config.input_size, config.crop, config.padding, config.colour)
    context = CONTEXT if crop_mode(spec["crop"]).widens else 1.0
    prepared = [prepare_source(source, listings[source.name], classes, spec, context, config, cache_dir)
                for source in sources]
    for part in prepared:
        counts = part.counts(classes)
        print(f"{part.source.name}: {len(part.train_labels)} training images, {len(part.val_labels)} for validation "
              f"({part.validation_kind}); per class {counts['train']}", file=sys.stderr, flush=True)
    unlabelled = [unlabelled_cells(Path(folder), spec, context, cache_dir) for folder in config.unlabelled]
    for cells in unlabelled:
        print(f"{cells.lab}: {len(cells.inputs)} boxed white cells, unlabelled", file=sys.stderr, flush=True)
    return TrainingData(classes, spec, prepared, context, unlabelled)


def prepare_source(source: FolderSource | H5Source, listing, classes: list, spec: dict, context: float, config,
                   cache_dir: Path) -> SourceData:
    print(f"reading {source.name} ({source.path})", file=sys.stderr, flush=True)
    paths, labels = np.array(listing.paths, dtype=object), np.array([classes.index(n) for n in listing.labels])
    groups = []
    if source.has(VALIDATION):
        val_listing = source.listing(VALIDATION, classes)
        val_paths, val_labels = list(val_listing.paths), [classes.index(n) for n in val_listing.labels]
        train_paths, train_labels, kind = list(paths), labels, VALIDATION
    else:
        train_index, val_index, groups = held_out(source, paths, labels, classes, config, cache_dir)
        val_paths, val_labels = list(paths[val_index]), list(labels[val_index])
        train_paths, train_labels, kind = list(paths[train_index]), labels[train_index], source.held_out_kind
    crop = partial(training_crop, context=context)
    train_images, kept, skipped = cached(cache_dir, "train-crops", train_paths, {**spec, "context": context}, crop,
                                         f"{source.name} training crops")
    val_images, val_kept, val_skipped = cached(cache_dir, "inputs", val_paths, spec, preprocess_file,
                                               f"{source.name} validation inputs")
    report_skipped(listing.skipped + skipped + val_skipped)
    read_labels = [int(label) for label in np.asarray(train_labels)[kept]] + \
        [int(label) for label in np.asarray(val_labels)[val_kept]]
    check_every_class_read(listing.where, classes, listing.found, read_labels, len(listing.paths))
    if train_images is None or val_images is None:
        raise DatasetError(f"{source.name}: no readable image in its training or validation part")
    return SourceData(source, kind, train_images, np.asarray(train_labels)[kept], val_images,
                      np.asarray(val_labels)[val_kept], [str(val_paths[i]) for i in val_kept], groups,
                      listing.skipped + skipped + val_skipped)


def held_out(source, paths, labels, classes: list, config, cache_dir: Path) -> tuple:
    """(train indices, validation indices, validation group names): whole groups of each class held
    out, a folder's source smears or an HDF5 file's single rows (the source's validation_groups)."""
    groups = source.validation_groups(list(paths), labels, classes, cache_dir)
    train_index, val_index = group_split(groups, labels, config.val_fraction, config.split_seed)
    return train_index, val_index, sorted(set(np.array(groups)[val_index]))
