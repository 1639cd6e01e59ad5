"""Training-time augmentation on batches of 0..255 RGB images.

A cell looks the same rotated or mirrored, so the model sees random right-angle turns and flips.
What separates smears is mostly staining and lighting, so the "stain" level also shifts hue,
saturation, contrast and each channel's gain by as much as smears were seen to differ; the
"basic" level keeps only mild brightness, contrast and saturation changes.
"""
import numpy as np
import tensorflow as tf

LEVELS = ("basic", "stain")


def turn_and_flip(images, seeds):
    images = tf.image.stateless_random_flip_left_right(images, seeds[0])
    turns = tf.random.stateless_uniform([], seeds[1], 0, 4, dtype=tf.int32)
    return tf.image.rot90(images, turns)


def basic_colour(images, seeds):
    images = tf.image.stateless_random_brightness(images, 0.08, seeds[2])
    images = tf.image.stateless_random_contrast(images, 0.85, 1.15, seeds[3])
    return tf.image.stateless_random_saturation(tf.clip_by_value(images, 0, 1), 0.85, 1.15, seeds[4])


def stain_colour(images, seeds):
    images = tf.image.stateless_random_hue(images, 0.04, seeds[2])
    images = tf.image.stateless_random_saturation(images, 0.7, 1.3, seeds[3])
    images = tf.image.stateless_random_contrast(images, 0.75, 1.25, seeds[4])
    images = tf.image.stateless_random_brightness(tf.clip_by_value(images, 0, 1), 0.1, seeds[5])
    # Per-image, per-channel gain: one smear stains bluer or pinker than another.
    gains = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 3], seeds[6], 0.9, 1.1)
    return images * gains


def augment_batch(images, labels, seed, level="stain"):
    seeds = tf.random.experimental.stateless_split(seed, num=7)
    images = turn_and_flip(images, seeds) / 255.0
    images = stain_colour(images, seeds) if level == "stain" else basic_colour(images, seeds)
    return tf.clip_by_value(images, 0, 1) * 255.0, labels


def mix_batch(images, targets, seed, alpha: float):
    """Mixup: blend each image and its target with another of the batch, by a Beta(alpha, alpha) share
    (the image's own share kept above a half), so the network cannot lean on any one smear's details."""
    seeds = tf.random.experimental.stateless_split(seed, num=3)
    count = tf.shape(images)[0]
    first = tf.random.stateless_gamma([count], seeds[0], alpha)
    second = tf.random.stateless_gamma([count], seeds[1], alpha)
    share = first / (first + second)
    share = tf.maximum(share, 1.0 - share)
    partner = tf.random.experimental.stateless_shuffle(tf.range(count), seeds[2])
    mixed_images = share[:, None, None, None] * images + (1.0 - share[:, None, None, None]) * tf.gather(images, partner)
    mixed_targets = share[:, None] * targets + (1.0 - share[:, None]) * tf.gather(targets, partner)
    return mixed_images, mixed_targets


def epoch_batches(images, labels, batch_size: int, seed: int, first_epoch: int, epochs: int):
    """Batches in an order fixed by (seed, epoch), so a resumed run sees what the original would have."""
    for epoch in range(first_epoch, epochs):
        order = np.random.default_rng([seed, epoch]).permutation(len(images))
        for number, start in enumerate(range(0, len(order), batch_size)):
            chosen = order[start:start + batch_size]
            yield images[chosen], labels[chosen], np.array([seed, epoch * 1_000_000 + number], dtype=np.int64)


def training_batches(images, labels, config, first_epoch: int, num_classes: int) -> tf.data.Dataset:
    """Augmented (and with config.mixup, mixed) batches of one-hot targets for config's remaining epochs."""
    batch_size, seed, level, epochs, mixup = config.batch_size, config.seed, config.augment, config.epochs, config.mixup
    if level not in LEVELS:
        raise ValueError(f"unknown augmentation {level!r}; choose from {', '.join(LEVELS)}")
    batches = tf.data.Dataset.from_generator(
        lambda: epoch_batches(images, labels, batch_size, seed, first_epoch, epochs),
        output_signature=(tf.TensorSpec([None, *images.shape[1:]], tf.float32),
                          tf.TensorSpec([None], tf.int64), tf.TensorSpec([2], tf.int64)))

    def augment(batch, batch_labels, pair):
        batch, targets = augment_batch(batch, tf.one_hot(batch_labels, num_classes), pair, level)
        # Its own seed pair: mixing must not repeat the colour changes' random draws.
        return mix_batch(batch, targets, pair + [0, 500_000], mixup) if mixup > 0 else (batch, targets)

    return batches.map(augment, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
