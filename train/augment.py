"""Training-time augmentation on batches of training crops (uint8, widened around the cell).

A cell looks the same turned or mirrored, so every level turns and flips. Every level also zooms
(up to SCALE_JITTER either way) and shifts the square a little inside the widened crop: another
microscope's magnification, or the cell finder sizing a cell a little differently, must not matter.
What separates labs most is stain and camera, so the levels differ in colour:
- "basic": mild brightness, contrast and saturation;
- "stain": hue, saturation, contrast, brightness and per-channel gain as far as smears of one lab differ;
- "lab": as other labs differ: the stain's own colours varied in haematoxylin-eosin space, white
  balance, hue, saturation, gamma, blur (focus), JPEG quality and sensor noise;
- "lab_camera": "lab", with over-exposure (then corrected as the page corrects a photo) and focus
  varied further: a camera set too bright, or a slide slightly out of focus;
- "strong": the same, further, with lower resolution too (STRENGTH);
- "any_stain": "strong", with each stain's own colour turned as well: another stain (a rapid stain
  whose nuclei come out maroon, say) is not the same dyes in other amounts but other dyes;
- "any_hue": "lab", with each image's hues turned by any angle and its saturation anywhere from grey
  to vivid: the network must tell cells apart by shape, texture and how dark and how differently
  coloured their parts are, not by which hue a lab's stain gives them.
Every random draw comes from a per-batch seed fixed by (seed, epoch, batch), so a resumed run sees
exactly what the original would have.
"""
import numpy as np
import tensorflow as tf

from core.colour import default_colour_spec
from train.restain import restain

LEVELS = ("basic", "stain", "lab", "lab_camera", "strong", "any_stain", "any_hue")
SCALE_JITTER = 1.25     # the square zooms between 1/1.25 and 1.25 of its size
SHIFT_JITTER = 0.06     # and moves by up to this share of its side
SEEDS = 16

# Ruifrok & Johnston's stain vectors (haematoxylin, eosin, residual), rows in optical density.
HED_FROM_RGB = np.linalg.inv(np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]]))
RGB_FROM_HED = np.linalg.inv(HED_FROM_RGB)


def uniform(seed, count, low, high, channels=1):
    return tf.random.stateless_uniform([count, 1, 1, channels], seed, low, high)


def zoom_and_shift(crops, seed, size: int, context: float):
    """Each crop's square (the middle 1/context of the crop) zoomed and shifted at random, resized to size."""
    count = tf.shape(crops)[0]
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    zoom = tf.exp(tf.random.stateless_uniform([count], seeds[0], -np.log(SCALE_JITTER), np.log(SCALE_JITTER)))
    shift = tf.random.stateless_uniform([count, 2], seeds[1], -SHIFT_JITTER, SHIFT_JITTER)
    side = zoom / context                                  # the square's side, as a share of the crop
    centre = 0.5 + shift * side[:, None]
    extent = tf.cast(tf.shape(crops)[1], tf.float32)
    # crop_and_resize samples at y1*(H-1) ... y2*(H-1): pixel centres of a square of `side`.
    half = side / 2 - side / (2 * size)
    low, high = centre - half[:, None], centre + half[:, None]
    to_index = extent / (extent - 1)
    boxes = tf.stack([low[:, 0], low[:, 1], high[:, 0], high[:, 1]], axis=1) * to_index - 0.5 / (extent - 1)
    return tf.image.crop_and_resize(tf.cast(crops, tf.float32), boxes, tf.range(count), [size, size])


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
    return images * uniform(seeds[6], tf.shape(images)[0], 0.9, 1.1, 3)


