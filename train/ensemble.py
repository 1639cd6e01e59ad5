"""An ensemble: N networks trained alike from different seeds, averaged into ONE Keras model.

Members differ only in their seed (weights, batch order, augmentation) and share the validation
smears (--split-seed), so the ensemble's validation figures are as honest as each member's. The
average is built into the graph (an Average layer over renamed copies of every member's layers),
so tensorflowjs_converter, the browser and every check downstream see one ordinary model.
"""
import dataclasses
import sys
from pathlib import Path

import tf_keras as keras
from tf_keras import layers

from core.artifacts import TrainedFolder
from core.files import atomic_path, write_json
from core.paths import CACHE
from core.plots import plot_learning_curves
from train import checkpoint, evaluate
from train.config import TrainConfig
from train.data import prepare_data
from train.fit import common_facts, peak_memory_mb, train_one, validation_arrays

MEMBERS_FOLDER = "members"


def average_models(members: list, name: str = "ensemble") -> keras.Model:
    """One model whose output is the mean of the members' outputs, with the members' weights."""
    inputs = keras.Input(shape=members[0].input_shape[1:], name="image")
    outputs = []
    for number, member in enumerate(members):
        # The converter stores weights by layer name, so every member's layers need their own names.
        def renamed(layer, prefix=f"member{number}_"):
            return layer.__class__.from_config({**layer.get_config(), "name": prefix + layer.name})

        twin = keras.models.clone_model(member, input_tensors=inputs, clone_function=renamed)
        twin.set_weights(member.get_weights())
        outputs.append(twin.output)
    return keras.Model(inputs, layers.Average(name="probabilities")(outputs), name=name)


def member_config(config: TrainConfig, number: int) -> tuple:
    seed = config.seed + number
    out = Path(config.out) / config.name / MEMBERS_FOLDER
    folder = out / f"seed-{seed}"
    # --resume continues the member that was cut off; members already finished are kept as they are.
    member = dataclasses.replace(config, members=1, seed=seed, out=str(out), name=folder.name,
                                 resume=config.resume and checkpoint.read_state(folder) is not None)
    return member, folder


def train_members(config, prepared) -> list:
    folders = []
    for number in range(config.members):
        member, folder = member_config(config, number)
        if config.resume and checkpoint.finished(folder):
            print(f"member {number + 1}/{config.members} ({member.name}) already trained: kept", file=sys.stderr)
        else:
            print(f"training member {number + 1}/{config.members} ({member.name})", file=sys.stderr)
            train_one(member, prepared)
        folders.append(folder)
    return folders


def train_ensemble(config) -> Path:
    out_dir = TrainedFolder(Path(config.out) / config.name)
    prepared = prepare_data(config, CACHE)
    folders = [TrainedFolder(folder) for folder in train_members(config, prepared)]
    members = [folder.load() for folder in folders]
    model = average_models(members, name=f"ensemble_of_{len(members)}")
    with atomic_path(out_dir.model_file) as temporary:
        model.save(temporary, include_optimizer=False, save_format="h5")
    facts = [folder.facts("member training facts") for folder in folders]
    write_json(out_dir.facts_file, {
        **common_facts(config, prepared), "arch": f"ensemble of {len(members)} x {config.arch}",
        "parameters": int(model.count_params()), "seed": config.seed,
        "members": [{key: fact[key] for key in ("name", "seed", "best_epoch", "epochs_run", "training_seconds")}
                    for fact in facts],
        "best_epoch": [fact["best_epoch"] for fact in facts],
        "epochs_run": sum(fact["epochs_run"] for fact in facts),
        "training_seconds": round(sum(fact["training_seconds"] for fact in facts), 1),
        "resumed": any(fact["resumed"] for fact in facts), "peak_memory_mb": peak_memory_mb(),
    })
    plot_learning_curves({fact["name"]: fact["history"] for fact in facts}, out_dir.learning_curves)
    evaluate.evaluate_model_dir(out_dir.path, config.data, validation_arrays(prepared), CACHE)
    return out_dir.path
