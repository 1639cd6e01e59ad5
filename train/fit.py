"""Fit a model on every source's training part, keep the best epoch by validation, evaluate per source."""
import datetime
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras

from core.artifacts import TrainedFolder
from core.cell_types import cell_types
from core.files import write_json
from core.networks import build_model
from core.paths import CACHE
from core.plots import plot_learning_curves
from train import checkpoint, evaluate
from train.augment import replica_batches, steps_per_epoch, training_batches
from train.config import TrainConfig
from train.data import TrainingData, prepare_data
from train.distill import load_teacher, with_teacher
from train.distribute import Distribution
from train.plan import RunPlan, plan_run
from train.pseudo import PseudoLabels, semi_supervised_batches
from train.restain import appearances
from train.start import starting_model


class EpochReport(keras.callbacks.Callback):
    """One readable line per epoch, on stderr, so long runs show progress in logs too."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        print(
            f"epoch {epoch + 1}/{self.epochs}  loss {logs.get('loss', 0):.4f}  acc {logs.get('accuracy', 0):.3f}"
            f"  val_loss {logs.get('val_loss', 0):.4f}  val_acc {logs.get('val_accuracy', 0):.3f}"
            f"  lr {float(keras.backend.get_value(self.model.optimizer.learning_rate)):.2e}"
            f"  ({time.monotonic() - self.started:.0f} s)",
            file=sys.stderr, flush=True,
        )


def compile_model(model, config, steps_per_epoch: int):
    if config.schedule == "cosine":
        # Warm up for one epoch, then anneal to zero by the last: no plateau guessing, no early stop.
        learning_rate = keras.optimizers.schedules.CosineDecay(
            0.0, max(1, config.epochs - 1) * steps_per_epoch, warmup_target=config.learning_rate, warmup_steps=steps_per_epoch)
    else:
        learning_rate = config.learning_rate
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate, weight_decay=config.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        weighted_metrics=["accuracy"],
    )


def schedule_callbacks(config, state: dict) -> list:
    if config.schedule != "plateau":
        return []
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=max(2, config.patience // 2))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience)
    return [plateau, stop, RestoreCounters([plateau, stop], state)]


class RestoreCounters(keras.callbacks.Callback):
    """A resumed run picks up the plateau and early-stopping counters where they were
    (after those callbacks reset them at the start of fit)."""

    def __init__(self, callbacks: list, state: dict):
        super().__init__()
        self.callbacks, self.state = callbacks, state

    def on_train_begin(self, logs=None):
        for callback in self.callbacks:
            callback.best = self.state.get("best_val_loss") or np.inf
            callback.wait = self.state["epochs_done"] - (self.state.get("best_epoch") or self.state["epochs_done"])


def fit_model(model, data: TrainingData, config, out_dir: Path, state: dict | None, teacher=None,
              distribution: Distribution | None = None):
    """Compile (in the distribution's scope: the optimizer's variables are mirrored too), restore a resumed
    run's weights and optimizer, and fit; returns the final TrainingState state."""
    distribution = distribution or Distribution()
    images, labels, weights = data.train_set()
    val_images, val_labels, val_weights = data.validation_set()
    steps = steps_per_epoch(len(labels), config.batch_size)
    with distribution.scope():
        compile_model(model, config, steps)
        if state is not None:
            state = checkpoint.restore(model, out_dir)
    keeper = checkpoint.TrainingState(out_dir, config.saved(), state)
    first_epoch = keeper.state["epochs_done"]
    num_classes = model.outputs[0].shape[-1]
    pseudo = PseudoLabels(data.unlabelled, data.classes, config, config.epochs) if data.unlabelled else None
    looks = training_looks(data) if config.restain > 0 else None

    def batches_for(replicas: range | None, count: int):
        if pseudo is not None:
            return semi_supervised_batches(images, labels, weights, data.unlabelled_crops(), pseudo, config,
                                           first_epoch, num_classes, data.context, looks)
        batches = (training_batches(images, labels, weights, config, first_epoch, num_classes, data.context, looks)
                   if replicas is None else
                   replica_batches(images, labels, weights, config, first_epoch, num_classes, data.context,
                                   replicas, count, looks))
        return batches if teacher is None else with_teacher(batches, teacher, config.teacher_weight)

    distribution.check_batch(config.batch_size)
    with distribution.explaining_lost_workers():
        model.fit(
            distribution.training_input(batches_for),
            steps_per_epoch=steps,
            # Weighted so that every source, and every class within it, counts the same in val_loss.
            validation_data=distribution.validation_input(
                lambda: validation_batches(val_images, val_labels, val_weights, num_classes),
                lambda: (val_images[:], tf.one_hot(val_labels, num_classes), val_weights)),
            initial_epoch=first_epoch,
            epochs=config.epochs,
            callbacks=[EpochReport(config.epochs)] + ([pseudo] if pseudo else []) + [keeper]
            + schedule_callbacks(config, keeper.state)
            + distribution.callbacks(),
            verbose=0,
        )
    return {**keeper.state, "pseudo_labels": pseudo.history} if pseudo else keeper.state


