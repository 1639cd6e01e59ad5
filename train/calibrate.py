"""Calibrate a published model's probabilities and choose when the page flags a cell, on validation alone.

python -m train.calibrate                                  # the page's default model (web/models)
python -m train.calibrate --model web/models/NAME/VERSION --data SOURCE ... --other-lab ../shared/data/tecom

The published model (what the page runs: its TensorFlow.js files, under Node) answers each training
source's validation part, as train/evaluate.py defines it (a VAL split, or the smears training held out
of TRAIN); no TEST split is read. A temperature is fitted there (every source weighing the same), then the
review thresholds (top probability, lead over the second class: train/review.py) are chosen on the
calibrated answers. Validation-only labs given with --other-lab (never trained on, never fitted on) are
scored too: an honest estimate for a lab the model has not seen. Everything goes into the model's
metadata.json ("calibration", "review", and "familiarity": when a sample's cells look unlike the training
labs', train/familiarity.py), which the page reads; the weights, model.json and the version
are untouched. Run it again after publishing a new model.
"""
import argparse
import datetime
import sys
from pathlib import Path

import numpy as np

from core.calibration import ECE_BINS, FLOOR, calibrated, expected_calibration_error, fit_temperature
from core.cli import run_stage
from core.dataset import DatasetError
from core.files import read_json, write_json
from core.artifacts import INDEX, METADATA, PUBLISHED_MODEL
from core.model_index import default_model
from core.paths import CACHE, default_dataset
from core.tfjs import tfjs_probabilities
from train.config import TrainConfig
from train.data import balanced_weights
from train.evaluate import validation_answers
from train.familiarity import fit_familiarity
from train.review import choose_review_thresholds, outcome, top_two
from train.sources import open_source

DEFAULT_OTHER_LABS = ("tecom",)


class CalibrationError(ValueError):
    """The model or the data cannot be calibrated as asked; the message says what to give instead."""


class PublishedModel:
    """A published model folder answering as train/evaluate.py asks a Keras model (predict), through the
    vendored TensorFlow.js: the very numbers the page computes."""

    def __init__(self, folder: Path, classes: list):
        self.folder = Path(folder)
        self.outputs = [argparse.Namespace(shape=(None, len(classes)))]

    def predict(self, images, batch_size=None, verbose=0):
        return tfjs_probabilities(self.folder, np.asarray(images, np.float32))


def model_folder(given: Path) -> tuple:
    """(metadata, folder) of a published model: a version folder, or a site's models/ (its default)."""
    given = Path(given)
    if (given / METADATA).is_file() and (given / PUBLISHED_MODEL).is_file():
        return read_json(given / METADATA, "the model's metadata"), given
    if (given / INDEX).is_file():
        return default_model(given)
    raise CalibrationError(f"{given} is neither a published model version folder ({METADATA}, {PUBLISHED_MODEL}) "
                           "nor a site's models/ folder: give web/models or web/models/NAME/VERSION")


def evaluation_facts(metadata: dict) -> dict:
    """What validation_answers needs to find a source's validation part again."""
    training = metadata.get("training") or {}
    return {"classes": metadata["classes"], "preprocessing": metadata["preprocessing"],
            "val_fraction": training.get("val_fraction", TrainConfig.val_fraction),
            "split_seed": training.get("split_seed", TrainConfig.split_seed)}


def expected_validation_size(metadata: dict, name: str):
    for source in (metadata.get("training") or {}).get("sources", []):
        if source["name"] == name:
            return sum(source.get("images", {}).get("validation", {}).values()) or None
    return None


def answers_of(model, path: Path, facts: dict, cache_dir: Path) -> tuple:
    """(name, probabilities, labels) on a source's validation part."""
    source = open_source(path)
    found = validation_answers(model, source, facts, cache_dir)
    if found is None:
        raise CalibrationError(f"{path} has no validation part the model's classes name")
    return source.name, np.asarray(found[0], np.float64), np.asarray(found[1])


def figures(probabilities: np.ndarray, labels: np.ndarray, rule: dict) -> dict:
    """ECE, share flagged and how often the unflagged cells are right, under a review rule."""
    top, margin = top_two(probabilities)
    flagged = (top < rule["min_probability"]) | (margin < rule["min_margin"])
    right = probabilities.argmax(axis=1) == labels
    result = outcome(flagged, right, np.ones(len(labels)))
    return {"cells": int(len(labels)), "accuracy": float(right.mean()), "ece": expected_calibration_error(probabilities, labels),
            "flagged_share": result["flagged_share"], "unflagged_accuracy": result["accepted_accuracy"]}


def read_answers(folder: Path, metadata: dict, data: list, other_labs: list, cache_dir: Path = CACHE) -> tuple:
    """([(name, probabilities, labels)] on each training source's validation part, the same for each other
    lab): the published model's own, uncalibrated answers."""
    facts = evaluation_facts(metadata)
    model = PublishedModel(folder, metadata["classes"])
    seen = [answers_of(model, path, facts, cache_dir) for path in data]
    for name, _, labels in seen:
        expected = expected_validation_size(metadata, name)
        if expected is not None and expected != len(labels):
            raise CalibrationError(f"{name}'s validation part has {len(labels)} cells here but {expected} when the model "
                                   "was trained: give the same data (--data) the model was trained on")
    return seen, [answers_of(model, path, facts, cache_dir) for path in other_labs]


def pooled(seen: list) -> tuple:
    """(probabilities, labels, weights) over every training source's validation part, each source weighing the same."""
    probabilities = np.concatenate([p for _, p, _ in seen])
    labels = np.concatenate([l for _, _, l in seen])
    sources = np.concatenate([np.full(len(l), i) for i, (_, _, l) in enumerate(seen)])
    return probabilities, labels, balanced_weights(sources, labels, equal="sources")


