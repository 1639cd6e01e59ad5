"""Every architecture builds, and TensorFlow.js computes what Keras computes for it."""
import numpy as np
import pytest

from convert.convert import run_converter
from convert.tfjs_check import tfjs_probabilities
from train.model import ARCHITECTURES, build_model


def test_unknown_architecture_names_the_choices():
    with pytest.raises(ValueError, match="compact"):
        build_model("resnet", 32, 4)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_architecture_runs_the_same_in_tensorflow_js(arch, tmp_path):
    model = build_model(arch, 32, 4)
    model.save(tmp_path / "model.h5")
    run_converter(tmp_path / "model.h5", tmp_path / "tfjs", None)
    inputs = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 3)).astype(np.float32)
    expected = model.predict(inputs, verbose=0)
    assert expected.shape == (3, 4)
    np.testing.assert_allclose(tfjs_probabilities(tmp_path / "tfjs", inputs), expected, atol=1e-5)


@pytest.mark.parametrize("argv, expected", [
    ([], 1e-3),
    (["--arch", "tutorial"], 3e-4),
    (["--arch", "tutorial", "--learning-rate", "0.01"], 0.01),
])
def test_learning_rate_defaults_to_the_architectures_own(argv, expected):
    from train.__main__ import parse_args

    assert parse_args(argv).learning_rate == expected
