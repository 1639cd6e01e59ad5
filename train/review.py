"""When the page should ask a person to check a cell: thresholds chosen on validation data.

A cell is flagged for review when the model's top probability is below MIN_PROBABILITY or leads the
second class by less than MIN_MARGIN. Of all threshold pairs on a grid, the one flagging the fewest
cells while the cells it lets through are right at least TARGET_ACCURACY of the time (on validation,
every source weighing the same) is kept, with what it buys: that accuracy, the share flagged, and
how often the flagged cells were right. The page reads them from metadata.json.
"""
import numpy as np

TARGET_ACCURACY = 0.98
PROBABILITIES = np.round(np.arange(0.30, 0.96, 0.05), 2)
MARGINS = np.round(np.arange(0.0, 0.51, 0.05), 2)


def top_two(probabilities: np.ndarray) -> tuple:
    ordered = np.sort(probabilities, axis=1)
    return ordered[:, -1], ordered[:, -1] - ordered[:, -2]


def weighted_share(mask: np.ndarray, weights: np.ndarray) -> float:
    return float(weights[mask].sum() / weights.sum()) if weights.sum() else 0.0


def outcome(flagged: np.ndarray, right: np.ndarray, weights: np.ndarray) -> dict:
    kept = ~flagged
    return {"flagged_share": weighted_share(flagged, weights),
            "accepted_accuracy": weighted_share(right & kept, weights * kept) if kept.any() else None,
            "flagged_accuracy": weighted_share(right & flagged, weights * flagged) if flagged.any() else None}


def choose_review_thresholds(probabilities: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                             target: float = TARGET_ACCURACY) -> dict:
    """The thresholds, and what they buy on this (validation) data."""
    top, margin = top_two(probabilities)
    right = probabilities.argmax(axis=1) == labels
    best = None
    for min_probability in PROBABILITIES:
        for min_margin in MARGINS:
            flagged = (top < min_probability) | (margin < min_margin)
            result = outcome(flagged, right, weights)
            meets = result["accepted_accuracy"] is not None and result["accepted_accuracy"] >= target
            key = (meets, -result["flagged_share"] if meets else result["accepted_accuracy"] or 0.0)
            if best is None or key > best[0]:
                best = (key, {"min_probability": float(min_probability), "min_margin": float(min_margin), **result})
    return {**best[1], "target_accuracy": target, "met": best[0][0], "cells": int(len(labels)),
            "unflagged_accuracy_without_review": outcome(np.zeros(len(labels), bool), right, weights)["accepted_accuracy"]}
