"""Fit a model on DATA/TRAIN, keep the best epoch by validation, evaluate on the held-out splits."""
import datetime
import math
import platform
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras

from core.dataset import load_dataset
from core.files import write_json
from core.networks import build_model
from core.plots import plot_learning_curves
from core.preprocess import preprocessing_spec
from train import checkpoint, evaluate
from train.augment import training_batches
from train.config import TrainConfig
from train.distill import load_teacher, with_teacher
from train.grouping import group_split, recover_groups


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
        metrics=["accuracy"],
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


def fit_model(model, train_set, val_set, config, out_dir: Path, state: dict | None, teacher=None):
    steps = math.ceil(len(train_set[1]) / config.batch_size)
    compile_model(model, config, steps)
    if state is not None:
        state = checkpoint.restore(model, out_dir)
    keeper = checkpoint.TrainingState(out_dir, config.saved(), state)
    first_epoch = keeper.state["epochs_done"]
    num_classes = model.outputs[0].shape[-1]
    batches = training_batches(*train_set, config, first_epoch, num_classes)
    if teacher is not None:
        batches = with_teacher(batches, teacher, config.teacher_weight)
    model.fit(
        batches,
        steps_per_epoch=steps,
        validation_data=(val_set[0], tf.one_hot(val_set[1], num_classes)),
        initial_epoch=first_epoch,
        epochs=config.epochs,
        callbacks=[EpochReport(config.epochs), keeper] + schedule_callbacks(config, keeper.state),
        verbose=0,
    )
    return keeper.state


def library_versions() -> dict:
    return {"python": platform.python_version(), "tensorflow": tf.__version__, "tf_keras": keras.__version__,
            "numpy": np.__version__}


def resumed_run(config: TrainConfig) -> tuple:
    """With --resume, the saved settings win: a continued run must be the run it continues.
    Returns (the saved config, the saved state)."""
    state = checkpoint.read_state(Path(config.out) / config.name)
    if state is None:
        raise checkpoint.ResumeError(f"nothing to resume: no checkpoint in "
                                     f"{checkpoint.checkpoint_dir(Path(config.out) / config.name)}; train without --resume")
    saved = TrainConfig.from_saved(state["options"], resume=True)
    print(f"resuming {saved.name} after epoch {state['epochs_done']} of {saved.epochs}", file=sys.stderr)
    return saved, state


@dataclass
class PreparedData:
    """TRAIN read once, split once: every member of an ensemble sees the same validation smears."""
    path: Path
    spec: dict
    dataset: object
    groups: list
    train_index: np.ndarray
    val_index: np.ndarray

    def part(self, index) -> tuple:
        return self.dataset.images[index], self.dataset.labels[index]


def prepare_data(config) -> PreparedData:
    data = Path(config.data)
    spec = preprocessing_spec(config.input_size, config.crop)
    print(f"reading {data / 'TRAIN'}", file=sys.stderr)
    dataset = load_dataset(data / "TRAIN", spec)
    print("grouping copies of the same source image, for an honest validation split", file=sys.stderr)
    groups = recover_groups(dataset.files, dataset.labels, dataset.classes)
    train_index, val_index = group_split(groups, dataset.labels, config.val_fraction, config.split_seed)
    print(f"{len(dataset.classes)} classes {dataset.classes}: {len(train_index)} training and "
          f"{len(val_index)} validation images (whole source groups held out)", file=sys.stderr)
    return PreparedData(data, spec, dataset, groups, train_index, val_index)


def train_one(config, prepared: PreparedData | None = None) -> Path:
    out_dir = Path(config.out) / config.name
    if config.resume:
        config, state = resumed_run(config)
    else:
        state = checkpoint.refuse_to_overwrite(out_dir)
    keras.utils.set_random_seed(config.seed + (state or {}).get("epochs_done", 0))
    prepared = prepared or prepare_data(config)
    dataset = prepared.dataset
    teacher = config.teacher and load_teacher(Path(config.teacher), prepared.spec, validation_groups(prepared))
    model = build_model(config.arch, config.input_size, len(dataset.classes), config.normalise)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = fit_model(model, prepared.part(prepared.train_index), prepared.part(prepared.val_index),
                      config, out_dir, state, teacher or None)
    checkpoint.finish(out_dir)
    history = final["history"]
    write_json(out_dir / "training.json", {
        **common_facts(config, prepared), "arch": config.arch, "parameters": int(model.count_params()),
        "seed": config.seed,
        "recipe": config.recipe(),
        "epochs_run": len(history["loss"]), "best_epoch": final["best_epoch"], "epochs_max": config.epochs,
        "batch_size": config.batch_size, "learning_rate": config.learning_rate,
        "training_seconds": round(final["training_seconds"], 1), "resumed": bool(state),
        "peak_memory_mb": peak_memory_mb(), "history": history,
    })
    plot_learning_curves({"": history}, out_dir / "learning_curves.png")
    evaluate.evaluate_model_dir(out_dir, prepared.path, validation=validation_set(prepared))
    return out_dir


def common_facts(config, prepared: PreparedData) -> dict:
    """What a single model and an ensemble record alike about the data they were fitted on."""
    dataset = prepared.dataset
    return {
        "name": config.name, "classes": dataset.classes, "preprocessing": prepared.spec,
        "dataset": str(prepared.path.resolve()), "split_seed": config.split_seed,
        "train_images": int(len(prepared.train_index)), "validation_images": int(len(prepared.val_index)),
        "validation_grouping": "colour-signature clusters of augmented copies (train/grouping.py)",
        "validation_groups": validation_groups(prepared),
        "skipped_files": dataset.skipped, "versions": library_versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def validation_groups(prepared: PreparedData) -> list:
    return sorted(set(np.array(prepared.groups)[prepared.val_index]))


def validation_set(prepared: PreparedData) -> dict:
    images, labels = prepared.part(prepared.val_index)
    return {"images": images, "labels": labels}


def peak_memory_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
