"""python -m bench [--quick]: measure the page's default model; write results.md, results.json, predictions.json."""
import argparse
import shlex
import subprocess
import sys
from pathlib import Path

from bench.defaults import FIELD_SETS, PREVIOUS_MODEL, QUICK_SAMPLE, ROBUSTNESS_SOURCES, TECOM
from core.artifacts import confusion_matrix_picture
from core.cli import run_stage
from core.dataset import DatasetError
from core.files import atomic_path, write_json
from core.model_index import NoModel
from core.paths import default_dataset


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--web-root", type=Path, default=Path("web"), help="site whose default model is measured")
    parser.add_argument("--data", type=Path, action="append", help="a source folder holding TEST/ and/or "
                        "TEST_SIMPLE/ (repeatable; default: the shared copy of each source the model was trained on)")
    parser.add_argument("--previous", default=PREVIOUS_MODEL, help="the model to compare with: REV:PATH of a "
                        "published model folder in this repository's git history, or a folder "
                        "(default: %(default)s, the 4-class model shipped before several sources)")
    parser.add_argument("--smears", type=Path, default=Path(default_dataset("bccd-smears")),
                        help="whole smear photos with annotated white cells, for measuring cell finding "
                             "(default: %(default)s; skipped when absent)")
    parser.add_argument("--fields", type=Path, action="append",
                        help="whole fields of one lab with annotated white cells (JPEGImages/, Annotations/), for "
                             "cell finding and the label-free checks (repeatable; default: "
                             f"{', '.join(FIELD_SETS)} in the shared data; a missing one is skipped)")
    parser.add_argument("--tecom", type=Path, default=Path(default_dataset(TECOM)),
                        help="a lab never trained on, holding VAL/<CLASS>/ (default: %(default)s; skipped when absent)")
    parser.add_argument("--robustness-data", type=Path, action="append",
                        help="a source holding TEST/ for the robustness table (repeatable; default: "
                             f"{', '.join(ROBUSTNESS_SOURCES)} in the shared data)")
    parser.add_argument("--out", type=Path, help="where the results go (default: bench/, or bench/quick/ with --quick)")
    parser.add_argument("--models", type=Path, default=Path("models"),
                        help="training output folder: the tutorial baseline is read from, or trained into, "
                             "MODELS/tutorial-baseline/")
    parser.add_argument("--tutorial-epochs", type=int, help="most epochs when the tutorial baseline must be trained "
                        "first (default: python -m train's own; 0: not trained, only its size and speed measured, as "
                        "--quick does: training it takes over an hour on 2 cores)")
    parser.add_argument("--quick", action="store_true", help="smoke run in under two minutes: per source TEST_SIMPLE, "
                        f"or else {QUICK_SAMPLE} TEST photos; WASM only, few repetitions, untrained tutorial network; "
                        "never overwrites the full results")
    options = parser.parse_args(argv)
    options.out = options.out or Path("bench/quick" if options.quick else "bench")
    options.fields = options.fields or [Path(default_dataset(name)) for name in FIELD_SETS]
    options.robustness_data = options.robustness_data or [Path(default_dataset(name)) for name in ROBUSTNESS_SOURCES]
    return options


def write_outputs(results: dict, predictions: dict, out: Path, command: str) -> None:
    from bench.quality import save_confusion_matrix
    from bench.report import render
    from bench.sources import file_stem

    out.mkdir(parents=True, exist_ok=True)
    name = results["model"]["name"]
    results["confusion_matrices"] = {
        key: save_confusion_matrix(q["keras"], f"{name} on {key} (accuracy {q['keras']['accuracy']:.1%})",
                                   out / confusion_matrix_picture(file_stem(key)))
        for key, q in results["quality"].items()}
    results["command"] = command
    write_json(out / "results.json", results)
    write_json(out / "predictions.json", predictions)
    with atomic_path(out / "results.md") as temporary:
        temporary.write_text(render(results, command))


def main(argv=None) -> int:
    options = parse_args(argv)
    from bench.run import run_bench  # TensorFlow loads slowly; keep --help instant

    command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])

    def measure_and_write():
        write_outputs(*run_bench(options), options.out, command)

    return run_stage(measure_and_write,
                     (FileNotFoundError, NoModel, DatasetError, ValueError, RuntimeError, subprocess.CalledProcessError),
                     lambda _: f"wrote {options.out}/results.md, results.json and predictions.json")


if __name__ == "__main__":
    sys.exit(main())
