"""Choose among trained models by validation alone, in-lab and cross-lab: TEST splits stay untouched.

python -m train.compare models/a models/b ...   prints a table and names the best.

A candidate's score is the mean of two figures, each a mean balanced accuracy on validation parts:
in-lab (each source's validation part, for the model trained on all sources) and cross-lab (each
source's validation part, for the same recipe trained on the other sources alone; see
python -m train.crosslab). A recipe must both fit the labs it knows and travel to labs it does not.
Candidates without cross-lab figures are ranked by in-lab figures alone, after those that have them.
"""
import argparse
import sys
from pathlib import Path

from core.artifacts import TrainedFolder
from core.files import read_json


def candidate(model_dir: Path) -> dict:
    folder = TrainedFolder(model_dir)
    info, metrics = folder.facts(), folder.metrics()
    if not metrics.get("validation"):
        raise ValueError(f"{model_dir} has no validation metrics: it was not trained by python -m train")
    cross = read_json(folder.cross_lab_file, "cross-lab results") if folder.cross_lab_file.exists() else None
    return {"dir": str(model_dir), "arch": info["arch"], "parameters": info["parameters"],
            "recipe": info.get("recipe", {}), "metrics": metrics, "cross_lab": cross}


def in_lab(c: dict) -> float:
    return c["metrics"]["validation"]["balanced_accuracy"]


def cross_lab(c: dict):
    return c["cross_lab"]["summary"].get("validation") if c["cross_lab"] else None


def selection_score(c: dict) -> tuple:
    """(has cross-lab figures, score): in-lab and cross-lab validation weigh the same."""
    cross = cross_lab(c)
    return (cross is not None, (in_lab(c) + cross) / 2 if cross is not None else in_lab(c))


def best(candidates: list) -> dict:
    return max(candidates, key=lambda c: (*selection_score(c), -c["parameters"]))


def percent(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def comparison_table(candidates: list) -> str:
    sources = sorted({name for c in candidates for name in c["metrics"]["sources"]})
    header = ["model", "arch", "weights", "recipe", *[f"{s} validation" for s in sources], "in-lab",
              "cross-lab", "score"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for c in candidates:
        per_source = [percent(c["metrics"]["sources"].get(s, {}).get("validation", {}).get("balanced_accuracy"))
                      for s in sources]
        recipe = ", ".join(f"{k}={v}" for k, v in c["recipe"].items())
        row = [Path(c["dir"]).name, c["arch"], f"{c['parameters']:,}", recipe, *per_source, percent(in_lab(c)),
               percent(cross_lab(c)), percent(selection_score(c)[1])]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n\n(balanced accuracy on validation parts: mean recall over the classes present)"


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
    print(f"\nbest by validation (in-lab and cross-lab): {best(candidates)['dir']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
