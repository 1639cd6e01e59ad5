"""Integration: the real train and convert stages on a synthetic dataset, end to end in Python."""
import json
import shutil

import numpy as np
import pytest

from convert.publish import content_version, sha256_file
from core.files import read_json

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_training_writes_model_metrics_and_pictures(trained_model):
    for name in ("model.h5", "training.json", "metrics.json", "learning_curves.png", "confusion_matrix_lab-a_TEST.png",
                 "confusion_matrix_lab-a_validation.png", "confusion_matrix_lab-b_validation.png"):
        assert (trained_model / name).stat().st_size > 0, name
    info = read_json(trained_model / "training.json", "training facts")
    assert info["preprocessing"]["input_size"] == [32, 32]
    assert 1 <= info["best_epoch"] <= info["epochs_run"] <= 3


def test_the_model_learns_the_union_of_the_sources_classes_matched_whatever_their_case(trained_model):
    info = read_json(trained_model / "training.json", "training facts")
    assert info["classes"] == ["BLUE", "GREEN", "RED", "VIOLET"]
    assert info["cell_types"]["white_cells"] == ["BLUE", "GREEN", "RED", "VIOLET"]  # no known names: all counted
    lab_a, lab_b = info["sources"]
    assert lab_a["name"] == "lab-a" and lab_b["name"] == "lab-b"
    assert lab_b["images"]["train"] == {"BLUE": 10, "VIOLET": 10}  # lab-b's folder is "blue"
    assert lab_b["validation"] == "VAL" and lab_b["images"]["validation"] == {"BLUE": 4, "VIOLET": 4}
    # lab-a has no VAL: 6 smears per class clustered into 3 groups, one group per class held out.
    assert lab_a["validation"] == "held-out smears" and len(info["validation_groups"]["lab-a"]) == 3
    assert sum(lab_a["images"]["train"].values()) + sum(lab_a["images"]["validation"].values()) == 72
    assert "lab-b" not in info["validation_groups"]


def test_metrics_are_per_source_and_split_and_cover_held_out_parts_only(trained_model):
    metrics = read_json(trained_model / "metrics.json", "metrics")
    assert set(metrics) == {"validation", "sources", "other_labs", "review"} and metrics["other_labs"] == {}
    assert set(metrics["sources"]["lab-a"]) == {"validation", "TEST", "TEST_SIMPLE"}
    assert set(metrics["sources"]["lab-b"]) == {"validation", "TEST"}
    assert metrics["sources"]["lab-a"]["TEST"]["images"] == 24 and metrics["sources"]["lab-b"]["TEST"]["images"] == 8
    assert np.array(metrics["sources"]["lab-a"]["TEST"]["confusion_matrix"]).sum() == 24
    parts = [metrics["sources"][name]["validation"] for name in ("lab-a", "lab-b")]
    assert metrics["validation"]["balanced_accuracy"] == pytest.approx(np.mean([p["balanced_accuracy"] for p in parts]))


def published_folder(site):
    index = json.loads((site / "models" / "index.json").read_text())
    entry = next(m for m in index["models"] if m["name"] == index["default"])
    return index, site / "models" / entry["path"]


def test_convert_publishes_model_with_metadata_and_hashes(published_site):
    index, folder = published_folder(published_site)
    assert index["default"] == "tiny"
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["classes"] == ["BLUE", "GREEN", "RED", "VIOLET"]
    assert metadata["cell_types"]["white_cells"] == metadata["classes"]
    assert metadata["preprocessing"]["resize"] == "area"
    assert metadata["version"] == folder.name == content_version(metadata["files"])
    assert {"model.json", "learning_curves.png"} <= set(metadata["files"])
    assert any(name.endswith(".bin") for name in metadata["files"])
    for name, facts in metadata["files"].items():
        assert sha256_file(folder / name) == facts["sha256"], name
    assert metadata["conversion"]["parity"]["max_abs_difference"] <= 1e-4
    assert metadata["training"]["training_seconds"] > 0 and metadata["training"]["peak_memory_mb"] > 0
    assert not list((published_site / "models").glob(".tmp-*"))


def test_metadata_matches_the_model_it_describes(published_site):
    _, folder = published_folder(published_site)
    metadata = json.loads((folder / "metadata.json").read_text())
    topology = json.loads((folder / "model.json").read_text())["modelTopology"]["model_config"]["config"]
    input_layer = topology["layers"][0]["config"]
    assert input_layer["batch_input_shape"] == [None, *metadata["preprocessing"]["input_size"], 3]
    last = topology["layers"][-1]["config"]
    assert last["units"] == len(metadata["classes"]) and last["activation"] == "softmax"


def test_published_metadata_names_no_path_on_the_trainers_machine(published_site, synthetic_data):
    _, folder = published_folder(published_site)
    text = (folder / "metadata.json").read_text()
    metadata = json.loads(text)
    assert str(synthetic_data.parent) not in text
    assert [source["name"] for source in metadata["training"]["sources"]] == ["lab-a", "lab-b"]
    assert metadata["training"]["sources"][1]["images"]["train"] == {"BLUE": 10, "VIOLET": 10}
    assert metadata["metrics"]["sources"]["lab-b"]["TEST"]["images"] == 8
    parity = metadata["conversion"]["parity"]["sources"]
    assert parity[0].startswith("lab-a/TEST_SIMPLE/") and any(name.startswith("lab-b/TEST/") for name in parity)
    assert metadata["training"]["recipe"]["augment"] is not None


