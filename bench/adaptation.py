"""How far a few labelled cells of a new lab take a model, beside recalibrating it on unlabelled photos.

python -m bench.adaptation [--model models/leukolens-cnn] [--cells 10 20 50]

Uses the leave-one-lab-out twins `make train` leaves in MODEL/cross-lab/only-<lab>/: each was trained on
one lab and never saw the other. For each twin and each other lab it scores, on that lab's TEST split:
the twin as it is; the twin fine-tuned (python -m train --init-from) on 10, 20 and 50 labelled cells per
class drawn from that lab's training part, with the output layer alone or every layer learning; and the
twin recalibrated (python -m train.recalibrate) on that lab's unlabelled photos. Which way to fine-tune
is chosen on the lab's validation part; TEST is reported. Writes bench/adaptation.md, .json and .png.
"""
import argparse
import sys
from pathlib import Path

from core.cli import run_stage
from core.dataset import DatasetError
from core.artifacts import TrainedFolder
from core.files import atomic_path, write_json
from core.paths import CACHE, DEFAULT_MODEL_NAME, MODELS
from train import FINE_TUNING_EPOCHS, FINE_TUNING_RATE

CELLS = (10, 20, 50)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.adaptation", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODELS / DEFAULT_MODEL_NAME,
                        help="a model trained on several labs, with its cross-lab twins (default: %(default)s)")
    parser.add_argument("--cells", type=int, nargs="+", default=list(CELLS), help="labelled cells per class")
    parser.add_argument("--epochs", type=int, default=FINE_TUNING_EPOCHS,
                        help="fine-tuning epochs (default: %(default)s, as make adapt)")
    parser.add_argument("--learning-rate", type=float, default=FINE_TUNING_RATE,
                        help="fine-tuning's peak learning rate (default: %(default)s, as make adapt)")
    parser.add_argument("--seed", type=int, default=0, help="which cells are drawn")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="folder for adaptation.md/.json/.png")
    parser.add_argument("--work", type=Path, default=CACHE / "adaptation",
                        help="scratch folder for the drawn cells and the adapted models (default: %(default)s)")
    return parser.parse_args(argv)


def twins(model_dir: Path) -> list:
    """(twin folder, the lab it was trained on, the other labs' folders)."""
    info = TrainedFolder(model_dir).facts()
    sources = {s["name"]: s["path"] for s in info["sources"]}
    found = []
    for name in sources:
        folder = TrainedFolder(model_dir).cross_lab_twin(name)
        if not TrainedFolder(folder).has_model():
            raise FileNotFoundError(f"{TrainedFolder(folder).model_file} not found: make train trains the cross-lab twins "
                                    f"(or python -m train.crosslab --model {model_dir})")
        found.append((folder, name, [Path(path) for lab, path in sources.items() if lab != name]))
    return found


def run(options) -> dict:
    from bench.adapting import adapt_pair

    pairs = []
    for twin, trained_on, others in twins(options.model):
        for lab in others:
            print(f"adapting {twin.name} to {lab.name}", file=sys.stderr, flush=True)
            pairs.append({"trained_on": trained_on, "scored_on": lab.name,
                          **adapt_pair(twin, lab, options)})
    result = {"model": options.model.name, "cells_per_class": options.cells, "epochs": options.epochs,
              "learning_rate": options.learning_rate,
              "seed": options.seed, "pairs": pairs}
    options.out.mkdir(parents=True, exist_ok=True)
    write_json(options.out / "adaptation.json", result)
    from bench.adaptation_report import plot, render
    from bench import adaptation_heads, browser_adaptation
    from bench.browser_adaptation_report import kept_sections

    plot(result, options.out / "adaptation.png")
    in_browser = kept_sections(options.out / "adaptation.md", [(adaptation_heads.BEGIN, adaptation_heads.END),
                                                                (browser_adaptation.BEGIN, browser_adaptation.END),
                                                                (browser_adaptation.NOTES_BEGIN, browser_adaptation.NOTES_END)])
    with atomic_path(options.out / "adaptation.md") as temporary:
        temporary.write_text(render(result) + in_browser)
    return result


def main(argv=None) -> int:
    options = parse_args(argv)
    return run_stage(lambda: run(options), (FileNotFoundError, DatasetError, ValueError),
                     lambda _: f"wrote {options.out}/adaptation.md, adaptation.json and adaptation.png")


if __name__ == "__main__":
    sys.exit(main())
