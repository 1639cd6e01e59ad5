"""Evaluate a saved model on every source's held-out parts (never training data), per source and split.

python -m train.evaluate --model models/leukolens-cnn --data ../shared/data/blood-cells --data ../shared/data/pbc

A source the model was trained on is scored on its validation part (its VAL split, or the smears or
HDF5 rows training held out of its TRAIN, found again the same way) and its TEST and TEST_SIMPLE
splits. A source it never saw is another lab: it is scored on the classes the two share, on its
validation part (what recipes may be chosen by) and its TEST splits.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from core.artifacts import TrainedFolder
from core.cli import run_stage
from core.dataset import DatasetError, load_listing
from core.files import write_json
from core.metrics import compute_metrics
from core.paths import CACHE, DEFAULT_MODEL_NAME, MODELS, default_dataset
from core.plots import plot_confusion_matrix
from core.preprocess import preprocess_file
from train.cache import cached
from train.data import balanced_weights, held_out
from train.review import choose_review_thresholds
from train.rows import chunks
from train.sources import HELD_OUT, VALIDATION, open_sources

VALIDATION_PART = "validation"


def cached_reader(cache_dir: Path, label: str):
    """load_dataset's `read`, through the preprocessing cache."""
    def read(paths, spec, progress=True):
        inputs, kept, skipped = cached(cache_dir, "inputs", list(paths), spec, preprocess_file, label)
        height, width = spec["input_size"]
        return (inputs if inputs is not None else np.zeros((0, height, width, 3), np.float32)), kept, skipped
    return read


def predict(model, images) -> np.ndarray:
    """Probabilities, a chunk at a time: images may be a memory-mapped cache larger than memory."""
    if not len(images):
        return np.zeros((0, model.outputs[0].shape[-1]), np.float32)
    return np.concatenate([model.predict(chunk, batch_size=256, verbose=0) for chunk in chunks(images)])


def split_answers(model, source, split: str, info: dict, cache_dir: Path) -> tuple | None:
    """(probabilities, labels) on one split of a source, over the classes the model knows (others left out)."""
    listing = source.listing(split, info["classes"], unknown="skip")
    dataset = load_listing(listing, info["preprocessing"], info["classes"], progress=False,
                           read=cached_reader(cache_dir, f"{source.name}/{split}"))
    return (predict(model, dataset.images), dataset.labels) if len(dataset.labels) else None


def validation_answers(model, source, info: dict, cache_dir: Path) -> tuple | None:
    """A source's validation part: its VAL split, or what the recipe holds out of its TRAIN (the same
    smears or rows training held out, for a source it trained on)."""
    if source.has(VALIDATION):
        return split_answers(model, source, VALIDATION, info, cache_dir)
    listing = source.listing("TRAIN", info["classes"], unknown="skip")
    paths = np.array(listing.paths, dtype=object)
    labels = np.array([info["classes"].index(name) for name in listing.labels])
    split = argparse.Namespace(val_fraction=info["val_fraction"], split_seed=info["split_seed"])
    _, val_index, _ = held_out(source, paths, labels, info["classes"], split, cache_dir)
    inputs, kept, _ = cached_reader(cache_dir, f"{source.name} {source.held_out_kind}")(list(paths[val_index]),
                                                                                 info["preprocessing"])
    return predict(model, inputs), labels[val_index][kept]


def shared_classes_only(probabilities: np.ndarray, source_classes: list, classes: list) -> np.ndarray:
    """The answers limited to the classes the other lab has (the others' probabilities set to zero): how
    well the features travel, apart from the classes one lab has and the other lacks."""
    limited = np.zeros_like(probabilities)
    for name in source_classes:
        limited[:, classes.index(name)] = probabilities[:, classes.index(name)]
    return limited


def source_answers(model, source, info: dict, cache_dir: Path, validation: tuple | None) -> dict:
    """{part: (probabilities, labels)} for the source's validation part and held-out splits."""
    answers = {VALIDATION_PART: validation or validation_answers(model, source, info, cache_dir)}
    for split in HELD_OUT:
        if source.has(split):
            answers[split] = split_answers(model, source, split, info, cache_dir)
    return {part: answer for part, answer in answers.items() if answer is not None}


def source_metrics(answers: dict, classes: list, seen: bool) -> dict:
    """Metrics per part; for another lab also "shared_classes": the same parts with the answers limited
    to the classes it has."""
    results = {part: compute_metrics(labels, p, classes) for part, (p, labels) in answers.items()}
    if not seen and answers:
        present = sorted({classes[k] for _, labels in answers.values() for k in np.unique(labels)})
        results["shared_classes"] = {part: compute_metrics(labels, shared_classes_only(p, present, classes), classes)
                                     for part, (p, labels) in answers.items()}
    return results


