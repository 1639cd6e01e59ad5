"""Prove the converted model gives Keras's probabilities when TensorFlow.js runs it."""
import sys
from pathlib import Path

import numpy as np

from core.facts import IMAGE_SUFFIXES
from core.node import NodeError
from core.preprocess import ImageReadError, preprocess_file
from core.tfjs import tfjs_probabilities

# Quantized weights change the numbers on purpose; these bound how far they may move.
TOLERANCE = {None: 1e-4, "float16": 1e-2, "uint8": 5e-2}


class ParityError(RuntimeError):
    """TensorFlow.js and Keras disagree on the converted model."""


def sample_images(data: Path, classes: list, per_class: int = 2) -> list:
    """A few real images per class, from the held-out splits when the dataset is present."""
    for split in ("TEST_SIMPLE", "TEST", "TRAIN"):
        folders = [data / split / name for name in classes]
        if all(folder.is_dir() for folder in folders):
            return [path for folder in folders for path in sorted(
                p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:per_class]]
    return []


def check_inputs(data: Path, info: dict) -> tuple:
    inputs, sources = [], []
    for path in sample_images(data, info["classes"]):
        try:
            inputs.append(preprocess_file(path, info["preprocessing"]))
            # Relative to the data folder: published metadata must not reveal the trainer's file system.
            sources.append(path.relative_to(data).as_posix())
        except ImageReadError:
            continue
    if not inputs:
        # No dataset on this machine: random pixels still exercise every layer and weight.
        height, width = info["preprocessing"]["input_size"]
        inputs = list(np.random.default_rng(0).uniform(0, 255, (4, height, width, 3)).astype(np.float32))
        sources = ["random pixels (dataset not found)"] * len(inputs)
    return np.stack(inputs), sources


def check_parity(keras_model, model_dir: Path, data: Path, info: dict, quantization=None) -> dict:
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
