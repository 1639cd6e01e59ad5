"""Training stage: folder-per-class images in, a Keras .h5 model with metrics and pictures out.

PUBLIC is the stage's API for the other stages (the bench): `from train import train, TrainConfig`.
Everything else in train/ is internal to it. The names are resolved on first use, so importing the
package itself loads none of its modules (nor TensorFlow).
"""
import importlib

import core.tf_env  # noqa: F401  (before anything imports TensorFlow)

# name -> (module, attribute there)
PUBLIC = {
    "TrainConfig": ("train.config", "TrainConfig"),
    "FINE_TUNING_EPOCHS": ("train.config", "FINE_TUNING_EPOCHS"),
    "FINE_TUNING_RATE": ("train.config", "FINE_TUNING_RATE"),
    "train": ("train.run", "train"),
    "finished": ("train.checkpoint", "finished"),
    "read_state": ("train.checkpoint", "read_state"),
    "recalibrated_copy": ("train.recalibrate", "recalibrate"),
    "open_source": ("train.sources", "open_source"),
    "open_sources": ("train.sources", "open_sources"),
    "VALIDATION": ("train.sources", "VALIDATION"),
    "HELD_OUT": ("train.sources", "HELD_OUT"),
    "held_out": ("train.data", "held_out"),
    "cached_reader": ("train.evaluate", "cached_reader"),
    "predict": ("train.evaluate", "predict"),
    "validation_answers": ("train.evaluate", "validation_answers"),
    "evaluation_facts": ("train.calibrate", "evaluation_facts"),
}
__all__ = sorted(PUBLIC)


def __getattr__(name: str):
    if name not in PUBLIC:
        raise AttributeError(f"module 'train' has no attribute {name!r}")
    module, attribute = PUBLIC[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