# How far "lab" and "strong" vary stain and camera. "strong" also lowers the resolution (a softer
# objective or camera) and blurs more: blood-cells' photos are softer than pbc's by that much.
STRENGTH = {
    "lab": {"stain_scale": 0.2, "stain_shift": 0.05, "hue": 0.06, "saturation": (0.6, 1.4), "contrast": (0.7, 1.3),
            "brightness": 0.1, "blur_power": 2.0, "white_balance": 0.15, "gamma": 0.3, "noise": 0.03,
            "low_resolution": 1.0, "jpeg": (40, 96)},
    "strong": {"stain_scale": 0.3, "stain_shift": 0.08, "hue": 0.1, "saturation": (0.5, 1.5), "contrast": (0.6, 1.4),
               "brightness": 0.15, "blur_power": 1.0, "white_balance": 0.25, "gamma": 0.4, "noise": 0.04,
               "low_resolution": 2.5, "jpeg": (30, 96)},
}
# "any_stain": how far each stain's optical-density direction may turn (the spread of a normal draw
# added to each unit stain vector). 0.25 reaches the maroon nuclei and tan cytoplasm of tecom's rapid
# stain from Ruifrok's haematoxylin and eosin, but cost more in-lab accuracy than 0.12 and helped tecom
# less (docs/experiments.md, 2026-12-04): neither is the shipped recipe.
STRENGTH["any_stain"] = {**STRENGTH["strong"], "stain_turn": 0.12}
# "lab_camera": half the images over-exposed by a gain up to 1.4 (clipped, then their white point corrected
# again), and focus spread evenly rather than mostly sharp.
STRENGTH["lab_camera"] = {**STRENGTH["lab"], "blur_power": 1.0, "exposure": 1.4}
# The canonical background every photo's white point is mapped to, 0..1.
CANONICAL_BACKGROUND = np.array(default_colour_spec()["target_background"], np.float32) / 255
# "any_hue": a turn of the hue circle drawn per image (a share of the full circle either way), then a
# saturation factor; the luminance (YIQ's Y) is left as it was.
STRENGTH["any_hue"] = {**STRENGTH["lab"], "hue_turn": 0.5, "hue_saturation": (0.0, 1.3)}

RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], np.float32)


def turn_hues(images, seed, turn: float, saturation: tuple):
    """Each image's chroma (YIQ's I and Q) turned by its own angle and scaled by its own factor."""
    count = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    angle = tf.random.stateless_uniform([count], seeds[0], -turn, turn) * 2 * np.pi
    scale = tf.random.stateless_uniform([count], seeds[1], *saturation)
    cos, sin, zero, one = scale * tf.cos(angle), scale * tf.sin(angle), tf.zeros([count]), tf.ones([count])
    chroma = tf.reshape(tf.stack([one, zero, zero, zero, cos, -sin, zero, sin, cos], axis=1), [count, 3, 3])
    to_rgb = tf.constant(np.linalg.inv(RGB_TO_YIQ), tf.float32)
    matrices = tf.einsum("ij,njk,kl->nil", to_rgb, chroma, tf.constant(RGB_TO_YIQ))
    return tf.einsum("nij,nhwj->nhwi", matrices, images)


def stain_space_jitter(images, seeds, strength: dict):
    """Scale and shift each image's haematoxylin, eosin and residual densities (Tellez et al. 2018)."""
    count = tf.shape(images)[0]
    density = -tf.math.log(tf.clip_by_value(images, 1e-3, 1.0))
    stains = tf.einsum("nhwc,cd->nhwd", density, tf.constant(HED_FROM_RGB, tf.float32))
    scale, shift = strength["stain_scale"], strength["stain_shift"]
    stains = stains * uniform(seeds[7], count, 1 - scale, 1 + scale, 3) + uniform(seeds[8], count, -shift, shift, 3)
    density = tf.einsum("nhwd,ndc->nhwc", stains, stain_vectors(count, seeds[1] + [3, 3], strength.get("stain_turn", 0)))
    return tf.exp(-tf.maximum(density, 0.0))


def stain_vectors(count, seed, turn: float):
    """count x 3 x 3: each image's stain vectors (rows, optical density), Ruifrok's turned by up to `turn`."""
    vectors = tf.tile(tf.constant(RGB_FROM_HED, tf.float32)[None], [count, 1, 1])
    if turn <= 0:
        return vectors
    lengths = tf.norm(vectors, axis=2, keepdims=True)
    turned = vectors / lengths + tf.random.stateless_normal([count, 3, 3], seed, stddev=turn)
    # A dye absorbs; it never adds light: the turned directions keep non-negative densities.
    turned = tf.maximum(turned, 0.02)
    return turned / tf.norm(turned, axis=2, keepdims=True) * lengths


def lower_resolution(images, seed, most: float):
    """Half the batch seen through a camera or objective that resolves up to `most` times less."""
    if most <= 1.0:
        return images
    size = tf.shape(images)[1]
    factor = tf.random.stateless_uniform([], seed, 1.0, most)
    small = tf.cast(tf.cast(size, tf.float32) / factor, tf.int32)
    soft = tf.image.resize(tf.image.resize(images, [small, small], "area"), [size, size], "bilinear")
    chosen = tf.cast(tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed + [0, 1]) < 0.5, tf.float32)
    return chosen * soft + (1 - chosen) * images


