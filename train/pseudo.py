"""Learning from other labs' unlabelled white cells: pseudo-labels with consistency, in the manner of
FixMatch (Sohn et al. 2020), with the answers aligned to a normal blood differential.

Every epoch (from `pseudo_start` of the run on) the network being trained classifies each unlabelled
cell's own page input, averaged over its quarter turns (the weak view). Its answers are aligned, over
each lab's cells, to the differential expected of boxed white cells in routine smears (a boxed white
cell is no erythroblast nor platelet, and most are neutrophils and lymphocytes), and a cell whose
aligned answer is confident enough becomes a training example of that class, seen through the run's
full augmentation (the strong view). Each training step adds `unlabelled_batch` such cells to the labelled batch; cells
not confident yet still pass through BatchNorm's statistics, which so learn the other labs too.
"""
import sys
import threading

import numpy as np
import tensorflow as tf
import tf_keras as keras

from train.augment import EPOCH_STRIDE, augment_batch, batch_signature, epoch_batches

# The differential expected of a boxed white cell in a routine peripheral smear (reference intervals:
# neutrophils 40-75%, lymphocytes 20-45%, monocytes 2-10%, eosinophils 1-6%, basophils 0-1%). A box
# around a white cell holds no platelet nor erythroblast, and immature granulocytes are rare: pseudo-labels
# never name those three (the labelled sources still teach them).
NORMAL_DIFFERENTIAL = {"NEUTROPHIL": 0.55, "LYMPHOCYTE": 0.30, "MONOCYTE": 0.07, "EOSINOPHIL": 0.04,
                       "BASOPHIL": 0.01, "IG": 0.0, "ERYTHROBLAST": 0.0, "PLATELET": 0.0}
# Answers are sharpened (raised to this power) before the classes are balanced, so that the balanced
# answers are nearly hard assignments whose counts follow the differential (Asano et al. 2020).
SHARPNESS = 4


def expected_differential(classes: list) -> np.ndarray:
    """Each class's expected share; a class the differential does not name gets none (and classes none of which
    it names share equally)."""
    prior = np.array([NORMAL_DIFFERENTIAL.get(name, 0.0) for name in classes], np.float64)
    return prior / prior.sum() if prior.sum() > 0 else np.full(len(classes), 1.0 / len(classes))


def aligned(probabilities: np.ndarray, prior: np.ndarray, rounds: int = 100) -> np.ndarray:
    """One lab's answers, sharpened, then reweighted per cell and per class until each cell's sum to one and the
    classes' totals follow the expected differential (Sinkhorn-Knopp; the equipartition of SeLa and SwAV with
    the differential in place of equal shares). A network that calls most of another lab's cells one class,
    by the lab's look rather than the cells', cannot teach itself that every cell there is that class."""
    named = prior > 0
    answers = np.maximum(probabilities[:, named], 1e-12) ** SHARPNESS
    answers = answers / answers.sum(axis=1, keepdims=True)
    for _ in range(rounds):
        answers = answers / answers.sum(axis=0, keepdims=True) * prior[None, named] * len(answers)
        answers = answers / answers.sum(axis=1, keepdims=True)
    balanced = np.zeros(probabilities.shape)
    balanced[:, named] = answers
    return balanced


