"""One leave-one-lab-out pair of bench.adaptation: a twin trained on one lab, adapted to another."""
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convert.publish import sha256_file
from core.artifacts import TrainedFolder
from core.paths import CACHE
from train import VALIDATION, TrainConfig, cached_reader, open_source, predict

MODES = ("head", "all")
# Enough cells for steady statistics; a clinic's first afternoon of photos.
RECALIBRATION_PHOTOS = 300


@dataclass
class Lab:
    """A lab's labelled photos, split as training splits it: a pool to draw labelled cells from (its
    training part), its validation part (modes are chosen on it) and its TEST (reported)."""
    source: object       # train.sources' FolderSource or H5Source
    classes: list
    pool: tuple          # (paths, class indices, groups: copies of one source photo share a group)
    parts: dict          # part -> (paths, class indices)


def open_lab(path: Path, cache_dir: Path = CACHE) -> Lab:
    from train import held_out

    source = open_source(path)
    listing = source.listing("TRAIN")
    classes = listing.found
    paths = np.array(listing.paths, dtype=object)
    labels = np.array([classes.index(name) for name in listing.labels])
    test = source.listing("TEST", classes, unknown="skip")
    parts = {"TEST": (list(test.paths), [classes.index(name) for name in test.labels])}
    if source.has(VALIDATION):
        val = source.listing(VALIDATION, classes, unknown="skip")
        parts["validation"] = (list(val.paths), [classes.index(name) for name in val.labels])
        return Lab(source, classes, (paths, labels, np.arange(len(paths))), parts)
    train_index, val_index, _ = held_out(source, paths, labels, classes, TrainConfig(), cache_dir)
    groups = np.array(source.validation_groups(list(paths), labels, classes, cache_dir))
    parts["validation"] = (list(paths[val_index]), list(labels[val_index]))
    return Lab(source, classes, (paths[train_index], labels[train_index], groups[train_index]), parts)


def draw_cells(lab: Lab, per_class: int, seed: int) -> list:
    """(path, class name) of per_class cells of each class, each from a different source photo."""
    paths, labels, groups = lab.pool
    rng = np.random.default_rng(seed)
    drawn = []
    for index, name in enumerate(lab.classes):
        members = np.flatnonzero(labels == index)
        distinct = rng.permutation(np.unique(groups[members]))[:per_class]
        for group in distinct:
            drawn.append((paths[rng.choice(members[groups[members] == group])], name))
    return drawn


def link_folder(folder: Path, cells: list) -> Path:
    """A dataset folder (TRAIN/<CLASS>/) of links to the drawn cells: nothing copied."""
    for number, (path, name) in enumerate(cells):
        link = folder / "TRAIN" / name / f"{number:04d}-{Path(path).name}"
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(Path(path).resolve(), link)
    return folder


def unlabelled_photos(lab: Lab, count: int, seed: int, folder: Path) -> Path:
    """A folder of `count` of the lab's training photos, labels left out, for recalibration."""
    paths = lab.pool[0]
    chosen = np.random.default_rng(seed).permutation(len(paths))[:count]
    for number in chosen:
        link = folder / f"{number:05d}-{Path(paths[number]).name}"
        if not link.exists():
            folder.mkdir(parents=True, exist_ok=True)
            os.symlink(Path(paths[number]).resolve(), link)
    return folder


class Scorer:
    """Scores models on labs' parts by class name, so a model that lacks some of a lab's classes is
    scored on them too (never right there) and models with different class lists compare fairly."""

    def __init__(self, spec: dict, cache_dir: Path = CACHE):
        self.spec, self.cache_dir, self.inputs = spec, cache_dir, {}

    def part_inputs(self, lab: Lab, part: str) -> tuple:
        key = (lab.source.name, part)
        if key not in self.inputs:
            paths, labels = lab.parts[part]
            read = cached_reader(self.cache_dir, f"{lab.source.name} {part}")
            inputs, kept, _ = read(paths, self.spec)
            self.inputs[key] = (inputs, np.asarray(labels)[kept])
        return self.inputs[key]

    def score(self, model, model_classes: list, lab: Lab, part: str) -> dict:
        """Balanced accuracy over the lab's classes as the page answers (any class the model knows), and
        with the answers limited to the lab's classes (as train.evaluate's "shared classes" figures)."""
        inputs, labels = self.part_inputs(lab, part)
        probabilities = predict(model, inputs)
        truth = np.array(lab.classes)[labels]
        answered = recalls(np.array(model_classes)[probabilities.argmax(1)], truth, lab.classes)
        limited = probabilities * np.isin(model_classes, lab.classes)
        limited_recalls = recalls(np.array(model_classes)[limited.argmax(1)], truth, lab.classes)
        return {"images": int(len(truth)), "balanced_accuracy": float(np.mean(list(answered.values()))),
                "lab_classes_balanced_accuracy": float(np.mean(list(limited_recalls.values()))), "recall": answered}


