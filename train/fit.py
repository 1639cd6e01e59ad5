"""Fit a model on DATA/TRAIN, keep the best epoch by validation, evaluate on the held-out splits."""
import datetime
import platform
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras

from train import evaluate
from train.augment import training_batches
from train.dataset import group_split, load_dataset
from train.files import atomic_path, write_json
from train.model import build_model
from train.plots import plot_learning_curves
from train.preprocess import preprocessing_spec


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
            f"  ({time.monotonic() - self.started:.0f} s)",
            file=sys.stderr, flush=True,
        )


def fit_model(model, train_images, train_labels, val_images, val_labels, options, checkpoint: Path):
    model.compile(
        optimizer=keras.optimizers.Adam(options.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callbacks = [
        EpochReport(options.epochs),
        keras.callbacks.ModelCheckpoint(str(checkpoint), monitor="val_loss", save_best_only=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=max(2, options.patience // 2)),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=options.patience, restore_best_weights=True),
    ]
    history = model.fit(
        training_batches(train_images, train_labels, options.batch_size, options.seed),
        validation_data=(val_images, val_labels),
        batch_size=options.batch_size,
        epochs=options.epochs,
        callbacks=callbacks,
        verbose=0,
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def library_versions() -> dict:
    return {"python": platform.python_version(), "tensorflow": tf.__version__, "tf_keras": keras.__version__,
            "numpy": np.__version__}


def train(options) -> Path:
    keras.utils.set_random_seed(options.seed)
    out_dir = Path(options.out) / options.name
    data = Path(options.data)
    spec = preprocessing_spec(options.input_size, options.crop)
    print(f"reading {data / 'TRAIN'}", file=sys.stderr)
    dataset = load_dataset(data / "TRAIN", spec)
    train_index, val_index = group_split(dataset, options.val_fraction, options.seed)
    print(f"{len(dataset.classes)} classes {dataset.classes}: {len(train_index)} training and "
          f"{len(val_index)} validation images (whole source smears held out)", file=sys.stderr)
    model = build_model(options.arch, options.input_size, len(dataset.classes))
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # The checkpoint callback keeps the best epoch by validation loss in a temporary file that
    # becomes model.h5 only when training finishes.
    with atomic_path(out_dir / "model.h5") as best:
        history = fit_model(model, dataset.images[train_index], dataset.labels[train_index],
                            dataset.images[val_index], dataset.labels[val_index], options, best)
    seconds = time.monotonic() - started
    best_epoch = int(np.argmin(history["val_loss"])) + 1
    write_json(out_dir / "training.json", {
        "name": options.name, "arch": options.arch, "classes": dataset.classes, "preprocessing": spec,
        "parameters": int(model.count_params()), "dataset": str(data.resolve()), "seed": options.seed,
        "epochs_run": len(history["loss"]), "best_epoch": best_epoch, "epochs_max": options.epochs,
        "batch_size": options.batch_size, "learning_rate": options.learning_rate,
        "train_images": int(len(train_index)), "validation_images": int(len(val_index)),
        "validation_groups": sorted(set(np.array(dataset.groups)[val_index])),
        "skipped_files": dataset.skipped, "training_seconds": round(seconds, 1),
        "versions": library_versions(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "history": history,
    })
    plot_learning_curves(history, out_dir / "learning_curves.png")
    validation = {"images": dataset.images[val_index], "labels": dataset.labels[val_index]}
    evaluate.evaluate_model_dir(out_dir, data, validation=validation)
    return out_dir
