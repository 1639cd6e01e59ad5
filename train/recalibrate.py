"""Adapt a model to a microscope without labels: re-measure its BatchNorm statistics on that
microscope's own photos.

python -m train.recalibrate --photos my-photos/ --name leukolens-cnn-my-microscope

Each BatchNorm layer normalises its input by the mean and spread it saw on the training labs. Another
lab's stain, camera and light shift those statistics; measuring them again on a batch of its own
unlabelled photos (AdaBN, Li et al. 2016) often recovers much of what the shift cost, and may cost
accuracy on the training labs. So it is opt-in and reversible: the result is a new model folder
(the original is untouched) that convert publishes (`make recalibrate` runs both) and `make use` switches
to and back from.
It records how far the photos' statistics were from the training labs' (the "shift"). It starts from
a training folder or from a published model, whose BatchNorm layers are restored from the statistics
convert folded into its convolutions and kept in batch-norm.json.
"""
import argparse
import datetime
import sys
from pathlib import Path

import numpy as np

from core.cli import run_stage
from core.dataset import DatasetError, list_folder
from core.facts import IMAGE_SUFFIXES
from core.artifacts import FOLDED_STATISTICS, TrainedFolder
from core.files import write_json
from core.paths import MODELS, training_source_folders
from core.photo_cells import cell_inputs
from core.preprocess import ImageReadError, decoded_rgb

# Fewer cells than this give statistics noisier than the shift they should measure.
MIN_CELLS = 32
MOST_CELLS = 2000
BATCH = 128


class RecalibrationError(ValueError):
    """The model or the photos cannot be used for recalibration; the message says what to give instead."""


def photo_paths(folder: Path) -> list:
    """Every image file under folder, in any sub-folders (class folders, days, slides)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RecalibrationError(f"--photos {folder} is not a folder: give a folder of this microscope's photos")
    found = []
    for path in list_folder(folder):
        if path.is_dir():
            found += photo_paths(path)
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            found.append(path)
    return found


def read_cells(paths: list, spec: dict, seed: int = 0) -> np.ndarray:
    """The model's inputs for every white cell in the photos (at most MOST_CELLS, drawn at random)."""
    inputs, unreadable = [], []
    for done, path in enumerate(paths, 1):
        try:
            inputs += cell_inputs(decoded_rgb(path, spec), spec)
        except ImageReadError as error:
            unreadable.append(f"{path}: {error.reason}")
        if done % 200 == 0 or done == len(paths):
            print(f"  read {done}/{len(paths)} photos, {len(inputs)} cells", file=sys.stderr, flush=True)
    for line in unreadable:
        print(f"  skipped {line}", file=sys.stderr)
    if len(inputs) < MIN_CELLS:
        raise RecalibrationError(f"found {len(inputs)} cells in {len(paths)} readable photo(s); recalibrating needs "
                                 f"at least {MIN_CELLS} cells from this microscope (a few smear photos, or cell crops)")
    chosen = np.random.default_rng(seed).permutation(len(inputs))[:MOST_CELLS]
    return np.stack([inputs[i] for i in sorted(chosen)]).astype(np.float32)


def batch_norm_layers(model) -> list:
    from tf_keras import layers

    return [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]


def channel_statistics(model, tensor, inputs: np.ndarray) -> tuple:
    """Per channel mean and variance of `tensor` (a layer's input or output), over every cell and position."""
    import tf_keras as keras

    probe = keras.Model(model.inputs, tensor)
    total = squares = 0.0
    count = 0
    for first in range(0, len(inputs), BATCH):
        values = probe(inputs[first:first + BATCH], training=False).numpy().astype(np.float64)
        values = values.reshape(-1, values.shape[-1])
        total, squares, count = total + values.sum(0), squares + (values ** 2).sum(0), count + len(values)
    mean = total / count
    return mean, np.maximum(squares / count - mean ** 2, 0.0)


