"""Pooled against per-photo white points: every photo of a lab taken as one sample of one microscope.

python -m bench.pooled_colour [--fields FIELDS ...] [--tecom TECOM] [--web-root web] [--every N] [--out bench]

The page can balance a sample's photos with the sample's pooled white point (core/colour.py
pooled_white_point: the mean of its photos' own) instead of each photo's own. Here each lab is one such
sample: its pooled point is the mean over every photo measured (every Nth), and each photo is measured
twice, balanced by its own point and by the pooled one, with the page's default model. Finder recall and
precision on the field sets as bench/find_cells.py counts them; tecom VAL accuracy and balanced accuracy
as bench/tecom.py scores them. Writes pooled_colour.json.
"""
import argparse
import sys
from pathlib import Path

from bench.defaults import FIELD_SETS, TECOM
from bench.find_cells import field_photos, lab_name, lab_results, summary
from bench.page_cells import photo_answers, score
from bench.measured import published_model, written
from core.colour import colour_reference, constant_colour, pooled_white_point
from core.dataset import list_split
from core.paths import SHARED_DATA, default_dataset
from core.preprocess import load_rgb

BALANCES = ("per photo", "pooled")


def lab_white_point(paths: list, colour: dict) -> list:
    """The lab's pooled white point: the mean of its photos' own."""
    return pooled_white_point([colour_reference(load_rgb(path), colour)["white_point"] for path in paths])


def balanced(spec: dict, pooled: list | None) -> tuple:
    """(the spec without its colour block, the change that balances a photo as the block says, by `pooled`
    when given): the same path for both balances, so they differ in the white point only."""
    colour = spec["colour"]
    plain = {key: value for key, value in spec.items() if key != "colour"}
    return plain, lambda rgb: constant_colour(rgb, colour, pooled)


def finder_figures(data: Path, spec: dict, every: int) -> dict:
    pooled = lab_white_point(field_photos(data)[::every], spec["colour"])
    figures = {"pooled_white_point": pooled}
    for name, point in zip(BALANCES, (None, pooled)):
        plain, change = balanced(spec, point)
        figures[name] = summary(lab_results(data, plain, every=every, change=change))
    return figures


def tecom_figures(model, classes: list, spec: dict, data: Path, every: int) -> dict:
    listing = list_split(Path(data) / "VAL", classes, unknown="skip")
    paths, truth = [str(path) for path in listing.paths][::every], list(listing.labels)[::every]
    pooled = lab_white_point(paths, spec["colour"])
    figures = {"pooled_white_point": pooled}
    for name, point in zip(BALANCES, (None, pooled)):
        plain, change = balanced(spec, point)
        answers, statuses = photo_answers(model, classes, plain, paths, change)
        measured = score(truth, answers)
        figures[name] = {key: measured[key] for key in ("photos", "accuracy", "balanced_accuracy", "no_answer")}
        figures[name]["refused"] = statuses.count("not-smear")
    return figures


def measure(web_root: Path, fields: list, tecom: Path, every: int) -> dict:
    model, metadata, spec = published_model(web_root)
    if "colour" not in spec or "finder" not in spec:
        raise ValueError(f"{metadata['name']} {metadata['version']} has no colour correction or no finder: "
                         "nothing to pool")
    labs = {lab_name(data): finder_figures(data, spec, every) for data in fields}
    return {"model": {"name": metadata["name"], "version": metadata["version"]}, "every": every,
            "fields": labs, "tecom": tecom_figures(model, metadata["classes"], spec, tecom, every)}


def describe(measured: dict) -> str:
    lines = [f"{measured['model']['name']} {measured['model']['version']}, every {measured['every']} photo(s); "
             "per photo -> pooled"]
    for lab, figures in measured["fields"].items():
        own, pooled = figures["per photo"], figures["pooled"]
        lines.append(f"{lab} (pooled white point {figures['pooled_white_point']}): recall {own['recall']:.3f} -> "
                     f"{pooled['recall']:.3f}, precision {own['precision']:.3f} -> {pooled['precision']:.3f}, "
                     f"refused {own['refused']} -> {pooled['refused']} of {own['smears']}")
    own, pooled = measured["tecom"]["per photo"], measured["tecom"]["pooled"]
    lines.append(f"tecom VAL (pooled white point {measured['tecom']['pooled_white_point']}): balanced accuracy "
                 f"{own['balanced_accuracy']:.1%} -> {pooled['balanced_accuracy']:.1%}, accuracy {own['accuracy']:.1%} "
                 f"-> {pooled['accuracy']:.1%}, refused {own['refused']} -> {pooled['refused']} of {own['photos']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pooled_colour", description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=Path, action="append",
                        help="a folder with JPEGImages/ and Annotations/ (repeatable; default: "
                             f"{', '.join(FIELD_SETS)} under {SHARED_DATA})")
    parser.add_argument("--tecom", type=Path, default=Path(default_dataset(TECOM)),
                        help="the tecom folder, holding VAL/<CLASS>/ (default: %(default)s)")
    parser.add_argument("--web-root", type=Path, default=Path("web"),
                        help="site whose default model is measured (default: %(default)s)")
    parser.add_argument("--every", type=int, default=1, help="only every Nth photo of each lab (default: all)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="where pooled_colour.json goes (default: bench)")
    options = parser.parse_args(argv)
    fields = options.fields or [Path(default_dataset(name)) for name in FIELD_SETS]

    return written(lambda: measure(options.web_root, fields, options.tecom, options.every), options.out,
                   "pooled_colour.json", describe)


if __name__ == "__main__":
    sys.exit(main())
