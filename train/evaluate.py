"""Evaluate a saved model on held-out folders (never training data).

python -m train.evaluate --model models/leukolens-cnn --data ../shared/data/blood-cells
"""
import argparse
import sys
from pathlib import Path

import tf_keras as keras

from core.cli import run_stage
from core.dataset import DatasetError, load_dataset
from core.files import read_json, write_json
from core.metrics import compute_metrics
from core.paths import DEFAULT_MODEL_NAME, MODELS, default_dataset
from core.plots import plot_confusion_matrix

HELD_OUT_SPLITS = ("TEST", "TEST_SIMPLE")


def evaluate_split(model, split_dir: Path, info: dict) -> dict:
    dataset = load_dataset(split_dir, info["preprocessing"], classes=info["classes"], progress=False)
    probabilities = model.predict(dataset.images, batch_size=256, verbose=0)
    return compute_metrics(dataset.labels, probabilities, info["classes"])


def evaluate_model_dir(model_dir: Path, data: Path, validation: dict = None) -> dict:
    """Write metrics.json and one confusion-matrix picture per split found under data."""
    model_dir = Path(model_dir)
    info = read_json(model_dir / "training.json", "training facts")
    splits = [split for split in HELD_OUT_SPLITS if (Path(data) / split).is_dir()]
    if not splits and validation is None:
        raise FileNotFoundError(f"nothing to evaluate on: {data} has neither {' nor '.join(HELD_OUT_SPLITS)}")
    if not (model_dir / "model.h5").is_file():
        raise FileNotFoundError(f"no model.h5 in {model_dir}: train it first (make train)")
    model = keras.models.load_model(model_dir / "model.h5")
    if validation is not None:
        probabilities = model.predict(validation["images"], batch_size=256, verbose=0)
        validation_metrics = compute_metrics(validation["labels"], probabilities, info["classes"])
    else:
        # Validation is measured while training (it needs the held-out TRAIN smears); a later
        # re-evaluation keeps those figures, which model selection relies on, instead of dropping them.
        validation_metrics = earlier_validation(model_dir)
    results = {"validation": validation_metrics} if validation_metrics else {}
    for split in HELD_OUT_SPLITS:
        if split in splits:
            results[split] = evaluate_split(model, Path(data) / split, info)
        else:
            print(f"no {split} folder in {data}: not evaluated", file=sys.stderr)
    for split, metrics in results.items():
        plot_confusion_matrix(metrics["confusion_matrix"], info["classes"],
                              f"{info['name']} on {split} (accuracy {metrics['accuracy']:.1%})",
                              model_dir / f"confusion_matrix_{split}.png")
        print(summary_line(split, metrics), file=sys.stderr)
    write_json(model_dir / "metrics.json", results)
    return results


def earlier_validation(model_dir: Path) -> dict | None:
    try:
        return read_json(model_dir / "metrics.json", "metrics").get("validation")
    except (FileNotFoundError, ValueError):
        return None


def summary_line(split: str, metrics: dict) -> str:
    return (f"{split}: accuracy {metrics['accuracy']:.4f}  macro-F1 {metrics['macro_f1']:.4f}  "
            f"MCC {metrics['mcc']:.4f}  lowest recall {metrics['min_recall']:.4f}  ({metrics['images']} images)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(MODELS / DEFAULT_MODEL_NAME), help="model folder written by "
                        "`python -m train` (default: %(default)s)")
    parser.add_argument("--data", default=default_dataset("blood-cells"),
                        help="dataset folder holding TEST/ and/or TEST_SIMPLE/ (default: %(default)s)")
    options = parser.parse_args(argv)
    return run_stage(lambda: evaluate_model_dir(Path(options.model), Path(options.data)),
                     (FileNotFoundError, DatasetError, OSError), lambda _: f"wrote {options.model}/metrics.json")


if __name__ == "__main__":
    sys.exit(main())
