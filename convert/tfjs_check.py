"""Prove the converted model gives Keras's probabilities when TensorFlow.js runs it."""
import sys
from pathlib import Path

import numpy as np

from core.dataset import DatasetError, list_split
from core.h5data import is_h5_source, read_h5
from core.node import NodeError
from core.preprocess import ImageReadError, preprocess_file
from core.tfjs import tfjs_probabilities

# Quantized weights change the numbers on purpose; these bound how far they may move.
TOLERANCE = {None: 1e-4, "float16": 1e-2, "uint8": 5e-2}


class ParityError(RuntimeError):
    """TensorFlow.js and Keras disagree on the converted model."""


def sample_images(source: Path, classes: list, per_class: int = 2) -> list:
    """A few real images per class of one source (photos of a folder, rows of an HDF5 file), from its
    held-out splits when it has them."""
    try:
        h5 = read_h5(source) if is_h5_source(source) else None
    except DatasetError:  # no such file here: like a missing folder, it gives no sample
        return []
    for split in ("TEST_SIMPLE", "TEST", "VAL", "TRAIN"):
        try:
            listing = h5.listing(split, classes, "skip") if h5 else list_split(source / split, classes, "skip")
        except DatasetError:
            continue
        return [path for name in listing.found
                for path in [p for p, label in zip(listing.paths, listing.labels) if label == name][:per_class]]
    return []


def check_inputs(sources: list, info: dict) -> tuple:
    inputs, names = [], []
    for source in map(Path, sources):
        for path in sample_images(source, info["classes"]):
            try:
                inputs.append(preprocess_file(path, info["preprocessing"]))
            except ImageReadError:
                continue
            names.append(sample_name(source, path))
    if not inputs:
        # No dataset on this machine: random pixels still exercise every layer and weight.
        height, width = info["preprocessing"]["input_size"]
        inputs = list(np.random.default_rng(0).uniform(0, 255, (4, height, width, 3)).astype(np.float32))
        names = ["random pixels (dataset not found)"] * len(inputs)
    return np.stack(inputs), names


def sample_name(source: Path, image) -> str:
    """By source and relative path (or row of an HDF5 file): published metadata must not reveal the
    trainer's file system."""
    name = source.resolve().name
    if is_h5_source(source):
        return f"{name}[{image.key}]" if isinstance(image.key, int) else f"{name}/{image.key}"
    return f"{name}/{image.relative_to(source).as_posix()}"


def check_parity(keras_model, model_dir: Path, data: list, info: dict, quantization=None) -> dict:
    inputs, sources = check_inputs(data, info)
    expected = keras_model.predict(inputs, verbose=0).astype(np.float64)
    try:
        actual = tfjs_probabilities(model_dir, inputs)
    except NodeError as error:
        raise ParityError(f"TensorFlow.js could not run the converted model:\n{error}") from error
    difference = float(np.abs(expected - actual).max())
    same_top = bool((expected.argmax(axis=1) == actual.argmax(axis=1)).all())
    report = {"images": len(sources), "sources": sources, "max_abs_difference": difference,
              "same_top_class": same_top, "tolerance": TOLERANCE[quantization]}
    print(f"TensorFlow.js vs Keras on {len(sources)} images: max |difference| {difference:.2e} "
          f"(tolerance {TOLERANCE[quantization]:.0e})", file=sys.stderr)
    if difference > TOLERANCE[quantization] or (quantization is None and not same_top):
        raise ParityError(f"TensorFlow.js and Keras disagree: max |difference| {difference:.3g} > "
                          f"{TOLERANCE[quantization]:.0e} on {sources}")
    return report
