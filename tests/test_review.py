"""Which cells the page flags for review: thresholds chosen on validation answers."""
import numpy as np

from train.review import choose_review_thresholds


def answers(rng, count, top, right_share, classes=4):
    """count answers whose top probability is `top`, right `right_share` of the time."""
    labels = rng.integers(0, classes, count)
    probabilities = np.full((count, classes), (1 - top) / (classes - 1))
    wrong = rng.random(count) >= right_share
    predicted = np.where(wrong, (labels + 1) % classes, labels)
    probabilities[np.arange(count), predicted] = top
    return probabilities, labels


def test_confident_answers_pass_and_unsure_ones_are_flagged():
    rng = np.random.default_rng(0)
    sure, sure_labels = answers(rng, 900, 0.95, 0.995)
    unsure, unsure_labels = answers(rng, 100, 0.45, 0.5)
    chosen = choose_review_thresholds(np.concatenate([sure, unsure]), np.concatenate([sure_labels, unsure_labels]),
                                      np.ones(1000), target=0.98)
    assert chosen["met"]
    flags = lambda top, margin: top < chosen["min_probability"] or margin < chosen["min_margin"]  # noqa: E731
    assert flags(0.45, 0.45 - 0.55 / 3) and not flags(0.95, 0.95 - 0.05 / 3)
    assert chosen["flagged_share"] == 0.1  # exactly the unsure tenth
    assert chosen["accepted_accuracy"] >= 0.98 > chosen["unflagged_accuracy_without_review"]
    assert chosen["flagged_accuracy"] < 0.7


def test_weights_decide_whose_accuracy_counts():
    rng = np.random.default_rng(1)
    sure, sure_labels = answers(rng, 500, 0.9, 1.0)
    unsure, unsure_labels = answers(rng, 500, 0.6, 0.9)
    probabilities, labels = np.concatenate([sure, unsure]), np.concatenate([sure_labels, unsure_labels])
    # The unsure half weighing almost nothing: nothing needs flagging to reach 98%.
    light = choose_review_thresholds(probabilities, labels, np.r_[np.ones(500), np.full(500, 0.01)])
    heavy = choose_review_thresholds(probabilities, labels, np.ones(1000))
    assert light["flagged_share"] < heavy["flagged_share"]


def test_a_target_no_threshold_reaches_is_reported_as_missed():
    rng = np.random.default_rng(2)
    probabilities, labels = answers(rng, 300, 0.99, 0.5)  # confidently wrong half the time
    chosen = choose_review_thresholds(probabilities, labels, np.ones(300), target=0.98)
    assert not chosen["met"]
