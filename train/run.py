"""Train what a TrainConfig asks for: one network, or an ensemble of several averaged into one."""
from pathlib import Path

from train.config import TrainConfig
from train.ensemble import train_ensemble
from train.fit import train_one


def train(config: TrainConfig) -> Path:
    """Fit one model, or with members > 1 an ensemble (seeds seed, seed+1, ...) averaged into one."""
    return train_ensemble(config) if config.members > 1 else train_one(config)
