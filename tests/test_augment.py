"""Training-time augmentation: zoom and shift around the cell, colour levels, balanced batches, mixup;
all repeat exactly for a seed."""
import numpy as np
import pytest
import tensorflow as tf

from train import augment
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
    images = rng.integers(0, 256, (32, 11, 11, 3)).astype(np.uint8)
    labels = rng.integers(0, 3, 32)

    def first_targets(mixup):
        config = TrainConfig(batch_size=16, seed=42, augment="stain", epochs=1, mixup=mixup, input_size=8)
        batches = training_batches(images, labels, np.ones(32), config, 0, 3, context=1.4)
        return next(iter(batches))[1].numpy()

    assert set(np.unique(first_targets(0.0))) == {0.0, 1.0}
    soft = first_targets(0.4)
    assert ((soft > 0) & (soft < 1)).any()
    np.testing.assert_allclose(soft.sum(axis=1), 1, atol=1e-6)


def test_at_zoom_one_and_no_shift_the_square_is_exactly_the_middle_of_the_crop():
    crops = np.random.default_rng(1).integers(0, 256, (3, 112, 112, 3)).astype(np.uint8)
    boxes_seed = tf.constant([5, 6], tf.int64)
    original = (augment.SCALE_JITTER, augment.SHIFT_JITTER)
    try:
        augment.SCALE_JITTER, augment.SHIFT_JITTER = 1.0, 0.0
        square = augment.zoom_and_shift(tf.constant(crops), boxes_seed, 80, 1.4).numpy()
    finally:
        augment.SCALE_JITTER, augment.SHIFT_JITTER = original
    np.testing.assert_allclose(square, crops[:, 16:96, 16:96].astype(np.float32), atol=0.01)  # float32 sampling


def test_zoom_stays_within_the_jitter_and_keeps_the_cell_in_the_middle():
    # A centred disc whose apparent size tells the zoom applied.
    yy, xx = np.mgrid[:112, :112]
    disc = (((yy - 55.5) ** 2 + (xx - 55.5) ** 2) < 20 ** 2).astype(np.uint8) * 255
    crops = np.repeat(np.repeat(disc[None, :, :, None], 3, axis=3), 64, axis=0)
    squares = augment.zoom_and_shift(tf.constant(crops), tf.constant([1, 2], tf.int64), 80, 1.4).numpy()[..., 0]
    areas = (squares > 127).sum(axis=(1, 2))
    assert areas.min() >= np.pi * (20 / augment.SCALE_JITTER) ** 2 * 0.9
    assert areas.max() <= np.pi * (20 * augment.SCALE_JITTER) ** 2 * 1.1
    assert areas.max() / areas.min() > 1.5  # it really zooms
    centres = [np.argwhere(square > 127).mean(axis=0) for square in squares]
    assert np.abs(np.array(centres) - 39.5).max() < 80 * augment.SHIFT_JITTER * augment.SCALE_JITTER + 1


@pytest.mark.parametrize("level", augment.LEVELS)
def test_every_colour_level_gives_model_inputs_in_range_and_repeats_for_a_seed(level):
    crops = tf.constant(np.random.default_rng(2).integers(0, 256, (8, 28, 28, 3)).astype(np.uint8))
    first = augment.augment_batch(crops, tf.constant([3, 4], tf.int64), level, 20, 1.4).numpy()
    again = augment.augment_batch(crops, tf.constant([3, 4], tf.int64), level, 20, 1.4).numpy()
    assert first.shape == (8, 20, 20, 3) and first.dtype == np.float32
    assert first.min() >= 0 and first.max() <= 255
    np.testing.assert_array_equal(first, again)


def test_batches_are_drawn_in_proportion_to_the_weights():
    labels = np.array([0] * 90 + [1] * 10)
    weights = np.where(labels == 1, 9.0, 1.0)  # the small class weighs as much as the large one in all
    drawn = np.concatenate([batch[1] for batch in augment.epoch_batches(np.arange(100), labels, weights, 50, 7, 0, 20)])
    assert abs((drawn == 1).mean() - 0.5) < 0.05
    again = np.concatenate([batch[1] for batch in augment.epoch_batches(np.arange(100), labels, weights, 50, 7, 0, 20)])
    np.testing.assert_array_equal(drawn, again)


