import numpy as np
import pytest

from core.metrics import compute_metrics, confusion_matrix, matthews_corrcoef, roc_auc

CLASSES = ["A", "B", "C"]


def one_hot(predicted, n=3):
    return np.eye(n)[predicted]


def test_perfect_predictions():
    true = np.array([0, 1, 2, 2])
    metrics = compute_metrics(true, one_hot(true), CLASSES)
    assert metrics["accuracy"] == 1 and metrics["macro_f1"] == 1 and metrics["mcc"] == pytest.approx(1)
    assert metrics["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [0, 0, 2]]


def test_per_class_figures_from_a_known_confusion():
    true = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 0, 0, 1, 1, 0, 2, 2])
    metrics = compute_metrics(true, one_hot(predicted), CLASSES)
    a = metrics["per_class"]["A"]
    assert a["recall"] == pytest.approx(3 / 4) and a["precision"] == pytest.approx(3 / 4)
    assert a["specificity"] == pytest.approx(3 / 4)
    assert a["f1"] == pytest.approx(3 / 4)
    assert metrics["per_class"]["B"]["recall"] == pytest.approx(1 / 2)
    assert metrics["accuracy"] == pytest.approx(6 / 8)
    assert metrics["min_recall"] == pytest.approx(1 / 2)


def test_mcc_is_zero_for_constant_prediction_and_matches_binary_formula():
    assert matthews_corrcoef(confusion_matrix(np.array([0, 1, 1]), np.array([1, 1, 1]), 2)) == 0
    tp, fn, fp, tn = 5, 2, 1, 4
    matrix = np.array([[tn, fp], [fn, tp]])
    binary = (tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert matthews_corrcoef(matrix) == pytest.approx(binary)


def test_roc_auc_ranks_and_ties():
    positive = np.array([True, True, False, False])
    assert roc_auc(positive, np.array([0.9, 0.8, 0.2, 0.1])) == 1
    assert roc_auc(positive, np.array([0.1, 0.2, 0.8, 0.9])) == 0
    assert roc_auc(positive, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert roc_auc(np.array([True, True]), np.array([0.1, 0.2])) is None
