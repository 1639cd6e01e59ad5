"""Ensembles: members trained from different seeds on one split, averaged into one ordinary model."""
import json

import numpy as np
import pytest
import tf_keras as keras


@pytest.fixture(scope="module")
def ensemble(synthetic_data, tmp_path_factory):
    from train.config import parse_config
    from train.run import train

    out = tmp_path_factory.mktemp("ensemble")
    options = parse_config(["--data", str(synthetic_data), "--out", str(out), "--name", "pair", "--members", "2",
                          "--epochs", "2", "--batch-size", "16", "--input-size", "32", "--unlabelled", "none"])
    return train(options)


def member_folders(ensemble):
    return sorted((ensemble / "members").iterdir())


def test_members_differ_by_seed_and_share_the_validation_smears(ensemble):
    facts = [json.loads((folder / "training.json").read_text()) for folder in member_folders(ensemble)]
    assert [fact["seed"] for fact in facts] == [42, 43]
    assert facts[0]["validation_groups"] == facts[1]["validation_groups"]
    whole = json.loads((ensemble / "training.json").read_text())
    assert whole["validation_groups"] == facts[0]["validation_groups"]
    assert whole["parameters"] == sum(fact["parameters"] for fact in facts)
    assert [member["seed"] for member in whole["members"]] == [42, 43]


def test_the_ensemble_gives_the_mean_of_its_members(ensemble):
    members = [keras.models.load_model(folder / "model.h5") for folder in member_folders(ensemble)]
    whole = keras.models.load_model(ensemble / "model.h5")
    inputs = np.random.default_rng(1).uniform(0, 255, (5, 32, 32, 3)).astype(np.float32)
    expected = np.mean([member.predict(inputs, verbose=0) for member in members], axis=0)
    assert np.abs(whole.predict(inputs, verbose=0) - expected).max() < 1e-6
    assert not np.allclose(members[0].predict(inputs, verbose=0), members[1].predict(inputs, verbose=0))


def test_the_ensemble_is_evaluated_on_validation_and_held_out_splits(ensemble):
    metrics = json.loads((ensemble / "metrics.json").read_text())
    assert {"validation", "TEST", "TEST_SIMPLE"} == metrics["sources"]["lab-a"].keys()
    assert metrics["validation"]["balanced_accuracy"] == metrics["sources"]["lab-a"]["validation"]["balanced_accuracy"]
    assert (ensemble / "confusion_matrix_lab-a_validation.png").exists()
    assert (ensemble / "learning_curves.png").exists(), "every member's curves in one picture"


def test_the_ensemble_converts_and_tensorflow_js_agrees(ensemble, synthetic_data, tmp_path):
    from convert.convert import convert_model

    folder = convert_model(ensemble, tmp_path / "models", None, None, make_default=True)
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["conversion"]["parity"]["max_abs_difference"] <= 1e-4
    assert metadata["training"]["members"][1]["seed"] == 43


def test_resume_keeps_finished_members(ensemble, synthetic_data, capsys):
    from train.__main__ import main

    before = [(folder / "model.h5").stat().st_mtime_ns for folder in member_folders(ensemble)]
    (ensemble / "model.h5").unlink()  # cut off after the members, before their average was saved
    code = main(["--data", str(synthetic_data), "--out", str(ensemble.parent), "--name", "pair", "--members", "2",
                 "--epochs", "2", "--batch-size", "16", "--input-size", "32", "--resume"])
    assert code == 0
    assert "already trained: kept" in capsys.readouterr().err
    assert [(folder / "model.h5").stat().st_mtime_ns for folder in member_folders(ensemble)] == before
