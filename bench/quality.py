"""Classification quality on the held-out splits, how far the browser's probabilities are from Keras's,
and the figures the published metadata carries (what training measured, the cross-lab twins)."""
from pathlib import Path

import numpy as np

from core.metrics import compute_metrics
from core.plots import plot_confusion_matrix

# What results.md shows of each cross-lab pair's parts (python -m train.crosslab measures more).
CROSS_LAB_PARTS = ("validation", "TEST")
CROSS_LAB_FIGURES = ("images", "accuracy", "balanced_accuracy")


def keras_probabilities(model, images: np.ndarray) -> np.ndarray:
    return model.predict(images, batch_size=256, verbose=0).astype(np.float64)


def agreement(reference: np.ndarray, other: list, files: list) -> dict:
    """How other's probabilities (None where a photo was not classified) differ from reference's."""
    shown = [i for i, row in enumerate(other) if row is not None]
    differences = np.abs(reference[shown] - np.array([other[i] for i in shown], dtype=np.float64).reshape(
        len(shown), reference.shape[1]))
    differing = [files[i] for i, row in enumerate(other)
                 if row is None or int(np.argmax(row)) != int(np.argmax(reference[i]))]
    return {"images": len(files), "compared": len(shown),
            "max_abs_difference": float(differences.max()) if len(shown) else None,
            "top_class_differs": len(differing), "top_class_differs_files": differing[:20]}


def metrics_of(labels: np.ndarray, probabilities: list, classes: list) -> dict | None:
    """compute_metrics over the photos that have probabilities (a photo the browser refused, or found no
    cell in, has none); None when no photo has any."""
    kept = [i for i, row in enumerate(probabilities) if row is not None]
    if not kept:
        return None
    return compute_metrics(np.asarray(labels)[kept], np.array([probabilities[i] for i in kept], dtype=np.float64),
                           classes)


def split_quality(labels, keras: np.ndarray, browser: list, files: list, classes: list,
                  errors: dict) -> dict:
    return {"images": len(files),
            "keras": compute_metrics(np.asarray(labels), keras, classes),
            "browser": metrics_of(labels, browser, classes),
            "browser_vs_keras": agreement(keras, browser, files),
            "browser_errors": errors}


def save_confusion_matrix(metrics: dict, title: str, path: Path) -> str:
    plot_confusion_matrix(metrics["confusion_matrix"], metrics["classes"], title, path)
    return path.name


def published_figures(metadata: dict, source: str, split: str) -> dict | None:
    """The metrics training recorded for a source's split: schema 2 per source (another lab's under
    other_labs), schema 1 (one dataset) per split."""
    metrics = metadata.get("metrics") or {}
    if "sources" not in metrics:
        return metrics.get(split)
    per_source = metrics["sources"].get(source) or (metrics.get("other_labs") or {}).get(source) or {}
    return per_source.get(split)


def shared_classes(metrics: dict) -> list:
    """The classes a split has photos of: for a cross-lab pair, those both labs know."""
    return [name for name, figures in metrics["per_class"].items() if figures["support"]]


def cross_lab_figures(metadata: dict) -> dict | None:
    """Each twin trained on one lab alone, scored on another over the classes they share (from
    metadata.cross_lab, written by python -m train.crosslab); None when it was not run."""
    cross_lab = metadata.get("cross_lab")
    if not cross_lab:
        return None
    def figures(parts: dict) -> dict:
        return {part: {"classes": shared_classes(parts[part]), **{key: parts[part][key] for key in CROSS_LAB_FIGURES}}
                for part in CROSS_LAB_PARTS if parts.get(part)}

    # Each pair as the twin answers (with any of its classes, as the page would) and with its answers
    # limited to the classes the other lab has ("shared_classes").
    pairs = [{"trained_on": pair["trained_on"], "scored_on": pair["scored_on"], **figures(pair),
              "shared_classes": figures(pair.get("shared_classes") or {})}
             for pair in cross_lab.get("pairs", [])]
    return {"recipe": cross_lab.get("recipe"), "summary": cross_lab.get("summary"), "pairs": pairs}
