"""Temperature scaling: the fitted temperature undoes a known over-confidence, and ECE measures it."""
import numpy as np
import pytest

from core.calibration import calibrated, expected_calibration_error, fit_temperature


def overconfident(rng, cells=4000, classes=5, temperature=2.5):
    """Answers drawn from calibrated probabilities, then made over-confident by a known temperature."""
    logits = rng.normal(0, 1.6, (cells, classes))
    truth = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(classes, p=p) for p in truth])
    return calibrated(truth, 1 / temperature), labels, truth


def test_the_fitted_temperature_undoes_a_known_overconfidence():
    shown, labels, truth = overconfident(np.random.default_rng(0))
    temperature = fit_temperature(shown, labels, np.ones(len(labels)))
    assert temperature == pytest.approx(2.5, rel=0.1)
    assert expected_calibration_error(shown, labels) > 0.1
    assert expected_calibration_error(calibrated(shown, temperature), labels) < 0.03
    assert np.abs(calibrated(shown, 2.5) - truth).max() < 1e-9


def test_calibration_keeps_the_ranking_and_each_row_sums_to_one():
    shown, _, _ = overconfident(np.random.default_rng(1), cells=50)
    scaled = calibrated(shown, 1.7)
    assert (scaled.argmax(axis=1) == shown.argmax(axis=1)).all()
    assert np.allclose(scaled.sum(axis=1), 1)
    assert np.allclose(calibrated(shown, 1.0), shown)


def test_weights_decide_which_cells_the_temperature_fits():
    rng = np.random.default_rng(2)
    hot, hot_labels, _ = overconfident(rng, cells=2000, temperature=3.0)
    fair, fair_labels, _ = overconfident(rng, cells=2000, temperature=1.0)
    both = np.concatenate([hot, fair])
    labels = np.concatenate([hot_labels, fair_labels])
    only_hot = np.concatenate([np.ones(2000), np.zeros(2000)])
    assert fit_temperature(both, labels, only_hot) == pytest.approx(3.0, rel=0.12)
    assert fit_temperature(both, labels, 1 - only_hot) == pytest.approx(1.0, rel=0.12)


def test_the_page_calibrates_as_python_does(tmp_path):
    """web/js/differential.js's calibrated() under Node, with the metadata's temperature and floor."""
    import json

    from core.calibration import FLOOR
    from tests.js_runner import run_module_script

    shown, _, _ = overconfident(np.random.default_rng(3), cells=40)
    shown[0] = [1.0, 0, 0, 0, 0]  # a zero: the floor keeps its logarithm finite
    metadata = {"calibration": {"temperature": 1.83, "floor": FLOOR}}
    script = ("import { calibrated, calibrationOf } from './differential.js';\n"
              f"const rows = {json.dumps(shown.tolist())};\n"
              f"const calibration = calibrationOf({json.dumps(metadata)});\n"
              "console.log(JSON.stringify(rows.map((row) => calibrated(row, calibration))));\n"
              "console.log(JSON.stringify(calibrationOf({}) === null && calibrated([0.2, 0.8], null)));\n")
    page, unchanged = run_module_script(tmp_path, script).strip().splitlines()
    assert np.abs(np.array(json.loads(page)) - calibrated(shown, 1.83)).max() < 1e-12
    assert json.loads(unchanged) == [0.2, 0.8]  # a model without calibration: as the network says


def test_train_calibrate_fits_the_published_model_on_validation_and_keeps_its_files(published_site, synthetic_data,
                                                                                   second_source, tmp_path):
    """The real step on the tiny published model: validation parts only, metadata.json rewritten, every
    checksummed file (weights, model.json) untouched, and the page's model index still naming it."""
    import hashlib
    import shutil

    from core.model_index import default_model
    from train.calibrate import main

    site = tmp_path / "web"
    shutil.copytree(published_site, site)
    metadata, folder = default_model(site / "models")
    before = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in metadata["files"]}
    code = main(["--model", str(site / "models"), "--data", str(synthetic_data), "--data", str(second_source),
                 "--other-lab", str(second_source)])
    assert code == 0
    after, same_folder = default_model(site / "models")
    assert same_folder == folder and after["version"] == metadata["version"]
    assert {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in after["files"]} == before
    assert {name: facts["sha256"] for name, facts in after["files"].items()} == before
    calibration = after["calibration"]
    assert calibration["temperature"] > 0 and calibration["floor"] > 0
    assert calibration["fitted_on"] == ["lab-a", "lab-b"]
    assert set(calibration["validation"]) == {"lab-a", "lab-b"} and set(calibration["other_labs"]) == {"lab-b"}
    for parts in calibration["validation"].values():
        assert 0 <= parts["calibrated"]["ece"] <= 1 and 0 <= parts["calibrated"]["flagged_share"] <= 1
    assert after["review"]["calibrated"] is True and after["review_uncalibrated"] == metadata["review"]
    familiarity = after["familiarity"]  # fitted on the same validation parts, against the model's replay set
    assert set(familiarity["validation"]) == {"lab-a", "lab-b"} and set(familiarity["other_labs"]) == {"lab-b"}
    assert familiarity["threshold"] > max(lab["sample_p99"] for lab in familiarity["validation"].values()) > 0


def test_a_dry_run_writes_nothing_and_a_folder_without_a_model_is_refused(published_site, second_source, tmp_path):
    from core.model_index import default_model
    from train.calibrate import main

    _, folder = default_model(published_site / "models")
    text = (folder / "metadata.json").read_text()
    assert main(["--model", str(folder), "--data", str(second_source), "--other-lab", str(second_source),
                 "--dry-run"]) == 0  # lab-b alone: its VAL split is what training validated on
    assert (folder / "metadata.json").read_text() == text  # a dry run writes nothing
    assert main(["--model", str(tmp_path)]) == 2
