"""How the model names the white cells of labs whose fields have no white-cell classes: label-free checks.

python -m bench.label_free [--data FIELDS ...] [--web-root web] [--out bench]

Every cell the page finds in each field (bench/find_cells.py, the page's own way) is classified by the
published model rebuilt in Keras. Per lab: the share of found cells that match an annotated white-cell
box and are called PLATELET or ERYTHROBLAST (about 0 is right: a boxed white cell is neither); the
predicted differential (each class's share of the found white cells: normal blood has immature
granulocytes and basophils at a few per cent at most, and no erythroblasts); and the agreement under
flips and quarter turns (the share of cells whose top class is the same on all 8 dihedral versions
of its input, which a cell's class does not depend on). Writes label_free.json.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from bench import find_cells
from bench.defaults import LABEL_FREE_SETS
from bench.page_cells import dihedral, predict
from bench.measured import model_named, published_model, written
from core.paths import SHARED_DATA, default_dataset

NOT_WHITE_CELLS = ("PLATELET", "ERYTHROBLAST")


def cell_verdicts(model, classes: list):
    """find_cells.lab_results' classify hook: per found cell, its top class and whether all 8 dihedral
    versions of its input share it."""
    def classify(inputs: list) -> dict:
        if not inputs:
            return {"classes": [], "dihedral_agrees": []}
        versions = dihedral(np.asarray(inputs, np.float32))  # 8 x N x H x W x 3
        top = predict(model, versions.reshape(-1, *versions.shape[2:])).argmax(axis=1).reshape(8, len(inputs))
        return {"classes": [classes[k] for k in top[0]],
                "dihedral_agrees": [bool(agrees) for agrees in (top == top[0]).all(axis=0)]}
    return classify


def share(count: int, total: int):
    return count / total if total else None


def lab_checks(results: list, classes: list) -> dict:
    """The label-free figures of one lab's classified results, over its held-out photos only (training may
    learn from the others without their classes: core/annotated_fields.py)."""
    results = [r for r in results if r["held_out"]]
    called = [name for r in results for name in r["classes"]]
    boxed = [name for r in results for name, box in zip(r["classes"], r["matched"]) if box is not None]
    not_white = sum(name in NOT_WHITE_CELLS for name in boxed)
    agrees = [agree for r in results for agree in r["dihedral_agrees"]]
    return {"photos": len(results), "refused": sum(r["status"] == "not-smear" for r in results),
            "found_cells": len(called), "boxed_found_cells": len(boxed),
            "boxed_called_platelet_or_erythroblast": not_white,
            "boxed_platelet_or_erythroblast_share": share(not_white, len(boxed)),
            "boxed_called": {name: boxed.count(name) for name in classes},
            "differential": {name: share(called.count(name), len(called)) for name in classes},
            "dihedral_agreement": share(sum(agrees), len(agrees))}


def measure(model, classes: list, spec: dict, datas: list, every: int = 1) -> dict:
    """{"labs": {lab: label-free figures}}, each lab's found cells classified by `model`."""
    classify = cell_verdicts(model, classes)
    return {"every": every, "labs": {find_cells.lab_name(data): lab_checks(
        find_cells.lab_results(data, spec, classify, every), classes) for data in datas}}


def describe(measured: dict) -> str:
    lines = []
    for lab, m in measured["labs"].items():
        differential = ", ".join(f"{name} {value:.1%}" for name, value in m["differential"].items() if value)
        lines.append(f"{lab}: {m['found_cells']} cells found in {m['photos']} photos ({m['refused']} refused); "
                     f"boxed cells called platelet or erythroblast {pct(m['boxed_platelet_or_erythroblast_share'])} "
                     f"of {m['boxed_found_cells']}; same class on all 8 flips and turns "
                     f"{pct(m['dihedral_agreement'])}; differential: {differential}")
    return "\n".join(lines)


def pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def run(options) -> dict:
    model, metadata, spec = published_model(options.web_root)
    if "finder" not in spec:
        raise ValueError(f"{metadata['name']} {metadata['version']} finds no cells (crop {spec['crop']})")
    datas = options.data or [Path(default_dataset(name)) for name in LABEL_FREE_SETS]
    return {**model_named(metadata), **measure(model, metadata["classes"], spec, datas, options.every)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.label_free", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append",
                        help="a folder with JPEGImages/ and Annotations/ (repeatable; default: "
                             f"{', '.join(LABEL_FREE_SETS)} under {SHARED_DATA})")
    parser.add_argument("--web-root", type=Path, default=Path("web"),
                        help="site whose default model is measured (default: %(default)s)")
    parser.add_argument("--every", type=int, default=1, help="only every Nth photo of each lab (default: all)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="where label_free.json goes (default: bench)")
    options = parser.parse_args(argv)
    return written(lambda: run(options), options.out, "label_free.json", describe)


if __name__ == "__main__":
    sys.exit(main())
