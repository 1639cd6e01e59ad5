"""What a model folder holds, said once: the file names, where each lies, how its model is loaded.

Two kinds of folder carry a model. A trained model folder (models/NAME/) is what python -m train writes:
model.h5 and training.json, then metrics.json, cross_lab.json and the pictures its later steps add. A
published version (web/models/NAME/<version>/) is what convert writes and the page loads: model.json and
its weight shards, metadata.json, batch-norm.json. A site's models/ folder holds index.json, naming the
default version. Whoever writes or reads one of these files asks here instead of joining names.

Standard library only at import time (the server reads index.json and metadata.json through
core/model_index.py); TensorFlow is imported only by load().
"""
from dataclasses import dataclass
from pathlib import Path

from core.files import read_json

# A trained model folder.
KERAS_MODEL = "model.h5"
TRAINING_FACTS = "training.json"
METRICS = "metrics.json"
CROSS_LAB = "cross_lab.json"           # python -m train.crosslab writes it, convert publishes it
LEARNING_CURVES = "learning_curves.png"
CROSS_LAB_TWINS = "cross-lab"         # the recipe trained on each source alone (train/crosslab.py)
CHECKPOINT = "checkpoint"              # an unfinished run's folder (train/checkpoint.py)
CHECKPOINT_STATE = "state.json"
BEST_EPOCH = "best.h5"
# A published version.
PUBLISHED_MODEL = "model.json"
METADATA = "metadata.json"
FOLDED_STATISTICS = "batch-norm.json"  # the BatchNorm statistics convert folded into the convolutions
REPLAY_FEATURES = "replay-features.f16"  # training cells' features for adapting in the page (convert/replay.py)
# A site's models/ folder.
INDEX = "index.json"


def confusion_matrix_picture(*parts: str) -> str:
    """The picture of a confusion matrix, named by the source and split it counts."""
    return f"confusion_matrix_{'_'.join(parts)}.png"


def is_weight_shard(name: str) -> bool:
    return name.endswith(".bin")


class UnreadableModel(OSError, ValueError):
    """A model file Keras cannot read; the message names it. Both kinds: the stages' command lines catch
    either, as they caught what Keras raised before."""


def load_keras_file(path: Path, compile: bool = False):
    """A Keras model from an .h5 file; UnreadableModel naming the file if it is not one."""
    import tf_keras as keras

    try:
        return keras.models.load_model(path, compile=compile)
    except (OSError, ValueError) as error:
        raise UnreadableModel(f"{path} cannot be read as a Keras model ({error}); train it again (make train)") from error


def beside(name: str) -> property:
    """A property: the file or folder `name` in the model folder."""
    return property(lambda folder: folder.path / name)


@dataclass(frozen=True)
class ModelFolder:
    """A folder that holds a model; its kinds below say which files."""
    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))


class TrainedFolder(ModelFolder):
    """models/NAME/, as python -m train writes it."""
    model_file = beside(KERAS_MODEL)
    facts_file = beside(TRAINING_FACTS)
    metrics_file = beside(METRICS)
    cross_lab_file = beside(CROSS_LAB)
    learning_curves = beside(LEARNING_CURVES)
    cross_lab_twins = beside(CROSS_LAB_TWINS)
    checkpoint_dir = beside(CHECKPOINT)

    def cross_lab_twin(self, source: str) -> Path:
        """The folder of the same recipe trained on the source named `source` alone."""
        return self.cross_lab_twins / f"only-{source}"

    def confusion_matrix(self, source: str, split: str) -> Path:
        return self.path / confusion_matrix_picture(source, split)

    @property
    def checkpoint_state(self) -> Path:
        """The state file of an unfinished run (train/checkpoint.py writes it)."""
        return self.checkpoint_dir / CHECKPOINT_STATE

    def has_model(self) -> bool:
        return self.model_file.is_file()

    def facts(self, what: str = "training facts") -> dict:
        return read_json(self.facts_file, what)

    def metrics(self) -> dict:
        return read_json(self.metrics_file, "evaluation metrics")

    def load(self, compile: bool = False):
        return load_keras_file(self.model_file, compile=compile)


class PublishedVersion(ModelFolder):
    """web/models/NAME/<version>/, as convert writes it and the page loads it."""
    model_file = beside(PUBLISHED_MODEL)
    metadata_file = beside(METADATA)
    statistics_file = beside(FOLDED_STATISTICS)

    def has_model(self) -> bool:
        return self.model_file.is_file() and self.metadata_file.is_file()

    def metadata(self, what: str = "model metadata") -> dict:
        return read_json(self.metadata_file, what)

    def folded_statistics(self) -> dict | None:
        path = self.statistics_file
        return read_json(path, "folded BatchNorm statistics") if path.is_file() else None

    def load(self):
        """The Keras model as published (BatchNorm folded away, weights as quantized)."""
        from tensorflowjs.converters.keras_tfjs_loader import load_keras_model

        return load_keras_model(str(self.model_file))


def load_model(folder: Path):
    """The Keras model in a trained model folder or a published version, whichever folder is."""
    trained = TrainedFolder(folder)
    return trained.load() if trained.has_model() else PublishedVersion(folder).load()
