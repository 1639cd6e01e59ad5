"""Recalibration (python -m train.recalibrate): BatchNorm statistics re-measured on unlabelled photos."""
import hashlib

import numpy as np
import pytest

from core.files import read_json


def test_every_batchnorm_layer_takes_the_statistics_of_what_it_now_receives():
    import tf_keras as keras

    from core.networks import build_model
    from train.recalibrate import batch_norm_layers, recalibrate_model

    model = build_model("compact", 32, 3)
    inputs = np.random.default_rng(0).uniform(100, 255, (40, 32, 32, 3)).astype(np.float32)
    shifts = recalibrate_model(model, inputs)
    layers = batch_norm_layers(model)
    assert len(shifts) == len(layers) and min(shifts) > 0
    for layer in (layers[0], layers[-1]):
        received = keras.Model(model.inputs, layer.input)(inputs, training=False).numpy()
        received = received.reshape(-1, received.shape[-1])
        _, _, mean, variance = layer.get_weights()
        np.testing.assert_allclose(mean, received.mean(0), rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(variance, received.var(0), rtol=1e-3, atol=1e-4)
    # Measured again on the same photos, nothing moves.
    assert max(recalibrate_model(model, inputs)) < 1e-3


def test_recalibrating_writes_a_new_model_and_leaves_the_original_as_it_was(trained_model, second_source, tmp_path):
    from train.recalibrate import main

    before = hashlib.sha256((trained_model / "model.h5").read_bytes()).hexdigest()
    out = trained_model.parent
    # Every photo of lab-b, in its split and class folders, labels unused: 36 cells.
    assert main(["--model", str(trained_model), "--photos", str(second_source), "--name", "tiny-lab-b"]) == 0
    assert hashlib.sha256((trained_model / "model.h5").read_bytes()).hexdigest() == before
    facts = read_json(out / "tiny-lab-b" / "training.json", "facts")
    assert facts["name"] == "tiny-lab-b" and facts["classes"] == read_json(trained_model / "training.json", "f")["classes"]
    recalibration = facts["recalibration"]
    assert recalibration["from"] == trained_model.name and recalibration["photo_count"] == 36
    assert recalibration["cells"] >= 36 and recalibration["shift"] > 0
    assert (out / "tiny-lab-b" / "metrics.json").is_file()


@pytest.mark.parametrize("problem, message", [
    ("no folder", "is not a folder: give a folder of this microscope's photos"),
    ("too few", "recalibrating needs at least 32 cells"),
    ("same name", "--name must differ from the model's"),
])
def test_recalibrate_explains_what_it_needs(trained_model, second_source, tmp_path, capsys, problem, message):
    from train.recalibrate import main

    photos = {"no folder": tmp_path / "missing", "too few": second_source / "TEST", "same name": second_source}[problem]
    name = trained_model.name if problem == "same name" else "other"
    assert main(["--model", str(trained_model), "--photos", str(photos), "--name", name, "--no-evaluate"]) == 2
    assert message in capsys.readouterr().err
