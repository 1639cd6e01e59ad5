"""Classification metrics from true labels and predicted probabilities (numpy only)."""
import numpy as np
from scipy.stats import rankdata


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def matthews_corrcoef(matrix: np.ndarray) -> float:
    """Gorodkin's multi-class MCC; 0 when a margin is degenerate."""
    total, correct = matrix.sum(), np.trace(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    numerator = correct * total - predicted @ actual
    denominator = np.sqrt(float(total**2 - predicted @ predicted) * float(total**2 - actual @ actual))
    return float(numerator / denominator) if denominator else 0.0


def roc_auc(positive: np.ndarray, scores: np.ndarray):
    """Area under the ROC curve via the rank-sum statistic; None when one side is empty."""
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def safe_ratio(numerator, denominator) -> float:
    return float(numerator / denominator) if denominator else 0.0


def per_class_metrics(matrix: np.ndarray, true: np.ndarray, probabilities: np.ndarray, classes: list) -> dict:
    total = matrix.sum()
    result = {}
    for k, name in enumerate(classes):
        tp = matrix[k, k]
        fp, fn = matrix[:, k].sum() - tp, matrix[k, :].sum() - tp
        tn = total - tp - fp - fn
        precision, recall = safe_ratio(tp, tp + fp), safe_ratio(tp, tp + fn)
        result[name] = {
            "support": int(tp + fn),
            "precision": precision,
            "recall": recall,
            "specificity": safe_ratio(tn, tn + fp),
            "f1": safe_ratio(2 * precision * recall, precision + recall),
            "roc_auc": roc_auc(true == k, probabilities[:, k]),
        }
    return result


def compute_metrics(true: np.ndarray, probabilities: np.ndarray, classes: list) -> dict:
    true = np.asarray(true)
    predicted = probabilities.argmax(axis=1)
    matrix = confusion_matrix(true, predicted, len(classes))
    per_class = per_class_metrics(matrix, true, probabilities, classes)
    aucs = [m["roc_auc"] for m in per_class.values() if m["roc_auc"] is not None]
    # Over the classes this split has: another lab's split may lack some of the model's classes.
    present = [m for m in per_class.values() if m["support"]]
    return {
        "images": int(len(true)),
        "accuracy": safe_ratio(np.trace(matrix), matrix.sum()),
        "balanced_accuracy": float(np.mean([m["recall"] for m in present])),
        "macro_f1": float(np.mean([m["f1"] for m in present])),
        "mcc": matthews_corrcoef(matrix),
        "macro_roc_auc": float(np.mean(aucs)) if aucs else None,
        "min_recall": float(min(m["recall"] for m in present)),
        "per_class": per_class,
        "confusion_matrix": matrix.tolist(),
        "classes": list(classes),
    }