def turned_mean(model, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The model's probabilities averaged over the four quarter turns of each input."""
    total = 0.0
    for turns in range(4):
        turned = np.rot90(np.asarray(inputs, np.float32), turns, axes=(1, 2))
        total = total + model.predict(turned, batch_size=batch_size, verbose=0)
    return total / 4


class PseudoLabels(keras.callbacks.Callback):
    """Each epoch's targets and weights of the unlabelled cells, refreshed from the network at its start."""

    def __init__(self, unlabelled: list, classes: list, config, epochs_total: int):
        super().__init__()
        self.inputs = np.concatenate([np.asarray(cells.inputs) for cells in unlabelled])
        self.labs = np.concatenate([np.full(len(cells.inputs), cells.lab) for cells in unlabelled])
        self.classes, self.prior = classes, expected_differential(classes)
        self.threshold, self.weight = config.pseudo_threshold, config.unlabelled_weight
        self.first_epoch = int(round(config.pseudo_start * epochs_total))
        self.targets = np.zeros((len(self.inputs), len(classes)), np.float32)
        self.weights = np.zeros(len(self.inputs), np.float32)
        self.history = []
        # The batches of an epoch are drawn ahead, on another thread: each epoch's wait for its own
        # pseudo-labels, so a run (and a resumed one) trains on exactly the same targets every time.
        self.refreshed, self.ready_epoch, self.stopped = threading.Condition(), -1, False

    def on_epoch_begin(self, epoch, logs=None):
        if epoch >= self.first_epoch:
            self.refresh(epoch)
        with self.refreshed:
            self.ready_epoch = epoch
            self.refreshed.notify_all()

    def on_train_end(self, logs=None):
        with self.refreshed:
            self.stopped = True
            self.refreshed.notify_all()

    def refresh(self, epoch: int) -> None:
        found = turned_mean(self.model, self.inputs)
        answers = np.zeros_like(found)
        for lab in np.unique(self.labs):
            answers[self.labs == lab] = aligned(found[self.labs == lab], self.prior)
        confident = answers.max(axis=1) >= self.threshold
        self.targets = np.eye(len(self.classes), dtype=np.float32)[answers.argmax(axis=1)]
        self.weights = (confident * self.weight).astype(np.float32)
        self.history.append(self.summary(epoch, answers, confident))
        print(f"pseudo-labels, epoch {epoch + 1}: {confident.mean():.0%} of {len(confident)} unlabelled cells "
              f"confident; {self.history[-1]['classes']}", file=sys.stderr, flush=True)

    def labels_for(self, epoch: int) -> tuple:
        """(targets, weights) of the unlabelled cells for this epoch's batches, once the epoch has begun."""
        with self.refreshed:
            while self.ready_epoch < epoch and not self.stopped:
                self.refreshed.wait(timeout=1.0)
            return self.targets, self.weights

    def summary(self, epoch: int, answers: np.ndarray, confident: np.ndarray) -> dict:
        named = np.array(self.classes)[answers.argmax(axis=1)][confident]
        return {"epoch": epoch + 1, "confident": float(confident.mean()),
                "classes": {name: int((named == name).sum()) for name in self.classes if (named == name).any()},
                "per_lab": {str(lab): float(confident[self.labs == lab].mean()) for lab in np.unique(self.labs)}}


def semi_supervised_batches(images, labels, weights, unlabelled_crops, pseudo: PseudoLabels, config,
                            first_epoch: int, num_classes: int, context: float, looks=None) -> tf.data.Dataset:
    """training_batches' labelled batches, each followed by config.unlabelled_batch unlabelled crops with their
    current targets and weights; both parts augmented at the run's level. Yields (images, targets, weights)."""
    count = len(unlabelled_crops)

    def batches():
        for batch, batch_labels, pair in epoch_batches(images, labels, weights, config.batch_size, config.seed,
                                                       first_epoch, config.epochs):
            targets, crop_weights = pseudo.labels_for(int(pair[1]) // EPOCH_STRIDE)
            drawn = np.sort(np.random.default_rng([config.seed, *pair, 7]).choice(count, config.unlabelled_batch))
            yield batch, batch_labels, pair, unlabelled_crops[drawn], targets[drawn], crop_weights[drawn]

    signature = (*batch_signature(images), tf.TensorSpec([None, *unlabelled_crops.shape[1:]], tf.uint8),
                 tf.TensorSpec([None, num_classes], tf.float32), tf.TensorSpec([None], tf.float32))

    def augment(batch, batch_labels, pair, crops, targets, crop_weights):
        labelled = augment_batch(batch, pair, config.augment, config.input_size, context, looks, config.restain)
        strong = augment_batch(crops, pair + [0, 700_000], config.augment, config.input_size, context, looks,
                               config.restain)
        # Keras averages the weighted losses over the whole batch: scaled so that the labelled cells weigh
        # what they would alone, and unlabelled ones not confident yet add nothing.
        scale = tf.cast(tf.shape(labelled)[0] + tf.shape(strong)[0], tf.float32) / tf.cast(tf.shape(labelled)[0],
                                                                                            tf.float32)
        return (tf.concat([labelled, strong], 0),
                tf.concat([tf.one_hot(batch_labels, num_classes), targets], 0),
                scale * tf.concat([tf.ones(tf.shape(batch_labels), tf.float32), crop_weights], 0))

    return tf.data.Dataset.from_generator(batches, output_signature=signature).map(
        augment, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
