"""The robustness table: accuracy on TEST photos of two labs under controlled changes, each against clean.

python -m bench.robustness [--data ../shared/data/pbc --data ../shared/data/blood-cells] [--sample 300] [--seed 0]

A seeded sample of each source's TEST photos is changed as another microscope or camera would change it
(bench/casts.py CHANGES: colour casts, blur, JPEG quality, scale) and then taken as the page takes a
photo (bench/page_cells.py: colour correction, the smear check, the main cell); a photo left without
an answer counts as wrong. Target: each change within 3 points of clean (a drop of at most 3 points).
Writes robustness.json.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from bench.casts import CHANGES
from bench.defaults import ROBUSTNESS_SAMPLE, ROBUSTNESS_SOURCES
from bench.page_cells import photo_answers, score
from bench.measured import model_named, published_model, written
from core.dataset import list_split
from core.paths import default_dataset

SPLIT = "TEST"
CLEAN = "clean"


def sample_photos(split_dir: Path, size: int, seed: int) -> list:
    """[(path, class)] of `size` photos of the split drawn without replacement (all of them when fewer),
    the same ones for the same seed, in name order."""
    listing = list_split(split_dir)
    pairs = sorted(zip(map(str, listing.paths), listing.labels))
    if len(pairs) > size:
        pairs = [pairs[i] for i in sorted(np.random.default_rng(seed).choice(len(pairs), size, replace=False))]
    return pairs


def source_table(model, classes: list, spec: dict, photos: list, changes: dict) -> dict:
    """{change: accuracy, points against clean, photos without an answer} on the photos of the model's classes."""
    known = [(path, name) for path, name in photos if name in classes]
    paths, truth = [path for path, _ in known], [name for _, name in known]
    rows = {}
    for name, change in {CLEAN: None, **changes}.items():
        answers, statuses = photo_answers(model, classes, spec, paths, change)
        scored = score(truth, answers)
        rows[name] = {**{key: scored[key] for key in ("photos", "accuracy", "balanced_accuracy", "no_answer")},
                      "refused": statuses.count("not-smear")}
        print(f"  {name}: accuracy {scored['accuracy']:.1%}", file=sys.stderr, flush=True)
    for row in rows.values():
        row["points_vs_clean"] = 100 * (row["accuracy"] - rows[CLEAN]["accuracy"]) if known else None
    return {"photos_sampled": len(photos), "photos_scored": len(known), "changes": rows}


def measure(model, classes: list, spec: dict, datas: list, size: int, seed: int = 0, changes: dict = None) -> dict:
    """{"sources": {"source/TEST": table}} for every source folder."""
    tables = {}
    for data in datas:
        key = f"{Path(data).name}/{SPLIT}"
        print(f"robustness on {key}", file=sys.stderr, flush=True)
        tables[key] = source_table(model, classes, spec, sample_photos(Path(data) / SPLIT, size, seed),
                                   CHANGES if changes is None else changes)
    return {"sample": size, "seed": seed, "sources": tables}


def describe(measured: dict) -> str:
    lines = []
    for key, table in measured["sources"].items():
        cells = ", ".join(f"{name} {row['accuracy']:.1%} ({row['points_vs_clean']:+.1f})"
                          for name, row in table["changes"].items())
        lines.append(f"{key} ({table['photos_scored']} photos): {cells}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.robustness", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", help="a source folder holding TEST/ (repeatable; "
                        f"default: {', '.join(ROBUSTNESS_SOURCES)} in the shared data)")
    parser.add_argument("--sample", type=int, default=ROBUSTNESS_SAMPLE["full"],
                        help="TEST photos per source (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="which sample (default: %(default)s)")
    parser.add_argument("--web-root", type=Path, default=Path("web"),
                        help="site whose default model is measured (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="where robustness.json goes (default: bench)")
    options = parser.parse_args(argv)
    datas = options.data or [Path(default_dataset(name)) for name in ROBUSTNESS_SOURCES]

    def run():
        model, metadata, spec = published_model(options.web_root)
        return {**model_named(metadata), **measure(model, metadata["classes"], spec, datas, options.sample, options.seed)}

    return written(run, options.out, "robustness.json", describe)


if __name__ == "__main__":
    sys.exit(main())