def recalibrate_model(model, inputs: np.ndarray) -> list:
    """Re-measure every BatchNorm layer's statistics in order (each after the ones before it changed);
    returns each layer's shift: the mean distance of the new channel means from the old, in old spreads."""
    shifts = []
    for layer in batch_norm_layers(model):
        gamma, beta, old_mean, old_variance = layer.get_weights()
        mean, variance = channel_statistics(model, layer.input, inputs)
        shifts.append(float(np.mean(np.abs(mean - old_mean) / np.sqrt(old_variance + layer.epsilon))))
        layer.set_weights([gamma, beta, mean.astype(np.float32), variance.astype(np.float32)])
    return shifts


def recalibrate_start(start, inputs: np.ndarray) -> list:
    if not batch_norm_layers(start.model):
        raise RecalibrationError(f"{start.folder} has no BatchNorm statistics to re-measure: no BatchNorm layers, "
                                 f"and no {FOLDED_STATISTICS} beside it to restore them (published before it existed)")
    return recalibrate_model(start.model, inputs)


def recalibrate(model_from: Path, photos: Path, name: str | None, out: Path = MODELS, evaluate: bool = True) -> Path:
    from core.tfjs import save_h5
    from train.start import load_start

    start = load_start(Path(model_from), flag="--model")
    name = name or f"{start.facts['name']}-recalibrated"
    out_dir = Path(out) / name
    if out_dir.resolve() == start.folder.resolve():
        raise RecalibrationError("--name must differ from the model's: the original stays as it is, to go back to")
    paths = photo_paths(photos)
    print(f"reading the white cells of {len(paths)} photo(s) in {photos}", file=sys.stderr, flush=True)
    inputs = read_cells(paths, start.preprocessing)
    shifts = recalibrate_start(start, inputs)
    print(f"statistics re-measured on {len(inputs)} cells: shift from the training labs {np.mean(shifts):.2f} "
          f"(first layer {shifts[0]:.2f}, last {shifts[-1]:.2f}; 0 means alike)", file=sys.stderr)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_h5(start.model, TrainedFolder(out_dir).model_file)
    write_json(TrainedFolder(out_dir).facts_file, {**start.facts, "name": name, "recalibration": {
        "from": start.name, "photos": Path(photos).resolve().name, "photo_count": len(paths),
        "cells": len(inputs), "shift": float(np.mean(shifts)), "layer_shifts": shifts,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}})
    if evaluate:
        score_on_training_labs(out_dir)
    return out_dir


def score_on_training_labs(model_dir: Path) -> None:
    """What recalibrating cost on the labs the model learnt from, where their data is on this machine."""
    from train.evaluate import evaluate_model_dir

    sources = training_source_folders(TrainedFolder(model_dir).facts())
    if not sources:
        print("the training labs' photos are not on this machine: not scored on them", file=sys.stderr)
        return
    evaluate_model_dir(model_dir, sources)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.recalibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="web/models", help="the model to start from: a training folder "
                        "(models/NAME/), a published web/models/NAME/<version>/, or web/models, the page's model "
                        "(default: %(default)s)")
    parser.add_argument("--photos", required=True, type=Path, help="a folder of this microscope's photos, no labels "
                        "needed (whole smears or cell crops, in any sub-folders)")
    parser.add_argument("--name", help="the new model's name (default: the model's name, then -recalibrated)")
    parser.add_argument("--out", type=Path, default=MODELS, help="folder for the new model (default: %(default)s)")
    parser.add_argument("--no-evaluate", action="store_true", help="skip scoring the new model on the training labs")
    options = parser.parse_args(argv)
    from train.start import StartError

    return run_stage(lambda: recalibrate(Path(options.model), options.photos, options.name, options.out,
                                         evaluate=not options.no_evaluate),
                     (RecalibrationError, StartError, FileNotFoundError, DatasetError, OSError),
                     lambda out_dir: f"wrote {out_dir}/; publish it with: python -m convert --model {out_dir} "
                                     "(make recalibrate does both steps; make use NAME=... switches back)")


if __name__ == "__main__":
    sys.exit(main())
