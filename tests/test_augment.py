"""Training-time augmentation: mixup blends images and targets alike, and repeats exactly for a seed."""
import numpy as np
import tensorflow as tf

from train.augment import mix_batch, training_batches
from train.config import TrainConfig


def numbered_batch(count=16, side=4):
    """Image k is flat grey k, its target is one-hot k: a mixed pixel then tells the blend."""
    images = np.repeat(np.arange(count, dtype=np.float32), side * side * 3).reshape(count, side, side, 3)
    return tf.constant(images), tf.eye(count)


def test_mixup_blends_each_image_and_its_target_by_the_same_share():
    images, targets = numbered_batch()
    mixed, soft = mix_batch(images, targets, tf.constant([3, 7], tf.int64), 0.4)
    mixed, soft = mixed.numpy(), soft.numpy()
    np.testing.assert_allclose(mixed[:, 0, 0, 0], soft @ np.arange(16), atol=1e-4)
    np.testing.assert_allclose(soft.sum(axis=1), 1, atol=1e-6)
    assert (np.diag(soft) >= 0.5 - 1e-6).all()  # each image stays mostly itself
    assert (np.diag(soft) < 0.999).sum() >= 4  # and some really are blended


def test_mixup_repeats_exactly_for_the_same_seed():
    images, targets = numbered_batch()
    first = mix_batch(images, targets, tf.constant([1, 2], tf.int64), 0.4)[1].numpy()
    again = mix_batch(images, targets, tf.constant([1, 2], tf.int64), 0.4)[1].numpy()
    other = mix_batch(images, targets, tf.constant([1, 3], tf.int64), 0.4)[1].numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_training_targets_are_one_hot_without_mixup_and_soft_with_it():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (32, 8, 8, 3)).astype(np.float32)
    labels = rng.integers(0, 3, 32)

    def first_targets(mixup):
        config = TrainConfig(batch_size=16, seed=42, augment="stain", epochs=1, mixup=mixup)
        batches = training_batches(images, labels, config, 0, 3)
        return next(iter(batches))[1].numpy()

    assert set(np.unique(first_targets(0.0))) == {0.0, 1.0}
    soft = first_targets(0.4)
    assert ((soft > 0) & (soft < 1)).any()
    np.testing.assert_allclose(soft.sum(axis=1), 1, atol=1e-6)