def test_evaluate_cli_re_evaluates_a_saved_model_on_the_sources_it_was_trained_on(trained_model, tmp_path):
    from train.evaluate import main

    copy = tmp_path / "copy"
    shutil.copytree(trained_model, copy)
    before = read_json(copy / "metrics.json", "metrics")
    (copy / "metrics.json").unlink()
    assert main(["--model", str(copy)]) == 0
    after = read_json(copy / "metrics.json", "metrics")
    # The same held-out parts read again (the validation smears too): the same figures and review thresholds.
    assert after["sources"] == before["sources"] and after["review"] == before["review"]
    assert after["validation"] == pytest.approx(before["validation"])


def test_evaluate_scores_a_source_the_model_never_saw_as_another_lab(trained_model, synthetic_data, tmp_path):
    from train.evaluate import main

    copy, other = tmp_path / "copy", tmp_path / "lab-c"
    shutil.copytree(trained_model, copy)
    shutil.copytree(synthetic_data, other)
    (other / "TRAIN" / "PURPLE").mkdir()  # a class the model does not know is left out, not an error
    shutil.copy(next((other / "TRAIN" / "RED").iterdir()), other / "TRAIN" / "PURPLE" / "x.jpeg")
    assert main(["--model", str(copy), "--data", str(other)]) == 0
    metrics = read_json(copy / "metrics.json", "metrics")
    other_lab = metrics["other_labs"]["lab-c"]
    assert set(other_lab) == {"validation", "TEST", "TEST_SIMPLE", "shared_classes"}
    assert other_lab["TEST"] == metrics_of_copy_on(trained_model, "lab-a", "TEST")
    # Answers limited to lab-c's classes (BLUE, GREEN, RED): never VIOLET, so never worse.
    shared = other_lab["shared_classes"]["TEST"]
    assert set(other_lab["shared_classes"]) == {"validation", "TEST", "TEST_SIMPLE"}
    assert shared["accuracy"] >= other_lab["TEST"]["accuracy"]
    assert sum(row[shared["classes"].index("VIOLET")] for row in shared["confusion_matrix"]) == 0


def metrics_of_copy_on(model, source, split):
    return read_json(model / "metrics.json", "metrics")["sources"][source][split]


@pytest.mark.parametrize(("model", "data", "message"), [
    ("missing-model", "synthetic", "training facts not found"),
    ("no-weights", "synthetic", "no model.h5"),
    ("trained", "empty", "does not exist"),
])
def test_evaluate_cli_explains_what_is_missing(trained_model, synthetic_data, tmp_path, capsys, model, data, message):
    from train.evaluate import main

    folders = {"missing-model": tmp_path / "nowhere", "trained": trained_model, "no-weights": tmp_path / "no-weights"}
    shutil.copytree(trained_model, folders["no-weights"], ignore=shutil.ignore_patterns("model.h5"))
    code = main(["--model", str(folders[model]), "--data", str(synthetic_data if data == "synthetic" else tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.integration
@pytest.mark.parametrize("stage", ["train", "train.evaluate", "convert", "server", "bench"])
def test_every_stage_has_help(stage):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", stage, "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "usage: python -m" in done.stdout


def test_train_cli_reports_a_bad_dataset_without_a_traceback(tmp_path, capsys):
    from train.__main__ import main

    (tmp_path / "TRAIN" / "ONLY").mkdir(parents=True)
    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "models")]) == 2
    assert "has only one class (ONLY)" in capsys.readouterr().err


def test_compare_chooses_by_validation_only(trained_model, tmp_path, capsys):
    from train.compare import main

    worse = tmp_path / "worse"
    shutil.copytree(trained_model, worse)
    metrics = json.loads((worse / "metrics.json").read_text())
    metrics["validation"]["balanced_accuracy"] -= 0.5
    metrics["sources"]["lab-a"]["TEST"]["balanced_accuracy"] = 1.0  # a better TEST score must not sway the choice
    (worse / "metrics.json").write_text(json.dumps(metrics))
    assert main([str(worse), str(trained_model)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith(f"best by validation (in-lab and cross-lab): {trained_model}")
    arch = json.loads((worse / "training.json").read_text())["arch"]
    assert f"| worse | {arch} |" in out


def test_compare_reports_a_folder_without_metrics(tmp_path, capsys):
    from train.compare import main

    assert main([str(tmp_path)]) == 2
    assert "training facts not found" in capsys.readouterr().err


def test_published_files_are_readable_by_a_server_running_as_another_user(published_site):
    index = json.loads((published_site / "models" / "index.json").read_text())
    folder = published_site / "models" / index["models"][0]["path"]
    assert folder.stat().st_mode & 0o777 == 0o755
    assert {path.name: path.stat().st_mode & 0o777 for path in folder.iterdir()} == \
        {path.name: 0o644 for path in folder.iterdir()}
    assert (published_site / "models" / "index.json").stat().st_mode & 0o777 == 0o644
