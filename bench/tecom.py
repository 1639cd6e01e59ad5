"""tecom VAL scored as the page would score it: a lab no model here is trained on (validation only).

python -m bench.tecom [--data ../shared/data/tecom] [--web-root web] [--out bench]

Each photo goes through the model's preprocessing as the page takes it (bench/page_cells.py: colour
correction, the smear check, the cells of the photo); the answer is the main cell's class (when the
photo has no main cell, its first cell's). A refused photo, or one where no cell was found, has no
answer and counts as wrong; how many there were is reported. Photos of a class the model does not
know are left out (and counted). Writes tecom.json.
"""
import argparse
import sys
from pathlib import Path

from bench.defaults import TECOM
from bench.page_cells import photo_answers, score
from bench.measured import model_named, published_model, written
from core.dataset import list_split
from core.paths import default_dataset

SPLIT = "VAL"


def measure(model, classes: list, spec: dict, data: Path, every: int = 1) -> dict:
    """Accuracy, balanced accuracy and the confusion of the page's answers on data/VAL (every Nth photo)."""
    folder = Path(data) / SPLIT
    if not folder.is_dir():
        raise FileNotFoundError(f"no {SPLIT}/ folder in {data}: point --data at the tecom folder")
    listing = list_split(folder, classes, unknown="skip")
    paths, truth = [str(path) for path in listing.paths][::every], list(listing.labels)[::every]
    answers, statuses = photo_answers(model, classes, spec, paths)
    return {"split": f"{Path(data).name}/{SPLIT}", "every": every, **score(truth, answers),
            "refused": statuses.count("not-smear"), "no_cell": statuses.count("no-cells"),
            "left_out_unknown_class": len(list_split(folder).paths) - len(listing.paths),
            "wrong": [{"photo": Path(p).name, "true": t, "answer": a}
                      for p, t, a in zip(paths, truth, answers) if t != a][:50]}


def describe(measured: dict) -> str:
    return (f"{measured['split']}: accuracy {measured['accuracy']:.1%}, balanced accuracy "
            f"{measured['balanced_accuracy']:.1%} over {measured['photos']} photos ({measured['refused']} refused, "
            f"{measured['no_cell']} without a cell, {measured['left_out_unknown_class']} of classes the model "
            "does not know left out)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tecom", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(default_dataset(TECOM)),
                        help="the tecom folder, holding VAL/<CLASS>/ (default: %(default)s)")
    parser.add_argument("--web-root", type=Path, default=Path("web"),
                        help="site whose default model is measured (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="where tecom.json goes (default: bench)")
    options = parser.parse_args(argv)

    def run():
        model, metadata, spec = published_model(options.web_root)
        return {**model_named(metadata), **measure(model, metadata["classes"], spec, options.data)}

    return written(run, options.out, "tecom.json", describe)


if __name__ == "__main__":
    sys.exit(main())