def training_looks(data: TrainingData, per_source: int = 1000) -> np.ndarray:
    """The colours restaining draws from (train/restain.py): every unlabelled cell's, and those of up to
    per_source training cells of each source (the middle of their widened crops: the page's square)."""
    middles = []
    for part in data.sources:
        chosen = np.sort(np.random.default_rng(0).permutation(len(part.train_images))[:per_source])
        crops = np.asarray(part.train_images[chosen])
        margin = (crops.shape[1] - data.spec["input_size"][0]) // 2
        middles.append(crops[:, margin:crops.shape[1] - margin, margin:crops.shape[2] - margin])
    middles += [np.asarray(cells.inputs) for cells in data.unlabelled]
    return np.concatenate([appearances(images) for images in middles])


def validation_batches(images, labels, weights, num_classes: int, batch_size: int = 32) -> tf.data.Dataset:
    """The validation inputs, read from disk a batch at a time (as Keras would batch arrays: 32 in order)."""
    def batches():
        for first in range(0, len(labels), batch_size):
            last = first + batch_size
            yield images[first:last], np.eye(num_classes, dtype=np.float32)[labels[first:last]], weights[first:last]

    return tf.data.Dataset.from_generator(batches, output_signature=(
        tf.TensorSpec([None, *images.shape[1:]], tf.float32), tf.TensorSpec([None, num_classes], tf.float32),
        tf.TensorSpec([None], tf.float64))).prefetch(2)


def library_versions() -> dict:
    return {"python": platform.python_version(), "tensorflow": tf.__version__, "tf_keras": keras.__version__,
            "numpy": np.__version__}


def train_one(config: TrainConfig, data: TrainingData | None = None) -> Path:
    """Fit one network into OUT/NAME/; returns that folder (a worker other than a multi-worker run's chief:
    its own folder inside it, which holds only its copy of the weights)."""
    plan = plan_run(config)
    data = data or prepare_data(plan.config, CACHE, plan.start)
    teacher = plan.config.teacher and load_teacher(Path(plan.config.teacher), data.spec, validation_groups(data),
                                                   data.classes)
    with plan.distribution.scope():
        model = initial_model(plan.config, data.classes, plan.start)
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    final = fit_model(model, data, plan.config, plan.out_dir, plan.state, teacher or None, plan.distribution)
    checkpoint.finish(plan.out_dir)
    if plan.distribution.is_chief:
        record_run(plan, data, model, final)
    return plan.out_dir


def record_run(plan: RunPlan, data: TrainingData, model, final: dict) -> None:
    """training.json, the learning curves and the evaluation of the model just fitted (the chief's)."""
    config, folder, history = plan.config, TrainedFolder(plan.out_dir), final["history"]
    write_json(folder.facts_file, {
        **common_facts(config, data), "arch": config.arch, "parameters": int(model.count_params()),
        "seed": config.seed, "epochs_run": len(history["loss"]), "best_epoch": final["best_epoch"],
        "training_seconds": round(final["training_seconds"], 1), "resumed": bool(plan.state),
        "distribution": plan.distribution.facts(), "peak_memory_mb": peak_memory_mb(), "history": history,
        **({"pseudo_labels": final["pseudo_labels"]} if "pseudo_labels" in final else {}),
        **({"unlabelled": unlabelled_counts(data)} if data.unlabelled else {}),
    })
    plot_learning_curves({"": history}, folder.learning_curves)
    evaluate.evaluate_model_dir(folder.path, config.data, validation_arrays(data), CACHE)


def initial_model(config, classes: list, start=None):
    if start is None:
        return build_model(config.arch, config.input_size, len(classes), config.normalise)
    return starting_model(start, classes, config.trainable)


def common_facts(config, data: TrainingData) -> dict:
    """What a single model and an ensemble record alike about the data and the settings they were fitted with."""
    return {
        "name": config.name, "classes": data.classes, "cell_types": cell_types(data.classes),
        "preprocessing": data.spec, "config": config.saved(), "recipe": config.recipe(),
        "sources": [{"name": part.source.name, "path": str(part.source.path.resolve()),
                     "validation": part.validation_kind, "images": part.counts(data.classes)}
                    for part in data.sources],
        "split_seed": config.split_seed, "val_fraction": config.val_fraction,
        "train_images": sum(len(part.train_labels) for part in data.sources),
        "validation_images": sum(len(part.val_labels) for part in data.sources),
        "validation_grouping": "VAL where a source has one, else colour-signature clusters of augmented copies "
                               "held out of a folder's TRAIN/ (train/grouping.py), or a stratified random share "
                               "of an HDF5 file's TRAIN rows",
        "validation_groups": validation_groups(data),
        "epochs_max": config.epochs, "batch_size": config.batch_size, "learning_rate": config.learning_rate,
        "skipped_files": [item for part in data.sources for item in part.skipped], "versions": library_versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def unlabelled_counts(data: TrainingData) -> dict:
    """The boxed white cells each unlabelled lab gave (its held-out photos not among them)."""
    return {cells.lab: len(cells.inputs) for cells in data.unlabelled}


def validation_groups(data: TrainingData) -> dict:
    """The smears each source held out of its TRAIN/ (sources with a VAL/ hold out none)."""
    return {part.source.name: part.validation_groups for part in data.sources if part.validation_groups}


def validation_arrays(data: TrainingData) -> dict:
    return {part.source.name: {"images": part.val_images, "labels": part.val_labels} for part in data.sources}


def peak_memory_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
