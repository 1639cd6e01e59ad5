"""Fine-tuning: a training run that starts from a trained model's weights instead of random ones.

The start is a training folder (models/NAME/: model.h5 and training.json) or a published version
(web/models/NAME/<version>/: model.json and metadata.json, as the page loads it; its BatchNorm layers
were folded into the convolutions when it was converted). The run keeps the start's preprocessing and
classes; classes the new data adds get new rows in the output layer, the others keep theirs.
"""
from dataclasses import dataclass
from pathlib import Path

import tf_keras as keras
from tf_keras import layers

from core.artifacts import INDEX, PublishedVersion, TrainedFolder
from core.fold import unfold_batch_norm
from core.metadata import MetadataError, check_metadata, training_from_metadata
from core.model_index import NoModel, default_model
from train.config import TRAINABLE, TrainConfig

HEAD = "probabilities"
# What a published model's metadata.json lacks when it was published before training recorded it.
OLDER_METADATA_LACKS = {"val_fraction": TrainConfig.__dataclass_fields__["val_fraction"].default}


class StartError(ValueError):
    """--init-from names something training cannot start from; the message says what to give instead."""


@dataclass
class StartingModel:
    folder: Path
    model: keras.Model
    facts: dict                    # training.json's, or for a published model the same facts from metadata.json

    @property
    def name(self) -> str:
        """How training.json records the start: the model's name (and version, when published)."""
        parts = self.folder.resolve().parts
        return "/".join(parts[-2:]) if self.published else parts[-1]

    @property
    def published(self) -> bool:
        return PublishedVersion(self.folder).model_file.is_file()

    @property
    def classes(self) -> list:
        return self.facts["classes"]

    @property
    def preprocessing(self) -> dict:
        return self.facts["preprocessing"]

    @property
    def arch(self) -> str:
        return self.facts["arch"]

    @property
    def normalise(self) -> str:
        return self.facts["recipe"].get("normalise", "none")


def load_start(folder: Path, flag: str = "--init-from") -> StartingModel:
    """The model in a training folder, a published version folder, or (a site's models/ folder) the
    model the page loads by default."""
    folder = Path(folder)
    if (folder / INDEX).is_file():
        try:
            folder = default_model(folder)[1]
        except NoModel as error:
            raise StartError(f"{flag} {folder}: {error}") from error
    trained, published = TrainedFolder(folder), PublishedVersion(folder)
    if trained.has_model():
        if not trained.facts_file.is_file():
            raise StartError(f"{flag} {folder}: {trained.model_file.name} has no {trained.facts_file.name} beside "
                             "it, so its preprocessing and classes are unknown; give the whole folder python -m train wrote")
        return StartingModel(folder, trained.load(), trained.facts())
    if published.has_model():
        try:
            metadata = check_metadata(published.metadata(), str(published.metadata_file))
        except MetadataError as error:
            raise StartError(f"{flag} {folder}: {error}") from error
        facts = training_from_metadata(metadata, OLDER_METADATA_LACKS)
        model, statistics = published.load(), published.folded_statistics()
        return StartingModel(folder, with_batch_norm(model, statistics, facts) if statistics else model, facts)
    raise StartError(f"{flag} {folder}: no model there; give a trained model folder (models/NAME/, with "
                     f"{trained.model_file.name}) or a published version (web/models/NAME/<version>/, with "
                     f"{published.model_file.name})")


def with_batch_norm(folded: keras.Model, statistics: dict, facts: dict) -> keras.Model:
    """A published model as it was trained: its architecture built anew, the BatchNorm layers convert folded
    away restored from batch-norm.json (up to the published weights' float16 rounding)."""
    from core.networks import build_model

    fresh = build_model(facts["arch"], facts["preprocessing"]["input_size"][0], len(facts["classes"]),
                        facts["recipe"].get("normalise", "none"))
    return unfold_batch_norm(folded, statistics, fresh)


def with_classes(model: keras.Model, known: list, classes: list) -> keras.Model:
    """The model answering `classes`: rows of classes it knows are kept, new classes get new rows
    (fresh weights, the known rows' mean bias, so a new class starts neither certain nor impossible)."""
    if list(known) == list(classes):
        return model
    missing = sorted(set(known) - set(classes))
    if missing:
        raise StartError(f"the model knows {', '.join(missing)}, which the run would drop; a fine-tuned model "
                         "keeps every class it started with")
    old = model.get_layer(HEAD)
    features = old.input
    new = layers.Dense(len(classes), activation="softmax", name=HEAD)
    outputs = new(features)
    kernel, bias = old.get_weights()
    new_kernel, new_bias = new.get_weights()
    new_bias[:] = bias.mean()
    for row, name in enumerate(known):
        new_kernel[:, classes.index(name)], new_bias[classes.index(name)] = kernel[:, row], bias[row]
    new.set_weights([new_kernel, new_bias])
    return keras.Model(model.inputs, outputs, name=model.name)


def set_trainable(model: keras.Model, trainable: str) -> None:
    """head: only the output layer learns. all: every layer learns, but BatchNorm layers keep the
    statistics of the labs the model was trained on (a few dozen new cells would replace them with
    noise; python -m train.recalibrate re-estimates them deliberately, from many unlabelled photos)."""
    if trainable not in TRAINABLE:
        raise StartError(f"--trainable must be one of {', '.join(TRAINABLE)}, not {trainable!r}")
    for layer in model.layers:
        if trainable == "head":
            layer.trainable = layer.name == HEAD
        else:
            layer.trainable = not isinstance(layer, layers.BatchNormalization)


def starting_model(start: StartingModel, classes: list, trainable: str) -> keras.Model:
    model = with_classes(start.model, start.classes, classes)
    set_trainable(model, trainable)
    return model

