"""Temperature scaling of a model's probabilities, and how well probabilities match how often they are right.

The page (web/js/differential.js, calibrated()) applies the same formula to what the network says, with
the temperature the model's metadata.json carries ("calibration"): softmax(log p / T). Dividing the
logits by T is the same as this, since log p differs from the logits by one constant per cell.
"""
import numpy as np

FLOOR = 1e-12          # log 0 is never taken: a probability this small is as good as none
ECE_BINS = 15          # the usual choice (Guo et al. 2017)
SEARCH = (-3.0, 3.0)   # log T between about 0.05 and 20
SEARCH_STEPS = 60


def calibrated(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T) per row."""
    logits = np.log(np.maximum(np.asarray(probabilities, np.float64), FLOOR)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def page_probabilities(probabilities: np.ndarray, metadata: dict) -> np.ndarray:
    """What the page shows for these network answers: calibrated when the model's metadata says how."""
    calibration = (metadata or {}).get("calibration")
    return calibrated(probabilities, calibration["temperature"]) if calibration else np.asarray(probabilities)


def weighted_nll(probabilities: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    picked = np.maximum(probabilities[np.arange(len(labels)), labels], FLOOR)
    return float(-(weights * np.log(picked)).sum() / weights.sum())


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    """The T minimising the weighted negative log-likelihood: a golden-section search on log T (the
    likelihood is unimodal in it)."""
    labels = np.asarray(labels)
    loss = lambda log_t: weighted_nll(calibrated(probabilities, float(np.exp(log_t))), labels, weights)  # noqa: E731
    low, high = SEARCH
    ratio = (np.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = loss(a), loss(b)
    for _ in range(SEARCH_STEPS):
        if fa <= fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = loss(a)
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = loss(b)
    return float(np.exp((low + high) / 2))


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, weights: np.ndarray = None,
                               bins: int = ECE_BINS) -> float:
    """Mean |accuracy - confidence| over equal-width bins of the top probability, each bin weighing its share
    of the cells."""
    weights = np.ones(len(labels)) if weights is None else np.asarray(weights, np.float64)
    top = probabilities.max(axis=1)
    right = (probabilities.argmax(axis=1) == np.asarray(labels)).astype(np.float64)
    which = np.minimum((top * bins).astype(int), bins - 1)
    total = weights.sum()
    error = 0.0
    for b in range(bins):
        inside = which == b
        if weights[inside].sum() > 0:
            w = weights[inside]
            error += w.sum() / total * abs(np.average(right[inside], weights=w) - np.average(top[inside], weights=w))
    return float(error)
