"""bench.adaptation_depth: the network cut before its last convolution answers as the whole network does,
a fit on cells the shipped head gets wrong learns them, the report has one row per run, and an offline fit's
command replaces only its own section of adaptation.md."""
import json

import numpy as np
import pytest
import tf_keras as keras

from bench.adaptation_depth import VARIANTS, LastBlock, balanced, fit, logits, render

CLASSES = ["A", "B", "C"]


@pytest.fixture(scope="module")
def block():
    """A small network shaped as the published one: convolutions with ReLU, global average, softmax."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((12, 12, 3)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(6, 3, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(len(CLASSES), activation="softmax"),
    ])
    return model, LastBlock(model, CLASSES)


def test_the_cut_network_answers_as_the_whole_one(block):
    model, cut = block
    inputs = np.random.default_rng(0).random((16, 12, 12, 3), dtype="float32")
    answers = logits(cut.shipped(), cut.features(inputs)).numpy()
    probabilities = np.exp(answers) / np.exp(answers).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities, model.predict(inputs, verbose=0), atol=1e-5)


@pytest.mark.parametrize("variant", ["head", "affine", "kernel"])
def test_a_fit_learns_the_clinics_look_and_keeps_the_replayed_cells(block, variant):
    _, cut = block
    rng = np.random.default_rng(2)
    replay_inputs = rng.random((40, 12, 12, 3), dtype="float32")
    replay = (cut.features(replay_inputs), np.argmax(logits(cut.shipped(), cut.features(replay_inputs)).numpy(), axis=1))
    # The clinic's cells look unlike the replayed ones (red), and are all of a class the shipped head never names.
    clinic_inputs = rng.random((30, 12, 12, 3), dtype="float32") * np.array([3.0, 0.1, 0.1], "float32")
    unnamed = next(c for c in range(len(CLASSES)) if c not in replay[1])
    clinic = (cut.features(clinic_inputs), np.full(30, unnamed))
    assert balanced(cut.shipped(), *clinic) == 0.0
    weights = fit(cut, variant, *clinic, replay)
    assert balanced(weights, *clinic) > 0.9
    assert balanced(weights, *replay) > 0.9


def test_the_report_has_a_row_per_run_naming_what_was_trained():
    result = {"model": "m 123", "lab": "tecom", "per_class": 5, "shipped": {"pbc": 0.9, "blood-cells": 0.8},
              "runs": [{"variant": variant, "cells": 20, "rest_before": 0.5, "rest_after": 0.6,
                        "rest_before_common": 0.55, "rest_after_common": 0.65, "labs": {"pbc": 0.85, "blood-cells": 0.75}}
                       for variant in VARIANTS]}
    table = [line for line in render(result).splitlines() if line.startswith("| ")]
    assert len(table) == 2 + len(VARIANTS)  # the header and its rule
    assert all(name in render(result) for name in VARIANTS.values())
    assert "| 20 | 50.0% | **60.0%** | 55.0% | **65.0%** | 85.0% | 75.0% |" in table[2]


def test_a_fits_command_writes_its_figures_and_replaces_only_its_own_section(tmp_path):
    from argparse import Namespace

    from bench.browser_adaptation_report import fits_main

    (tmp_path / "adaptation.md").write_text("# kept\n\n<!-- a -->\nold figures\n<!-- /a -->\n\nkept too\n")
    options = Namespace(out=tmp_path)
    assert fits_main(options, lambda o: {"figure": 0.5}, lambda r: f"figure {r['figure']}", "fits.json",
                     "<!-- a -->", "<!-- /a -->") == 0
    assert json.loads((tmp_path / "fits.json").read_text()) == {"figure": 0.5}
    assert (tmp_path / "adaptation.md").read_text() == "# kept\n\n<!-- a -->\nfigure 0.5\n<!-- /a -->\nkept too\n"
