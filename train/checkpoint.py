"""Resumable training: after every epoch, everything needed to continue lands on disk atomically.

OUT/NAME/checkpoint/ holds state.json (settings, finished epochs, history, best so far), the
latest weights and optimizer state (a folder renamed into place whole) and best.h5, the best
epoch by validation loss. A run killed at any moment leaves the previous epoch's state intact.

Multi-worker runs (train/distribute.py) keep this scheme on every worker: each writes the same
checkpoint, the chief into OUT/NAME/checkpoint/, every other worker into OUT/NAME/worker-<i>/checkpoint/,
and a restarted worker resumes from its own. Why not Keras's BackupAndRestore: every worker has to save
anyway (saving reads BatchNorm statistics, which all-reduces them across workers), and BackupAndRestore
restores every worker from the chief's folder, which needs a file system the machines share; it also
keeps no history or best epoch, which state.json has to carry for --resume to continue the same run.
"""
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

import tensorflow as tf
import tf_keras as keras

from core.artifacts import BEST_EPOCH as BEST
from core.artifacts import TrainedFolder
from core.files import atomic_path, write_json


class ResumeError(ValueError):
    """No usable checkpoint where --resume looked, or an unfinished run where a fresh one would overwrite it."""


def checkpoint_dir(out_dir: Path) -> Path:
    return TrainedFolder(out_dir).checkpoint_dir


def read_state(out_dir: Path) -> dict | None:
    path = TrainedFolder(out_dir).checkpoint_state
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ResumeError(f"{path} is damaged ({error}); delete {path.parent} to start over") from error


def epochs_done(out_dir: Path) -> int | None:
    """How many epochs the unfinished run in out_dir finished, or None when there is none."""
    state = read_state(out_dir)
    return None if state is None else state["epochs_done"]


def refuse_to_overwrite(out_dir: Path) -> None:
    state = read_state(out_dir)
    if state is not None:
        raise ResumeError(
            f"{out_dir} holds an unfinished training run (epoch {state['epochs_done']} of {state['options']['epochs']}): "
            f"continue it with --resume (make train RESUME=1), or delete {checkpoint_dir(out_dir)} to start over")


def restore(model, out_dir: Path) -> dict:
    """Load the latest weights and optimizer state into model (compiled); returns the saved state."""
    state = read_state(out_dir)
    if state is None:
        raise ResumeError(f"nothing to resume: no checkpoint in {checkpoint_dir(out_dir)}; train without --resume")
    folder = checkpoint_dir(out_dir) / state["weights"]
    model.optimizer.build(model.trainable_variables)
    tf.train.Checkpoint(model=model, optimizer=model.optimizer).read(str(folder / "ckpt")).assert_consumed()
    return state


class TrainingState(keras.callbacks.Callback):
    """Saves best.h5 when validation loss improves, then the epoch's weights, optimizer and state.json."""

    def __init__(self, out_dir: Path, options: dict, state: dict | None = None):
        super().__init__()
        self.folder = checkpoint_dir(out_dir)
        self.options = options
        self.state = state or {"epochs_done": 0, "history": {}, "best_val_loss": None, "best_epoch": None,
                               "training_seconds": 0.0}
        self.started = time.monotonic() - self.state["training_seconds"]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.folder.mkdir(parents=True, exist_ok=True)
        for key, value in logs.items():
            self.state["history"].setdefault(key, []).append(float(value))
        val_loss = float(logs["val_loss"])
        if self.state["best_val_loss"] is None or val_loss < self.state["best_val_loss"]:
            with atomic_path(self.folder / BEST) as temporary, warnings.catch_warnings():
                # .h5 is what tensorflowjs_converter reads; Keras's advice to move on from it does not apply.
                warnings.filterwarnings("ignore", message="You are saving your model as an HDF5 file")
                self.model.save(temporary, include_optimizer=False)
            self.state.update(best_val_loss=val_loss, best_epoch=epoch + 1)
        self.state.update(epochs_done=epoch + 1, training_seconds=time.monotonic() - self.started, weights=self.save_weights(epoch + 1), options=self.options)
        write_json(TrainedFolder(self.folder.parent).checkpoint_state, self.state)
        self.remove_stale_weights()

    def save_weights(self, epoch: int) -> str:
        name = f"epoch-{epoch:04d}"
        staging = self.folder / f".{name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        tf.train.Checkpoint(model=self.model, optimizer=self.model.optimizer).write(str(staging / "ckpt"))
        shutil.rmtree(self.folder / name, ignore_errors=True)
        os.replace(staging, self.folder / name)
        return name

    def remove_stale_weights(self):
        for path in self.folder.iterdir():
            if path.is_dir() and path.name != self.state["weights"]:
                shutil.rmtree(path, ignore_errors=True)


def finished(out_dir: Path) -> bool:
    """A model folder whose training ran to its end (a model and no unfinished checkpoint)."""
    return TrainedFolder(out_dir).model_file.exists() and read_state(out_dir) is None


def finish(out_dir: Path) -> None:
    """Promote best.h5 to model.h5 and drop the checkpoint: the run is complete."""
    folder, model_file = checkpoint_dir(out_dir), TrainedFolder(out_dir).model_file
    os.replace(folder / BEST, model_file)
    shutil.rmtree(folder)
    print(f"best epoch saved as {model_file}", file=sys.stderr)
