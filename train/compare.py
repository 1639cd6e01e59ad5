"""Choose among trained models by validation alone: TEST and TEST_SIMPLE stay untouched by the choice.

python -m train.compare models/a models/b ...   prints a table and names the best by validation macro-F1
(ties: higher lowest recall, then fewer weights).
"""
import argparse
import sys
from pathlib import Path

from core.files import read_json


def candidate(model_dir: Path) -> dict:
    info = read_json(model_dir / "training.json", "training facts")
    validation = read_json(model_dir / "metrics.json", "metrics").get("validation")
    if validation is None:
        raise ValueError(f"{model_dir} has no validation metrics: it was not trained by python -m train")
    return {"dir": str(model_dir), "arch": info["arch"], "parameters": info["parameters"],
            "recipe": info.get("recipe", {}), "best_epoch": info["best_epoch"], "validation": validation}


def best_by_validation(candidates: list) -> dict:
    return max(candidates, key=lambda c: (round(c["validation"]["macro_f1"], 4),
                                          round(c["validation"]["min_recall"], 4), -c["parameters"]))


def comparison_table(candidates: list) -> str:
    lines = ["| model | arch | weights | recipe | best epoch | validation accuracy | macro-F1 | lowest recall |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for c in candidates:
        recipe = ", ".join(f"{k}={v}" for k, v in c["recipe"].items())
        v = c["validation"]
        lines.append(f"| {Path(c['dir']).name} | {c['arch']} | {c['parameters']:,} | {recipe} | {c['best_epoch']} "
                     f"| {v['accuracy']:.1%} | {v['macro_f1']:.3f} | {v['min_recall']:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.compare", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="model folders written by python -m train")
    options = parser.parse_args(argv)
    try:
        candidates = [candidate(Path(folder)) for folder in options.models]
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(comparison_table(candidates))
    print(f"\nbest by validation: {best_by_validation(candidates)['dir']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
