"""Fine-tuning (python -m train --init-from): a run that starts from a trained model's weights."""
from pathlib import Path

import numpy as np
import pytest

from core.files import read_json
from tests.conftest import draw_cell

NEW_LAB = {"blue": (60, 70, 200), "ORANGE": (200, 120, 40)}


@pytest.fixture(scope="module")
def third_source(tmp_path_factory) -> Path:
    """Source "lab-c": a few cells of a class the model knows (blue) and of one it does not (ORANGE)."""
    root = tmp_path_factory.mktemp("data") / "lab-c"
    rng = np.random.default_rng(9)
    for name, colour in NEW_LAB.items():
        (root / "TRAIN" / name).mkdir(parents=True)
        for index in range(6):
            draw_cell(rng, colour, background=(215, 200, 225)).save(root / "TRAIN" / name / f"{index}.png")
    return root


def fine_tune(start: Path, data: Path, out: Path, name: str, *flags) -> Path:
    from train.config import parse_config
    from train.run import train

    return train(parse_config(["--init-from", str(start), "--data", str(data), "--out", str(out), "--name", name,
                               "--epochs", "2", "--batch-size", "8", *flags]))


@pytest.fixture(scope="module")
def fine_tuned(trained_model, third_source, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("fine-tuned")
    return {mode: fine_tune(trained_model, third_source, out, f"tuned-{mode}", "--trainable", mode)
            for mode in ("head", "all")}


def weights(folder: Path) -> dict:
    import tf_keras as keras

    model = keras.models.load_model(folder / "model.h5", compile=False)
    return {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers if layer.get_weights()}


def changed(before: list, after: list) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


def test_a_fine_tuned_model_keeps_the_starting_classes_and_adds_the_new_ones(trained_model, fine_tuned):
    start = read_json(trained_model / "training.json", "facts")
    tuned = read_json(fine_tuned["all"] / "training.json", "facts")
    assert start["classes"] == ["BLUE", "GREEN", "RED", "VIOLET"]
    assert tuned["classes"] == ["BLUE", "GREEN", "ORANGE", "RED", "VIOLET"]
    head = weights(fine_tuned["all"])["probabilities"][0]
    assert head.shape[-1] == 5


def test_a_fine_tuned_model_keeps_the_starting_preprocessing(trained_model, fine_tuned):
    start = read_json(trained_model / "training.json", "facts")
    for folder in fine_tuned.values():
        tuned = read_json(folder / "training.json", "facts")
        # The starting model saw 32x32 inputs: the run keeps them, whatever the command line's default (80).
        assert tuned["preprocessing"] == start["preprocessing"]
        assert tuned["config"]["input_size"] == 32 and tuned["arch"] == start["arch"]
        assert tuned["recipe"]["init_from"].endswith(trained_model.name)


def test_head_mode_changes_only_the_output_layer_and_all_mode_every_layer_but_batchnorm(trained_model, fine_tuned):
    start = weights(trained_model)
    head, every = weights(fine_tuned["head"]), weights(fine_tuned["all"])
    convolutions = [name for name in start if name.startswith("conv2d")]
    norms = [name for name in start if name.startswith("batch_normalization")]
    assert convolutions and norms
    assert not any(changed(start[name], head[name]) for name in convolutions + norms)
    assert all(changed(start[name], every[name]) for name in convolutions)
    assert not any(changed(start[name], every[name]) for name in norms)
    for tuned in (head, every):
        assert changed([start["probabilities"][0][:, 0]], [tuned["probabilities"][0][:, 0]])


def test_a_published_model_can_be_the_start(published_site, third_source, tmp_path):
    from core.model_index import default_model

    _, folder = default_model(published_site / "models")
    tuned = fine_tune(published_site / "models", third_source, tmp_path, "from-published", "--trainable", "head")
    facts = read_json(tuned / "training.json", "facts")
    assert facts["classes"] == ["BLUE", "GREEN", "ORANGE", "RED", "VIOLET"]
    assert facts["recipe"]["init_from"] == f"{folder.parent.name}/{folder.name}"  # the model's name and version
    assert read_json(folder / "metadata.json", "metadata")["preprocessing"] == facts["preprocessing"]
    # Its BatchNorm layers, folded away for the browser, are restored from batch-norm.json.
    assert any(name.startswith("batch_normalization") for name in weights(tuned))


def test_new_rows_start_from_the_known_rows_mean_bias_and_known_rows_are_kept():
    from core.networks import build_model
    from train.start import HEAD, with_classes

    model = build_model("compact", 32, 3)
    kernel, bias = model.get_layer(HEAD).get_weights()
    bias[:] = [0.5, -1.0, 2.0]
    model.get_layer(HEAD).set_weights([kernel, bias])
    wider = with_classes(model, ["A", "C", "E"], ["A", "B", "C", "D", "E"])
    new_kernel, new_bias = wider.get_layer(HEAD).get_weights()
    np.testing.assert_array_equal(new_kernel[:, [0, 2, 4]], kernel)
    np.testing.assert_allclose(new_bias, [0.5, 0.5, -1.0, 0.5, 2.0])


def test_a_run_may_not_drop_a_class_the_model_knows():
    from core.networks import build_model
    from train.start import StartError, with_classes

    with pytest.raises(StartError, match="knows B, which the run would drop"):
        with_classes(build_model("compact", 32, 2), ["A", "B"], ["A", "C"])


def test_init_from_explains_what_it_needs(tmp_path, capsys):
    from train.__main__ import main as train_main

    def main(args):  # outputs under tmp_path: the checkout's own models/ may hold a run in progress
        return train_main(args + ["--out", str(tmp_path / "models")])

    assert main(["--init-from", str(tmp_path), "--data", str(tmp_path)]) == 2
    assert "no model there; give a trained model folder (models/NAME/" in capsys.readouterr().err
    (tmp_path / "model.h5").write_bytes(b"")
    assert main(["--init-from", str(tmp_path), "--data", str(tmp_path)]) == 2
    assert "model.h5 has no training.json beside it" in capsys.readouterr().err


def test_fine_tuning_trains_one_model():
    from train.config import TrainConfig

    with pytest.raises(ValueError, match="--init-from fine-tunes one model"):
        TrainConfig(init_from="models/x", members=3)
