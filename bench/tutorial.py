"""The tutorial baseline: the widely copied Kaggle network, trained by our own pipeline on the whole frame.

Full runs use OUT/tutorial-baseline/ when `python -m train` has finished it (model.h5 + training.json),
and otherwise train it first in a child process, so its peak memory is its own, as for our model.
"""
import subprocess
import sys
from pathlib import Path

from core.artifacts import TrainedFolder
from core.networks import build_model
from core.tf_env import subprocess_environment

NAME = "tutorial-baseline"
# The tutorial was written for this dataset alone: the baseline is trained and scored on it only.
SOURCE = "blood-cells"


def train_command(data: Path, models: Path, epochs: int | None) -> list:
    command = [sys.executable, "-m", "train", "--data", str(data), "--out", str(models), "--name", NAME,
               "--arch", "tutorial", "--crop", "full_frame", "--unlabelled", "none"]
    if TrainedFolder(models / NAME).checkpoint_state.exists():
        return command + ["--resume"]  # an interrupted earlier run: continue it, with its own settings
    return command + (["--epochs", str(epochs)] if epochs else [])


def is_trained(models: Path) -> bool:
    return TrainedFolder(Path(models) / NAME).model_file.exists()


def trained_tutorial(data: Path, models: Path, epochs: int | None) -> tuple:
    """(model.h5, training facts) of the trained baseline, training it first when it is missing."""
    folder = TrainedFolder(Path(models) / NAME)
    if not is_trained(models):
        command = train_command(data, Path(models), epochs)
        print(f"training the tutorial baseline into {folder.path} (slow: hours on 2 cores for 40 epochs; "
              f"--tutorial-epochs bounds it):\n  {' '.join(command)}", file=sys.stderr, flush=True)
        # Its per-epoch progress goes straight to our stderr.
        subprocess.run(command, check=True, env=subprocess_environment())
    return folder.model_file, folder.facts("tutorial training facts")


def untrained_tutorial(metadata: dict, h5: Path) -> tuple:
    """(model.h5, parameters) of the same architecture with random weights, for our input size: enough
    for size and speed, which do not depend on weight values."""
    from core.tfjs import save_h5

    height, _ = metadata["preprocessing"]["input_size"]
    model = build_model("tutorial", height, len(metadata["classes"]))
    return save_h5(model, h5), model.count_params()