def trained_sources(info: dict) -> list:
    return [source["name"] for source in info.get("sources", [])]


def summary(per_source: dict) -> dict | None:
    """The validation figures recipes are chosen by: each source's validation part weighs the same."""
    parts = [splits[VALIDATION_PART] for splits in per_source.values() if VALIDATION_PART in splits]
    if not parts:
        return None
    return {"sources": len(parts), "images": sum(p["images"] for p in parts),
            **{key: float(np.mean([p[key] for p in parts])) for key in ("accuracy", "balanced_accuracy", "macro_f1")},
            "min_recall": float(min(p["min_recall"] for p in parts))}


def evaluate_model_dir(model_dir: Path, data: list, validation: dict = None, cache_dir: Path = None) -> dict:
    """Write metrics.json ({"validation": summary, "sources": {...}, "other_labs": {...}, "review": ...}) and
    a confusion-matrix picture per source and split. `validation` maps a source's name to the validation
    arrays training held out ({"images", "labels"}); without them, the same parts are read again."""
    folder = TrainedFolder(model_dir)
    info = folder.facts()
    if not folder.has_model():
        raise FileNotFoundError(f"no {folder.model_file.name} in {folder.path}: train it first (make train)")
    cache_dir = Path(cache_dir or CACHE)
    model = folder.load()
    results, seen_validation = {"sources": {}, "other_labs": {}}, []
    for source in open_sources(data):
        seen = source.name in trained_sources(info)
        given = (validation or {}).get(source.name)
        answers = source_answers(model, source, info, cache_dir,
                                 (predict(model, given["images"]), given["labels"]) if given else None)
        if seen and VALIDATION_PART in answers:
            seen_validation.append(answers[VALIDATION_PART])
        results["sources" if seen else "other_labs"][source.name] = source_metrics(answers, info["classes"], seen)
    results["validation"] = summary(results["sources"])
    results["review"] = review_thresholds(seen_validation) if seen_validation else None
    for group in ("sources", "other_labs"):
        for name, splits in results[group].items():
            for split, metrics in splits.items():
                if split == "shared_classes":
                    continue
                print(summary_line(f"{name} {split}" + (" (another lab)" if group == "other_labs" else ""), metrics),
                      file=sys.stderr)
                plot_confusion_matrix(metrics["confusion_matrix"], info["classes"],
                                      f"{info['name']} on {name} {split} (accuracy {metrics['accuracy']:.1%})",
                                      folder.confusion_matrix(name, split))
    write_json(folder.metrics_file, results)
    return results


def review_thresholds(answers: list) -> dict:
    """When the page flags a cell for review, chosen on the validation parts (each source weighing the same)."""
    probabilities = np.concatenate([p for p, _ in answers])
    labels = np.concatenate([np.asarray(labels) for _, labels in answers])
    sources = np.concatenate([np.full(len(labels), i) for i, (_, labels) in enumerate(answers)])
    return choose_review_thresholds(probabilities, labels, balanced_weights(sources, labels, equal="sources"))


def summary_line(split: str, metrics: dict) -> str:
    return (f"{split}: accuracy {metrics['accuracy']:.4f}  balanced {metrics['balanced_accuracy']:.4f}  "
            f"macro-F1 {metrics['macro_f1']:.4f}  lowest recall {metrics['min_recall']:.4f}  ({metrics['images']} images)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(MODELS / DEFAULT_MODEL_NAME), help="model folder written by "
                        "`python -m train` (default: %(default)s)")
    parser.add_argument("--data", action="append", help="a source folder or HDF5 file (repeatable); sources the "
                        "model was not trained on are scored as other labs (default: the sources it was trained on)")
    options = parser.parse_args(argv)

    def evaluate():
        data = options.data or default_sources(Path(options.model))
        return evaluate_model_dir(Path(options.model), data)

    return run_stage(evaluate, (FileNotFoundError, DatasetError, OSError),
                     lambda _: f"wrote {TrainedFolder(options.model).metrics_file}")


def default_sources(model_dir: Path) -> list:
    info = TrainedFolder(model_dir).facts()
    return [source["path"] for source in info.get("sources", [])] or [default_dataset("blood-cells")]


if __name__ == "__main__":
    sys.exit(main())
