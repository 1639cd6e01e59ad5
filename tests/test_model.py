"""Every architecture builds, and TensorFlow.js computes what Keras computes for it."""
import numpy as np
import pytest

from core.networks import ARCHITECTURES, build_model
from core.tfjs import run_converter, tfjs_probabilities


def convert_and_compare(model, folder):
    model.save(folder / "model.h5")
    run_converter(folder / "model.h5", folder / "tfjs", None)
    inputs = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 3)).astype(np.float32)
    expected = model.predict(inputs, verbose=0)
    assert expected.shape == (3, 4)
    np.testing.assert_allclose(tfjs_probabilities(folder / "tfjs", inputs), expected, atol=1e-5)


def test_unknown_architecture_names_the_choices():
    with pytest.raises(ValueError, match="compact"):
        build_model("resnet", 32, 4)


@pytest.mark.integration
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_architecture_runs_the_same_in_tensorflow_js(arch, tmp_path):
    convert_and_compare(build_model(arch, 32, 4), tmp_path)


@pytest.mark.integration
def test_stain_normalisation_runs_the_same_in_tensorflow_js(tmp_path):
    convert_and_compare(build_model("compact", 32, 4, normalise="per_image"), tmp_path)


def test_stain_normalisation_ignores_stain_strength_and_colour_cast():
    import tf_keras as keras

    model = build_model("compact", 32, 4, normalise="per_image")
    normalised = keras.Model(model.input, model.get_layer("stain_normalise").output)
    image = np.random.default_rng(1).uniform(40, 220, (1, 32, 32, 3)).astype(np.float32)
    # Another smear: fainter stain, a blue cast from the lamp.
    restained = image * np.array([0.7, 0.8, 0.9], np.float32) + np.array([10, 20, 45], np.float32)
    # The layer's epsilon (which keeps a blank, featureless crop from turning noise into contrast)
    # leaves a difference of a few hundredths; the colours themselves moved by up to 0.2.
    difference = np.abs(normalised.predict(restained, verbose=0) - normalised.predict(image, verbose=0)).max()
    assert difference < 0.05 < np.abs(restained - image).max() / 255
    per_channel = normalised.predict(image, verbose=0)[0]
    np.testing.assert_allclose(per_channel.mean(axis=(0, 1)), 0, atol=1e-4)
    np.testing.assert_allclose(per_channel.std(axis=(0, 1)), 1, atol=0.03)


def test_unknown_normalisation_names_the_choices():
    with pytest.raises(ValueError, match="per_image"):
        build_model("compact", 32, 4, normalise="histogram")


@pytest.mark.parametrize("argv, expected", [
    ([], 1e-3),
    (["--arch", "tutorial"], 3e-4),
    (["--arch", "tutorial", "--learning-rate", "0.01"], 0.01),
])
def test_learning_rate_defaults_to_the_architectures_own(argv, expected):
    from train.config import parse_config

    assert parse_config(argv).learning_rate == expected
