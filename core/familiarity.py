"""How unlike the training labs a sample's cells look, without labels: one definition, mirrored by
web/js/familiarity.js (parity-tested).

A cell's distance is one minus the mean cosine similarity of its pooled features (the output layer's
input, as the replay set holds them) to its NEIGHBOURS nearest cells of the model's replay set (its
training labs' cells, convert/replay.py). A sample is unlike the training labs when the mean distance of
its cells is over the model's threshold (metadata "familiarity", fitted by train/calibrate.py on the
training labs' validation parts) and it has at least MIN_CELLS cells.
"""
import numpy as np

from core.artifacts import REPLAY_FEATURES

NEIGHBOURS = 5
# The smallest sample judged, and the size of the samples the threshold is fitted on: a smaller sample's
# mean strays further, so a threshold that holds for it holds for the larger samples a clinic counts.
MIN_CELLS = 20


def unit_rows(rows) -> np.ndarray:
    rows = np.asarray(rows, np.float64)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def neighbour_distance(features, reference, neighbours: int = NEIGHBOURS) -> np.ndarray:
    """Per row of features: 1 - the mean cosine similarity to its `neighbours` most similar reference rows."""
    similarity = unit_rows(features) @ unit_rows(reference).T
    return 1.0 - np.sort(similarity, axis=1)[:, -neighbours:].mean(axis=1)


def sample_means(values, size: int, draws: int = 500, seed: int = 0) -> np.ndarray:
    """The mean of `size` values drawn at random (with replacement), `draws` times."""
    rng = np.random.default_rng(seed)
    return np.asarray(values, np.float64)[rng.integers(0, len(values), (draws, size))].mean(axis=1)


def replay_features(folder, replay: dict) -> np.ndarray:
    """The replay set's features (count x features, float32) from a published version folder."""
    data = (folder / REPLAY_FEATURES).read_bytes()
    return np.frombuffer(data, "<f2").reshape(replay["count"], replay["features"]).astype(np.float32)
