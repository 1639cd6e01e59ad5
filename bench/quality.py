"""Classification quality on the held-out splits, and how far the browser's probabilities are from Keras's."""
from pathlib import Path

import numpy as np

from core.dataset import load_dataset
from core.metrics import compute_metrics
from core.plots import plot_confusion_matrix

FULL_SPLITS = ("TEST", "TEST_SIMPLE")
QUICK_SPLITS = ("TEST_SIMPLE",)  # 71 photos: enough to show every part works, in seconds


def read_splits(data: Path, splits: tuple, metadata: dict) -> dict:
    """{split: Dataset} preprocessed by core/preprocess.py as the model's metadata says."""
    found = {split: Path(data) / split for split in splits if (Path(data) / split).is_dir()}
    if not found:
        raise FileNotFoundError(f"none of {', '.join(splits)} found in {data}: pass --data DIR holding them")
    return {split: load_dataset(folder, metadata["preprocessing"], classes=metadata["classes"])
            for split, folder in found.items()}


def keras_probabilities(model, images: np.ndarray) -> np.ndarray:
    return model.predict(images, batch_size=256, verbose=0).astype(np.float64)


def agreement(reference: np.ndarray, other: list, files: list) -> dict:
    """How other's probabilities (None where a photo was not classified) differ from reference's."""
    shown = [i for i, row in enumerate(other) if row is not None]
    differences = np.abs(reference[shown] - np.array([other[i] for i in shown], dtype=np.float64))
    differing = [files[i] for i, row in enumerate(other)
                 if row is None or int(np.argmax(row)) != int(np.argmax(reference[i]))]
    return {"images": len(files), "compared": len(shown),
            "max_abs_difference": float(differences.max()) if len(shown) else None,
            "top_class_differs": len(differing), "top_class_differs_files": differing[:20]}


def metrics_of(labels: np.ndarray, probabilities: list, classes: list) -> dict:
    """compute_metrics over the photos that have probabilities (a photo the browser refused has none)."""
    kept = [i for i, row in enumerate(probabilities) if row is not None]
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
