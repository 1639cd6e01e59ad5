"""The threshold past which the page tells a sample its cells look unlike the training labs' (core/familiarity.py).

Fitted where the temperature is (train/calibrate.py), on the same validation parts: the published model's
own pooled features (TensorFlow.js under Node, as the page computes them) of each training source's
validation cells, their distance to the model's replay set, and the mean of MIN_CELLS such distances drawn
again and again. The threshold is MARGIN times the highest 99th percentile of those means over the sources:
a sample of a training lab, the smallest the page judges, is told otherwise about once in a few hundred
times before the margin, and the margin leaves room for that lab's other photos (its whole fields, say).
"""
from pathlib import Path

import numpy as np

from core.familiarity import MIN_CELLS, NEIGHBOURS, neighbour_distance, replay_features, sample_means
from core.tfjs import tfjs_features

MARGIN = 1.25
PERCENTILE = 99


class PublishedFeatures:
    """A published model folder answering with its pooled features, as train/evaluate.py asks a model."""

    def __init__(self, folder: Path, width: int):
        self.folder = Path(folder)
        self.outputs = [type("Output", (), {"shape": (None, width)})]

    def predict(self, images, batch_size=None, verbose=0):
        features, why = tfjs_features(self.folder, np.asarray(images, np.float32))
        if features is None:
            raise ValueError(f"the model gives no pooled features: {why}")
        return features


def lab_distances(features: np.ndarray, reference: np.ndarray) -> dict:
    means = sample_means(neighbour_distance(features, reference), MIN_CELLS)
    return {"cells": int(len(features)), "sample_median": float(np.median(means)),
            f"sample_p{PERCENTILE}": float(np.percentile(means, PERCENTILE))}


def fit_familiarity(folder: Path, metadata: dict, answers_of, data: list, other_labs: list) -> dict | None:
    """The metadata's "familiarity" block, or None for a model without a replay set. answers_of(model, path)
    gives (name, answers, labels) on a source's validation part (train/calibrate.py)."""
    replay = metadata.get("replay")
    if not replay:
        return None
    reference = replay_features(Path(folder), replay)
    model = PublishedFeatures(folder, replay["features"])

    def measured(paths):
        return {name: lab_distances(features, reference) for name, features, _ in (answers_of(model, p) for p in paths)}

    validation = measured(data)
    threshold = MARGIN * max(lab[f"sample_p{PERCENTILE}"] for lab in validation.values())
    return {"threshold": threshold, "neighbours": NEIGHBOURS, "min_cells": MIN_CELLS,
            "method": f"mean distance of a sample's cells to their {NEIGHBOURS} nearest replay cells (1 - cosine "
                      f"similarity of pooled features); threshold {MARGIN} x the highest {PERCENTILE}th percentile of "
                      f"the means of {MIN_CELLS} validation cells drawn at random, over the training sources",
            "validation": validation, "other_labs": measured(other_labs)}