def test_turned_stains_recolour_the_stain_and_leave_the_light_white():
    vectors = augment.stain_vectors(64, tf.constant([5, 6], tf.int64), 0.25).numpy()
    ruifrok = augment.RGB_FROM_HED.astype(np.float32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=2), np.tile(np.linalg.norm(ruifrok, axis=1), (64, 1)),
                               rtol=1e-5)
    assert (vectors > 0).all()  # a dye only absorbs
    assert np.abs(vectors - ruifrok).max() > 0.1  # the colours really turn
    np.testing.assert_array_equal(augment.stain_vectors(4, tf.constant([5, 6], tf.int64), 0).numpy(),
                                  np.tile(ruifrok, (4, 1, 1)))
    # Glass (no dye) stays white whatever the dyes' colours; a stained pixel changes colour.
    images = tf.constant(np.array([[[[1.0, 1.0, 1.0], [0.45, 0.3, 0.6]]]] * 64, np.float32))
    strength = {"stain_scale": 0.0, "stain_shift": 0.0, "stain_turn": 0.25}
    turned = augment.stain_space_jitter(images, tf.random.experimental.stateless_split(tf.constant([1, 2], tf.int64), num=16),
                                        strength).numpy()
    np.testing.assert_allclose(turned[:, 0, 0], 1.0, atol=1e-3)
    assert turned[:, 0, 1].std(axis=0).max() > 0.03


def test_lab_colours_go_there_and_back():
    from train.restain import from_lab, to_lab

    colours = np.random.default_rng(0).uniform(0, 1, (5, 6, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(from_lab(to_lab(tf.constant(colours))).numpy(), colours, atol=1e-4)
    white = to_lab(tf.constant([[1.0, 1.0, 1.0]])).numpy()[0]
    np.testing.assert_allclose(white, [100, 0, 0], atol=0.05)


def test_a_restained_cell_takes_the_colours_of_the_cell_drawn_and_keeps_its_shapes():
    from train.restain import appearances, restain

    rng = np.random.default_rng(1)
    cell = np.full((1, 16, 16, 3), (200, 170, 190), np.float32)
    cell[0, 4:12, 4:12] = (90, 40, 140)                      # a purple nucleus on a pink field
    other_lab = np.full((1, 16, 16, 3), (225, 205, 150), np.float32)
    other_lab[0, 6:10, 6:10] = (150, 60, 70)                   # another stain: maroon on yellow
    other_lab += rng.normal(0, 4, other_lab.shape).astype(np.float32)
    looks = appearances(np.clip(other_lab, 0, 255))
    moved = restain(tf.constant(cell / 255), tf.constant([0, 1], tf.int64), tf.constant(looks), share=1.0).numpy()
    np.testing.assert_allclose(appearances(moved * 255)[0, 0], looks[0, 0], atol=2.5)   # the mean colour
    assert moved[0, 8, 8].sum() < moved[0, 0, 0].sum()         # the nucleus stays darker than the field
    kept = restain(tf.constant(cell / 255), tf.constant([0, 1], tf.int64), tf.constant(looks), share=0.0).numpy()
    np.testing.assert_array_equal(kept, cell / 255)


def test_an_over_exposed_cell_comes_out_lighter_with_its_background_where_the_page_puts_it():
    background = augment.CANONICAL_BACKGROUND
    cells = np.tile(background, (8, 8, 8, 1)).astype(np.float32)
    cells[:, 2:6, 2:6] = (0.35, 0.2, 0.5)                     # a nucleus
    exposed = augment.over_exposed(tf.constant(cells), tf.constant([4, 2], tf.int64), 1.4).numpy()
    changed = [k for k in range(8) if not np.allclose(exposed[k], cells[k])]
    assert 0 < len(changed) < 8                                # about half are over-exposed
    for k in changed:
        np.testing.assert_allclose(exposed[k, 0, 0], background, atol=1e-6)   # corrected back to the canonical
        assert (exposed[k, 3, 3] >= cells[k, 3, 3] - 1e-6).all() and (exposed[k, 3, 3] > cells[k, 3, 3]).any()
