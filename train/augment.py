"""Training-time augmentation on batches of 0..255 RGB images.

A cell looks the same rotated or mirrored, and stains vary between smears, so the model
sees random right-angle turns, flips and mild colour changes.
"""
import tensorflow as tf


def augment_batch(images: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor):
    seeds = tf.random.experimental.stateless_split(seed, num=5)
    images = tf.image.stateless_random_flip_left_right(images, seeds[0])
    turns = tf.random.stateless_uniform([], seeds[1], 0, 4, dtype=tf.int32)
    images = tf.image.rot90(images, turns)
    images = tf.image.stateless_random_brightness(images / 255.0, 0.08, seeds[2])
    images = tf.image.stateless_random_contrast(images, 0.85, 1.15, seeds[3])
    images = tf.image.stateless_random_saturation(tf.clip_by_value(images, 0, 1), 0.85, 1.15, seeds[4])
    return tf.clip_by_value(images, 0, 1) * 255.0, labels


def training_batches(images, labels, batch_size: int, seed: int) -> tf.data.Dataset:
    batches = (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
    )
    seeds = tf.data.Dataset.random(seed=seed).batch(2)
    return (
        tf.data.Dataset.zip((batches, seeds))
        .map(lambda batch, pair: augment_batch(*batch, pair), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
