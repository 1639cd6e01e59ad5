"""Another lab's colours on a training cell: the crop's CIELAB mean and spread replaced by those of a real cell
of another lab (Reinhard et al. 2001's colour transfer, drawn at random per image as in RandStainNA, Shen et
al. 2022). Unlike jittering the stain by made-up amounts, the colours come from photos of labs the network
has no labels for (the unlabelled fields), so it learns every look those labs have.
"""
import numpy as np
import tensorflow as tf

# sRGB (D65) to CIE XYZ, and the D65 white.
RGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], np.float32)
WHITE = np.array([0.95047, 1.0, 1.08883], np.float32)
EPSILON = (6 / 29) ** 3


def to_lab(rgb):
    """... x 3 sRGB in 0..1 -> CIELAB (L 0..100)."""
    rgb = tf.clip_by_value(rgb, 0.0, 1.0)
    linear = tf.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = tf.tensordot(linear, tf.constant(RGB_TO_XYZ.T), 1) / WHITE
    f = tf.where(xyz > EPSILON, tf.maximum(xyz, EPSILON) ** (1 / 3), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return tf.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def from_lab(lab):
    fy = (lab[..., 0] + 16) / 116
    f = tf.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    xyz = tf.where(f > 6 / 29, f ** 3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * WHITE
    linear = tf.clip_by_value(tf.tensordot(xyz, tf.constant(np.linalg.inv(RGB_TO_XYZ).T), 1), 0.0, 1.0)
    return tf.where(linear <= 0.0031308, linear * 12.92, 1.055 * tf.maximum(linear, 0.0031308) ** (1 / 2.4) - 0.055)


def appearances(images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """N x 2 x 3: each image's (0..255 RGB) CIELAB mean and spread."""
    found = []
    for first in range(0, len(images), batch_size):
        lab = to_lab(tf.constant(np.asarray(images[first:first + batch_size], np.float32) / 255.0))
        mean, variance = tf.nn.moments(lab, axes=[1, 2])
        found.append(np.stack([mean.numpy(), np.sqrt(variance.numpy())], axis=1))
    return np.concatenate(found).astype(np.float32)


def restain(images, seed, looks, share: float):
    """`share` of the images (0..1 RGB) given the CIELAB mean and spread of a cell drawn from `looks` (M x 2 x 3)."""
    count = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    drawn = tf.gather(looks, tf.random.stateless_uniform([count], seeds[0], 0, tf.shape(looks)[0], tf.int32))
    lab = to_lab(images)
    mean, variance = tf.nn.moments(lab, axes=[1, 2], keepdims=True)
    target_mean, target_spread = drawn[:, None, None, 0, :], drawn[:, None, None, 1, :]
    moved = from_lab((lab - mean) / tf.sqrt(variance + 1e-3) * target_spread + target_mean)
    chosen = tf.cast(tf.random.stateless_uniform([count, 1, 1, 1], seeds[1]) < share, tf.float32)
    return chosen * moved + (1 - chosen) * images