def measure(seen: list, others: list, temperature: float, rule: dict, before_rule: dict) -> dict:
    """Per source: the figures as published before (raw probabilities, the old rule) and now (calibrated)."""
    def both(p, l):
        return {"uncalibrated": figures(p, l, before_rule), "calibrated": figures(calibrated(p, temperature), l, rule)}
    return {"validation": {name: both(p, l) for name, p, l in seen},
            "other_labs": {name: both(p, l) for name, p, l in others}}


def calibrate_model(folder: Path, metadata: dict, data: list, other_labs: list, cache_dir: Path = CACHE) -> dict:
    """{"calibration": ..., "review": ...} for the model's metadata: fitted on the training sources' validation parts."""
    seen, others = read_answers(folder, metadata, data, other_labs, cache_dir)
    probabilities, labels, weights = pooled(seen)
    temperature = fit_temperature(probabilities, labels, weights)
    review = choose_review_thresholds(calibrated(probabilities, temperature), labels, weights)
    # The rule the page used on raw probabilities (kept from the first calibration), for the before/after figures.
    before = metadata.get("review_uncalibrated") or metadata.get("review") or review
    calibration = {"temperature": temperature, "floor": FLOOR, "method": "temperature scaling: softmax(log p / T), T "
                   "minimising the negative log-likelihood on the training sources' validation parts, each source "
                   "weighing the same", "fitted_on": [name for name, _, _ in seen], "ece_bins": ECE_BINS,
                   "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   **measure(seen, others, temperature, review, before)}
    familiarity = fit_familiarity(folder, metadata, lambda model, path: answers_of(model, path, evaluation_facts(metadata),
                                                                                  cache_dir), data, other_labs)
    return {"calibration": calibration, "review": {**review, "calibrated": True}, "review_uncalibrated": before,
            **({"familiarity": familiarity} if familiarity else {})}


def measure_published(folder: Path, metadata: dict, data: list, other_labs: list, cache_dir: Path = CACHE) -> dict:
    """The bench's figures: the published calibration and review rule, measured again on the same parts."""
    calibration = metadata.get("calibration")
    if not calibration or not metadata.get("review"):
        return {"not_measured": "the model has no calibration: run python -m train.calibrate (make calibrate)"}
    seen, others = read_answers(folder, metadata, data, other_labs, cache_dir)
    before = metadata.get("review_uncalibrated") or metadata["review"]
    return {"temperature": calibration["temperature"], "review": metadata["review"],
            **measure(seen, others, calibration["temperature"], metadata["review"], before)}


def write_calibration(folder: Path, metadata: dict, result: dict) -> None:
    """metadata.json with "calibration" and "review" replaced, atomically. Its own checksum is not in it
    (files lists the other files), and the version is a hash of the weights: both stay valid."""
    write_json(Path(folder) / METADATA, {**metadata, **result})


def share(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def summary_lines(result: dict) -> list:
    c = result["calibration"]
    lines = [f"temperature {c['temperature']:.3f}; flag below p {result['review']['min_probability']:.2f} "
             f"or a lead under {result['review']['min_margin']:.2f}"]
    for group in ("validation", "other_labs"):
        for name, parts in c[group].items():
            before, after = parts["uncalibrated"], parts["calibrated"]
            lines.append(f"{name} ({'validation' if group == 'validation' else 'another lab'}, {after['cells']} cells): "
                         f"ECE {before['ece']:.3f} -> {after['ece']:.3f}; flagged {share(after['flagged_share'])}, "
                         f"unflagged right {share(after['unflagged_accuracy'])}")
    familiarity = result.get("familiarity")
    if familiarity:
        labs = {**familiarity["validation"], **familiarity["other_labs"]}
        lines.append(f"unlike the training labs past a mean distance of {familiarity['threshold']:.3f} over "
                     f"{familiarity['min_cells']} cells; median of such means: "
                     + ", ".join(f"{name} {lab['sample_median']:.3f}" for name, lab in labs.items()))
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("web/models"),
                        help="a published model (web/models/NAME/VERSION) or a site's models/ folder (default: %(default)s)")
    parser.add_argument("--data", action="append", type=Path,
                        help="a source the model was trained on (repeatable; default: those it names, in ../shared/data)")
    parser.add_argument("--other-lab", action="append", type=Path, dest="other_labs",
                        help="a validation-only lab, scored and never fitted on (repeatable; default: ../shared/data/tecom "
                             "when present)")
    parser.add_argument("--dry-run", action="store_true", help="measure and print, write nothing")
    options = parser.parse_args(argv)

    def calibrate():
        metadata, folder = model_folder(options.model)
        names = [s["name"] for s in (metadata.get("training") or {}).get("sources", [])]
        data = options.data or [default_dataset(name) for name in names]
        if not data:
            raise CalibrationError("the model names no training sources: give them with --data")
        others = options.other_labs
        if others is None:
            others = [Path(default_dataset(name)) for name in DEFAULT_OTHER_LABS if Path(default_dataset(name)).is_dir()]
        result = calibrate_model(folder, metadata, data, others)
        for line in summary_lines(result):
            print(line, file=sys.stderr)
        if not options.dry_run:
            write_calibration(folder, metadata, result)
        return folder

    return run_stage(calibrate, (CalibrationError, FileNotFoundError, DatasetError, OSError),
                     lambda folder: f"{'measured' if options.dry_run else 'wrote'} {folder}/{METADATA}")


if __name__ == "__main__":
    sys.exit(main())
