"""The label-free measure of how unlike the training labs a lab's cells look (bench/familiarity.py), on
features whose answer is known."""
import numpy as np

from bench.familiarity import lab_figures, sample_spread
from core.familiarity import neighbour_distance

METADATA = {"review": {"min_probability": 0.9, "min_margin": 0.0}}  # no calibration: the answers as given


def test_a_cell_like_the_reference_is_near_and_one_pointing_elsewhere_is_far():
    reference = np.array([[1.0, 0.0, 0.0]] * 5 + [[0.0, 1.0, 0.0]] * 5)
    cells = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0], [1.0, 1.0, 0.0]])
    distance = neighbour_distance(cells, reference, neighbours=5)
    assert distance[0] < 1e-9, "scale does not matter, direction does"
    assert abs(distance[1] - 1.0) < 1e-9, "orthogonal to every reference cell"
    assert abs(distance[2] - (1 - np.sqrt(0.5))) < 1e-9


def test_a_samples_spread_is_its_mean_drawn_again_and_again():
    spread = sample_spread(np.r_[np.zeros(50), np.ones(50)], size=50)
    assert spread["p5"] < spread["p50"] < spread["p95"]
    assert 0.35 < spread["p5"] and spread["p95"] < 0.65 and abs(spread["p50"] - 0.5) < 0.05
    same = sample_spread(np.full(10, 0.2))
    assert abs(same["p5"] - 0.2) < 1e-12 and abs(same["p95"] - 0.2) < 1e-12


def test_a_lab_far_from_the_reference_and_unsure_says_so_in_both_figures():
    reference = np.eye(4)[[0, 1] * 10]
    sure = np.array([[0.95, 0.05]] * 20)
    unsure = np.array([[0.6, 0.4]] * 20)
    near = lab_figures(np.eye(4)[[0] * 20], sure, reference, METADATA)
    far = lab_figures(np.eye(4)[[3] * 20], unsure, reference, METADATA)
    assert near["cells"] == far["cells"] == 20
    assert near["distance_median"] < 1e-9 and abs(far["distance_median"] - 1) < 1e-9
    assert near["sample_flagged"]["p95"] == 0.0 and far["sample_flagged"]["p5"] == 1.0
