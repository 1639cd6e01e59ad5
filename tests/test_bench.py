"""The quick benchmark end to end on the tiny published model: its outputs exist and their figures agree.

Benchmarks measure time; these tests never assert on how long anything took.
"""
import json
from pathlib import Path

import numpy as np
import pytest
import tf_keras as keras

from bench.__main__ import main, parse_args
from bench.published import rebuild_keras, weight_bytes
from core.metrics import compute_metrics
from core.model_index import default_model
from core.preprocess import preprocess_file


@pytest.fixture(scope="module")
def quick_bench(published_site, synthetic_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    assert main(["--quick", "--web-root", str(published_site), "--data", str(synthetic_data), "--out", str(out),
                 "--models", str(out / "no-models")]) == 0
    return (out, json.loads((out / "results.json").read_text()),
            json.loads((out / "predictions.json").read_text()))


def test_rebuilt_keras_model_gives_the_trained_models_probabilities(published_site, trained_model, synthetic_data):
    metadata, folder = default_model(published_site / "models")
    rebuilt = rebuild_keras(folder)
    assert isinstance(rebuilt, keras.Model)
    paths = sorted(synthetic_data.glob("TEST_SIMPLE/*/*.jpeg"))
    inputs = np.stack([preprocess_file(p, metadata["preprocessing"]) for p in paths])
    trained = keras.models.load_model(trained_model / "model.h5")
    assert np.abs(rebuilt.predict(inputs, verbose=0) - trained.predict(inputs, verbose=0)).max() <= 1e-6


def test_quick_results_never_overwrite_the_full_ones():
    assert parse_args(["--quick"]).out == Path("bench/quick")
    assert parse_args([]).out == Path("bench")


def test_quick_bench_writes_every_output(quick_bench, published_site):
    out, results, _ = quick_bench
    for name in ("results.md", "results.json", "predictions.json", "confusion_matrix_TEST_SIMPLE.png"):
        assert (out / name).stat().st_size > 0, name
    metadata, _ = default_model(published_site / "models")
    report = (out / "results.md").read_text()
    assert report.startswith("# Leukolens benchmark (quick")
    assert f"{metadata['name']} version {metadata['version']}" in report
    assert "](confusion_matrix_TEST_SIMPLE.png)" in report
    for section in ("## Targets", "## Quality", "## Speed", "## Quantization", "## Against the tutorial",
                    "## Training cost", "## Server throughput"):
        assert section in report, section
    assert "every body was byte-identical to its file" in report
    assert results["mode"] == "quick"
    assert set(results["quality"]) == {"TEST_SIMPLE"} and set(results["speed"]) == {"wasm"}


def test_recorded_figures_are_what_compute_metrics_gives(quick_bench):
    _, results, predictions = quick_bench
    for split, recorded in predictions.items():
        labels = np.array(recorded["labels"])
        assert len(labels) == len(recorded["files"]) == results["quality"][split]["images"] == 12
        for side in ("keras", "browser"):
            computed = compute_metrics(labels, np.array(recorded[side]), recorded["classes"])
            assert computed == results["quality"][split][side], side


def test_browser_gives_kerass_probabilities(quick_bench):
    _, results, predictions = quick_bench
    agreement = results["quality"]["TEST_SIMPLE"]["browser_vs_keras"]
    recorded = predictions["TEST_SIMPLE"]
    difference = np.abs(np.array(recorded["keras"]) - np.array(recorded["browser"])).max()
    assert agreement["max_abs_difference"] == pytest.approx(difference)
    assert difference <= 1e-3 and agreement["top_class_differs"] == 0
    assert results["quality"]["TEST_SIMPLE"]["browser_errors"] == {}
    assert results["rebuilt_model_check"]["TEST_SIMPLE"]["rebuilt"] == pytest.approx(
        results["rebuilt_model_check"]["TEST_SIMPLE"]["published"])


def test_sizes_and_comparisons_are_consistent(quick_bench, published_site):
    _, results, _ = quick_bench
    _, folder = default_model(published_site / "models")
    assert results["model"]["weight_bytes"] == weight_bytes(folder)
    sizes = {name: q["weight_bytes"] for name, q in results["quantization"].items()}
    assert sizes["none"] == weight_bytes(folder) and sizes["uint8"] < sizes["float16"] < sizes["none"]
    assert results["quantization"]["none"]["TEST_SIMPLE"]["top_class_differs"] == 0
    tutorial = results["tutorial"]
    assert tutorial["trained"] is False and tutorial["weight_bytes"] > results["model"]["weight_bytes"]
    assert tutorial["ours_over_theirs"]["weight_bytes"] == pytest.approx(
        results["model"]["weight_bytes"] / tutorial["weight_bytes"])
    transferred = results["cold_start"]["transferred"]
    assert any(path.endswith(".bin") for path in transferred["model"]["files"])
    assert transferred["model"]["body_bytes"] >= results["model"]["weight_bytes"]


def test_targets_are_judged_only_when_measured(quick_bench):
    _, results, _ = quick_bench
    verdicts = {row["target"]: row for row in results["targets"]}
    assert verdicts["TEST accuracy (Keras)"]["met"] is None  # --quick does not read TEST
    accuracy = verdicts["TEST_SIMPLE accuracy (Keras)"]
    assert accuracy["met"] == (results["quality"]["TEST_SIMPLE"]["keras"]["accuracy"] >= 0.97)
    assert all(row["met"] in (True, False) for name, row in verdicts.items() if name != "TEST accuracy (Keras)")