def camera(images, seeds, strength: dict):
    """Focus, resolution, white balance, gamma, sensor noise: what another microscope's camera changes."""
    count = tf.shape(images)[0]
    blurred = tf.nn.depthwise_conv2d(images, GAUSSIAN, [1, 1, 1, 1], "SAME")
    images = images + uniform(seeds[9], count, 0.0, 1.0) ** strength["blur_power"] * (blurred - images)
    images = lower_resolution(images, seeds[1] + [7, 7], strength["low_resolution"])
    if "exposure" in strength:
        images = over_exposed(images, seeds[1] + [9, 9], strength["exposure"])
    balance = strength["white_balance"]
    images = images * uniform(seeds[10], count, 1 - balance, 1 + balance, 3)
    gamma = strength["gamma"]
    images = tf.clip_by_value(images, 1e-4, 1.0) ** tf.exp(uniform(seeds[11], count, -gamma, gamma))
    noise = tf.random.stateless_normal(tf.shape(images), seeds[12]) * uniform(seeds[13], count, 0.0, strength["noise"])
    return images + noise


def over_exposed(images, seed, most: float):
    """Half the (colour-corrected) images as a photo over-exposed by a gain up to `most` looks once the page has
    corrected its white point again: light clipped at white, then the clipped background mapped back to the
    canonical one, so everything not clipped comes out lighter."""
    count = tf.shape(images)[0]
    gain = tf.random.stateless_uniform([count, 1, 1, 1], seed, 1.0, most)
    background = tf.constant(CANONICAL_BACKGROUND)
    corrected = tf.minimum(images * gain, 1.0) * background / tf.minimum(background * gain, 1.0)
    chosen = tf.cast(tf.random.stateless_uniform([count, 1, 1, 1], seed + [0, 1]) < 0.5, tf.float32)
    return chosen * corrected + (1 - chosen) * images


def gaussian_kernel(sigma: float = 1.2, radius: int = 3) -> np.ndarray:
    taps = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * sigma**2))
    kernel = np.outer(taps, taps) / np.outer(taps, taps).sum()
    return np.repeat(kernel[:, :, None, None], 3, axis=2).astype(np.float32)


# A numpy array, not a tensor: importing this module must run no TensorFlow operation, since a
# multi-worker strategy (train/distribute.py) can only configure a runtime that has run none.
GAUSSIAN = gaussian_kernel()


def jpeg_quality(images, seed, qualities_range: tuple):
    """Half the images saved as JPEG (quality in qualities_range) and read back: labs keep photos as JPEG."""
    count = tf.shape(images)[0]
    qualities = tf.random.stateless_uniform([count], seed, *qualities_range, dtype=tf.int32)
    chosen = tf.random.stateless_uniform([count], seed + [0, 1]) < 0.5

    def one(item):
        image, quality, use = item
        return tf.cond(use, lambda: tf.image.adjust_jpeg_quality(image, quality), lambda: image)

    return tf.map_fn(one, (tf.clip_by_value(images, 0, 1), qualities, chosen), fn_output_signature=tf.float32)


def other_lab_colour(images, seeds, level: str):
    strength = STRENGTH[level]
    images = stain_space_jitter(images, seeds, strength)
    if "hue_turn" in strength:
        images = turn_hues(images, seeds[1] + [11, 11], strength["hue_turn"], strength["hue_saturation"])
    images = tf.image.stateless_random_hue(tf.clip_by_value(images, 0, 1), strength["hue"], seeds[2])
    images = tf.image.stateless_random_saturation(images, *strength["saturation"], seeds[3])
    images = tf.image.stateless_random_contrast(images, *strength["contrast"], seeds[4])
    images = tf.image.stateless_random_brightness(tf.clip_by_value(images, 0, 1), strength["brightness"], seeds[5])
    images = camera(tf.clip_by_value(images, 0, 1), seeds, strength)
    return jpeg_quality(images, seeds[14], strength["jpeg"])


COLOUR = {"basic": basic_colour, "stain": stain_colour,
          **{level: (lambda images, seeds, level=level: other_lab_colour(images, seeds, level)) for level in STRENGTH}}