def recalls(predicted: np.ndarray, truth: np.ndarray, classes: list) -> dict:
    return {name: float(np.mean(predicted[truth == name] == name)) for name in classes}


def load(folder: Path) -> tuple:
    trained = TrainedFolder(folder)
    return trained.load(), trained.facts()["classes"]


def scores(scorer: Scorer, folder: Path, lab: Lab, home: Lab) -> dict:
    """The model in folder on the new lab's parts, and on the TEST of the lab it first learnt (what adapting cost)."""
    model, classes = load(folder)
    found = {part: scorer.score(model, classes, lab, part) for part in ("validation", "TEST")}
    found["home_TEST"] = scorer.score(model, classes, home, "TEST")
    return found


def fine_tune(twin: Path, cells: Path, name: str, mode: str, options) -> Path:
    from train import finished, read_state, train

    out = options.work / "models"
    folder = out / name
    if finished(folder):
        return folder
    config = TrainConfig(data=(str(cells),), name=name, out=str(out), init_from=str(twin), trainable=mode,
                         epochs=options.epochs, learning_rate=options.learning_rate, seed=options.seed,
                         resume=read_state(folder) is not None)
    return train(config)


def twin_weights(twin: Path) -> str:
    """The start of the twin's weights' SHA-256: which twin it is, whatever its folder is called."""
    return sha256_file(TrainedFolder(twin).model_file)[:12]


def twin_identity(twin: Path) -> dict:
    return {"weights": twin_weights(twin), "trained": load_info(twin).get("date")}


def pair_tag(twin: Path, home, lab) -> str:
    """What names a twin's adapted copies in the work folder. The twin's weights are in it: the copies are
    kept between runs, and a retrained twin must not be scored through the copies of the one before it."""
    return f"{home.source.name}-to-{lab.source.name}-{twin_weights(twin)}"


def adapt_pair(twin: Path, lab_path: Path, options) -> dict:
    from train import recalibrated_copy

    home_path = Path(load_info(twin)["sources"][0]["path"])
    lab, home = open_lab(lab_path), open_lab(home_path)
    spec = load_info(twin)["preprocessing"]
    scorer = Scorer(spec)
    shared = sorted(set(lab.classes) & set(load_info(twin)["classes"]))
    pair = {"twin": twin_identity(twin), "classes": lab.classes, "shared_classes": shared,
            "before": scores(scorer, twin, lab, home)}
    tag = pair_tag(twin, home, lab)
    photos = unlabelled_photos(lab, RECALIBRATION_PHOTOS, options.seed,
                               options.work / "photos" / f"{lab.source.name}-{options.seed}")
    folder = options.work / "models" / f"{tag}-recalibrated"
    if not TrainedFolder(folder).model_file.exists():
        recalibrated_copy(twin, photos, folder.name, out=folder.parent, evaluate=False)
    pair["recalibrated"] = {**scores(scorer, folder, lab, home),
                            "shift": load_info(folder)["recalibration"]["shift"]}
    pair["fine_tuned"] = []
    for per_class in options.cells:
        drawn = draw_cells(lab, per_class, options.seed)
        cells = link_folder(options.work / "cells" / f"{lab.source.name}-{per_class}-{options.seed}", drawn)
        for mode in MODES:
            print(f"  {tag}: fine-tuning ({mode}) on {per_class} cells per class", file=sys.stderr, flush=True)
            name = f"{tag}-{per_class}-{mode}-e{options.epochs}-lr{options.learning_rate}-s{options.seed}"
            tuned = fine_tune(twin, cells, name, mode, options)
            drawn_per_class = {name: sum(1 for _, label in drawn if label == name) for name in lab.classes}
            pair["fine_tuned"].append({"cells_per_class": per_class, "cells": len(drawn), "mode": mode,
                                       "drawn_per_class": drawn_per_class,
                                       **scores(scorer, tuned, lab, home)})
    return pair


def load_info(folder: Path) -> dict:
    return TrainedFolder(folder).facts()

