"""convert folds BatchNormalization into the convolutions: fewer layers, the same probabilities."""
import numpy as np
import pytest
import tf_keras as keras
from tf_keras import layers

from core.fold import fold_batch_norm
from core.networks import ARCHITECTURES, build_model


def with_random_statistics(model, seed=0):
    """Trained-looking BatchNormalization: statistics and scales far from their initial 0 and 1."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 2, gamma.shape), rng.normal(0, 0.5, beta.shape),
                               rng.normal(0, 0.5, mean.shape), rng.uniform(0.2, 3, variance.shape)])
    return model


@pytest.mark.parametrize("arch", [name for name in ARCHITECTURES if name != "tutorial"])
def test_folding_keeps_the_probabilities_and_removes_every_batch_norm(arch):
    model = with_random_statistics(build_model(arch, 32, 5))
    folded = fold_batch_norm(model)
    assert not any(isinstance(layer, layers.BatchNormalization) for layer in folded.layers)
    assert len(folded.layers) < len(model.layers)
    inputs = np.random.default_rng(1).uniform(0, 255, (6, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(folded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), atol=2e-6)


def test_a_batch_norm_whose_input_is_used_elsewhere_is_left_alone():
    inputs = keras.Input((8, 8, 3))
    conv = layers.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    both = layers.Concatenate()([layers.BatchNormalization()(conv), conv])  # the conv's output is needed raw
    model = with_random_statistics(keras.Model(inputs, layers.Flatten()(both)))
    folded = fold_batch_norm(model)
    assert sum(isinstance(layer, layers.BatchNormalization) for layer in folded.layers) == 1
    x = np.random.default_rng(2).normal(size=(2, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(folded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