def augment_batch(crops, seed, level: str, size: int, context: float, looks=None, restain_share: float = 0.0):
    """Training crops (uint8, widened `context` times) -> augmented model inputs (float32, 0..255). With
    `looks` (train/restain.py), restain_share of them first take on the colours of a cell of another lab."""
    seeds = tf.random.experimental.stateless_split(seed, num=SEEDS)
    images = zoom_and_shift(crops, seeds[15], size, context)
    images = turn_and_flip(images, seeds) / 255.0
    if looks is not None and restain_share > 0:
        images = restain(images, seeds[1] + [13, 13], looks, restain_share)
    return tf.clip_by_value(COLOUR[level](images, seeds), 0, 1) * 255.0


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


# A batch's seed pair is (seed, epoch x EPOCH_STRIDE + its number in the epoch).
EPOCH_STRIDE = 1_000_000


def epoch_batches(images, labels, weights, batch_size: int, seed: int, first_epoch: int, epochs: int):
    """Batches drawn with replacement in proportion to `weights` (so every class and source counts as the
    weights say), in an order fixed by (seed, epoch): a resumed run sees what the original would have."""
    steps = steps_per_epoch(len(images), batch_size)
    probabilities = weights / weights.sum()
    for epoch in range(first_epoch, epochs):
        drawn = np.random.default_rng([seed, epoch]).choice(len(images), steps * batch_size, p=probabilities)
        for number in range(steps):
            chosen = np.sort(drawn[number * batch_size:(number + 1) * batch_size])
            yield images[chosen], labels[chosen], np.array([seed, epoch * EPOCH_STRIDE + number], dtype=np.int64)


def steps_per_epoch(count: int, batch_size: int) -> int:
    return max(1, -(-count // batch_size))


def training_batches(images, labels, weights, config, first_epoch: int, num_classes: int,
                     context: float, looks=None) -> tf.data.Dataset:
    """Augmented (and with config.mixup, mixed) batches of one-hot targets for config's remaining epochs."""
    batches = tf.data.Dataset.from_generator(
        lambda: epoch_batches(images, labels, weights, config.batch_size, config.seed, first_epoch, config.epochs),
        output_signature=batch_signature(images))
    return batches.map(augmenter(config, num_classes, context, looks), num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE)


def replica_batches(images, labels, weights, config, first_epoch: int, num_classes: int, context: float,
                    replicas: range, count: int, looks=None) -> tf.data.Dataset:
    """training_batches' batches as the replicas `replicas` (of `count` in all) share them: per batch, one share
    for each of these replicas in turn (the order a worker's replicas take their inputs in). Shares of one batch
    are drawn together, so together they are the very images training_batches would give; each replica
    augments its own with the batch's seed folded with its number (with one replica, the batch's seed as it is)."""
    batches = tf.data.Dataset.from_generator(
        lambda: batch_shares(epoch_batches(images, labels, weights, config.batch_size, config.seed, first_epoch,
                                           config.epochs), replicas, count),
        output_signature=(*batch_signature(images), tf.TensorSpec([], tf.int64)))
    augment = augmenter(config, num_classes, context, looks)

    def augment_share(share, share_labels, pair, replica):
        return augment(share, share_labels, tf.random.experimental.stateless_fold_in(pair, replica)
                       if count > 1 else pair)

    return batches.map(augment_share, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def batch_shares(batches, replicas: range, count: int):
    """Every count-th image of each batch from the replica's number on: shares as even as the batch allows."""
    for batch, batch_labels, pair in batches:
        for replica in replicas:
            yield batch[replica::count], batch_labels[replica::count], pair, np.int64(replica)


def batch_signature(images) -> tuple:
    """What epoch_batches yields: crops, labels, and the batch's seed pair."""
    return (tf.TensorSpec([None, *images.shape[1:]], images.dtype), tf.TensorSpec([None], tf.int64),
            tf.TensorSpec([2], tf.int64))


def augmenter(config, num_classes: int, context: float, looks=None):
    """The function that turns a batch (crops, labels, seed pair) into model inputs and targets."""
    if config.augment not in LEVELS:
        raise ValueError(f"unknown augmentation {config.augment!r}; choose from {', '.join(LEVELS)}")

    def augment(batch, batch_labels, pair):
        batch = augment_batch(batch, pair, config.augment, config.input_size, context, looks, config.restain)
        targets = tf.one_hot(batch_labels, num_classes)
        # Its own seed pair: mixing must not repeat the colour changes' random draws.
        return mix_batch(batch, targets, pair + [0, 500_000], config.mixup) if config.mixup > 0 else (batch, targets)

    return augment
