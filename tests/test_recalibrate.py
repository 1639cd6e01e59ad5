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
    assert main(["--model", str(trained_model), "--photos", str(second_source), "--name", "tiny-lab-b",
                 "--out", str(out)]) == 0
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
    assert main(["--model", str(trained_model), "--photos", str(photos), "--name", name, "--no-evaluate",
                 "--out", str(trained_model.parent)]) == 2
    assert message in capsys.readouterr().err


def with_trained_statistics(model, seed: int = 1):
    """Every BatchNorm given statistics and a scale and shift as if trained (some scales negative)."""
    from train.recalibrate import batch_norm_layers

    rng = np.random.default_rng(seed)
    for layer in batch_norm_layers(model):
        channels = layer.get_weights()[0].shape[0]
        layer.set_weights([rng.uniform(-1.5, 1.5, channels), rng.normal(0, 0.5, channels),
                           rng.normal(0, 0.3, channels), rng.uniform(0.2, 2.0, channels)])
    return model


@pytest.mark.parametrize("arch", ["compact", "s2_sepdeep"])
def test_a_folded_model_unfolds_into_the_model_it_was_folded_from(arch):
    import tf_keras as keras

    from core.fold import fold_batch_norm, folded_statistics, unfold_batch_norm
    from core.networks import build_model

    trained = with_trained_statistics(build_model(arch, 32, 3))
    published, statistics = fold_batch_norm(trained), folded_statistics(trained)
    assert statistics and not any(isinstance(layer, keras.layers.BatchNormalization) for layer in published.layers)
    restored = unfold_batch_norm(published, statistics, build_model(arch, 32, 3))
    for before, after in zip(trained.layers, restored.layers):
        for expected, found in zip(before.get_weights(), after.get_weights()):
            np.testing.assert_allclose(found, expected, rtol=1e-3, atol=1e-4)
    photos = np.random.default_rng(2).uniform(60, 255, (8, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(restored.predict(photos, verbose=0), trained.predict(photos, verbose=0), atol=1e-5)


def test_unfolding_refuses_another_network():
    from core.fold import fold_batch_norm, folded_statistics, unfold_batch_norm
    from core.networks import build_model

    trained = with_trained_statistics(build_model("compact", 32, 3))
    with pytest.raises(ValueError, match="not the same network"):
        unfold_batch_norm(fold_batch_norm(trained), folded_statistics(trained), build_model("s2_sepdeep", 32, 3))


def test_a_published_model_is_recalibrated_and_published_again(published_site, second_source, tmp_path):
    from convert.convert import convert_model
    from core.model_index import default_model
    from train.recalibrate import main

    metadata, folder = default_model(published_site / "models")
    assert (folder / "batch-norm.json").is_file()
    assert main(["--model", str(published_site / "models"), "--photos", str(second_source), "--name", "tiny-here",
                 "--out", str(tmp_path), "--no-evaluate"]) == 0
    facts = read_json(tmp_path / "tiny-here" / "training.json", "facts")
    assert facts["recalibration"]["from"] == f"{metadata['name']}/{metadata['version']}"
    assert facts["classes"] == metadata["classes"] and facts["preprocessing"] == metadata["preprocessing"]
    site = tmp_path / "site"
    published = convert_model(tmp_path / "tiny-here", site, None, None, make_default=False)
    again = read_json(published / "metadata.json", "metadata")
    assert again["name"] == "tiny-here" and again["version"] != metadata["version"]
    assert again["training"]["recalibration"]["shift"] == facts["recalibration"]["shift"]
    assert again["conversion"]["parity"]["max_abs_difference"] < 1e-4
    # Restored from batch-norm.json, re-measured, folded again: the new version keeps its statistics too.
    def channels(path):
        return [len(layer["gamma"]) for layer in read_json(path, "folded statistics").values()]

    assert channels(published / "batch-norm.json") == channels(folder / "batch-norm.json")
