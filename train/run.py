"""Train what a TrainConfig asks for: one network, or an ensemble of several averaged into one."""
import sys
from pathlib import Path

from train.checkpoint import finished
from train.cluster import output_folder, task_for
from train.config import TrainConfig
from train.ensemble import train_ensemble
from train.fit import train_one


def train(config: TrainConfig) -> Path:
    """Fit one model, or with members > 1 an ensemble (seeds seed, seed+1, ...) averaged into one.
    With resume, a run that already finished is kept as it is (make train RESUME=1 goes on to the next step);
    each worker of a multi-worker run judges by its own folder, so that all of them stop, or none."""
    out_dir = output_folder(Path(config.out) / config.name, task_for(config.strategy))
    if config.resume and finished(out_dir):
        print(f"{out_dir} finished training earlier: kept as it is", file=sys.stderr)
        return out_dir
    return train_ensemble(config) if config.members > 1 else train_one(config)
