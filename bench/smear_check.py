"""How often the smear check refuses a real smear (every lab) and lets through a picture that is not one.

python -m bench.smear_check [--every N] [--out bench]

Every photo of every lab in ../shared/data (pbc and blood-cells: every Nth, --every), colour-corrected and
checked as the page does (core/photo_cells.py); then real pictures that are not smears (bench/not_smears.py).
Writes smear_check.json: per lab the photos checked and refused (with the refused files named).
"""
import argparse
import sys
from pathlib import Path

from bench.not_smears import not_smears
from core.cli import run_stage
from core.files import write_json
from core.finder import find_candidates
from core.paths import SHARED_DATA
from core.preprocess import corrected_rgb, decoded_rgb, preprocessing_spec

LABS = {"pbc": "pbc/*/*/*.jpg", "blood-cells": "blood-cells/*/*/*.jpeg", "bccd-smears": "bccd-smears/JPEGImages/*.jpg",
        "deepbionet-fields": "deepbionet-fields/JPEGImages/*.jpg", "raabin-fields": "raabin-fields/JPEGImages/*.jpg",
        "bcd-fields": "bcd-fields/JPEGImages/*.jpg", "tecom": "tecom/VAL/*/*"}
SAMPLED = ("pbc", "blood-cells")  # thousands of near-identical crops: every Nth is enough


def is_smear(rgb, spec: dict) -> bool:
    return bool(find_candidates(rgb, spec["finder"])[1]["smear"]["is_smear"])


def lab_refusals(spec: dict, every: int, data: Path = SHARED_DATA) -> dict:
    labs = {}
    for lab, pattern in LABS.items():
        photos = sorted(Path(data).glob(pattern))[:: every if lab in SAMPLED else 1]
        if not photos:
            continue
        refused = [str(path.relative_to(data)) for path in photos if not is_smear(decoded_rgb(path, spec), spec)]
        labs[lab] = {"photos": len(photos), "refused": len(refused), "refused_photos": refused[:50]}
        print(f"  {lab}: {len(refused)} of {len(photos)} refused", file=sys.stderr, flush=True)
    return labs


def false_accepts(spec: dict) -> dict:
    pictures = not_smears()
    accepted = [name for name, rgb in pictures.items() if is_smear(corrected_rgb(rgb, spec), spec)]
    return {"pictures": len(pictures), "accepted": len(accepted), "accepted_pictures": accepted,
            "rate": len(accepted) / len(pictures)}


def measure(spec: dict, every: int, out: Path) -> dict:
    measured = {"every": every, "labs": lab_refusals(spec, every), "not_smears": false_accepts(spec)}
    write_json(Path(out) / "smear_check.json", measured)
    return measured


def describe(measured: dict) -> str:
    lines = [f"{lab}: {row['refused']} of {row['photos']} real smears refused" for lab, row in measured["labs"].items()]
    wrong = measured["not_smears"]
    lines.append(f"not smears: {wrong['accepted']} of {wrong['pictures']} accepted ({', '.join(wrong['accepted_pictures'])})")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.smear_check", description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=5, help="check every Nth photo of pbc and blood-cells (default: 5)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="where smear_check.json goes (default: bench)")
    options = parser.parse_args(argv)
    spec = preprocessing_spec()
    return run_stage(lambda: describe(measure(spec, options.every, options.out)), (FileNotFoundError, ValueError),
                     lambda text: f"{text}\nwrote {options.out / 'smear_check.json'}")


if __name__ == "__main__":
    sys.exit(main())
