"""How well the page finds white cells in whole fields of every lab: recall and precision against annotated boxes.

python -m bench.find_cells [--data FIELDS ...] [--web-root web] [--every N] [--todays-finder] [--out bench]

Each field's white-cell boxes (Pascal VOC, Annotations/<image>.xml, objects named WBC) are the truth.
Cells are found as the page finds them, with the default model's preprocessing (bench/page_cells.py):
the photo colour-corrected, then core/photo_cells.py, so a photo the smear check refuses gives no
cells (and is counted as refused). A found cell is a hit when its centre lies inside a white-cell box,
each box matched at most once (a centre inside several boxes takes the nearest free one). Two boxes
that overlap by half or more (intersection over union) are one cell boxed twice and count once (BCD's
annotations repeat some cells). Recall is given over every box and over whole cells: a box that
touches the photo's edge can be a sliver no one could name, and the page marks such a cell as cut by
the edge. Writes find_cells.json and, per lab, find_cells_errors_<lab>.png: the photos with misses or extra finds.
"""
import argparse
import sys
from pathlib import Path

from bench.defaults import FIELD_SETS
from bench.page_cells import cells_of, page_spec
from core.annotated_fields import HELD_OUT_EVERY, assign, field_photos, touches_edge, white_cell_boxes
from core.finder import default_finder_spec
from core.cli import run_stage
from core.files import write_json
from core.model_index import NoModel, default_model
from core.paths import SHARED_DATA, default_dataset
from core.preprocess import load_rgb


def match(centres: list, boxes: list) -> tuple:
    """(hits, found cells matching no box, boxes no cell matched)."""
    hits = sum(k is not None for k in assign(centres, boxes))
    return hits, len(centres) - hits, len(boxes) - hits


def lab_results(data: Path, spec: dict, classify=None, every: int = 1, change=None) -> list:
    """Per photo (every Nth): its boxes, its status, the cells found and the box each matches; with
    `classify` (the found cells' inputs -> {field: one value per cell}), those fields as well; with
    `change`, each photo changed so first (bench/page_cells.py cells_of)."""
    photos = field_photos(data)[::every]
    results = []
    for number, photo in enumerate(photos, 1):
        place = (number - 1) * every
        boxes = white_cell_boxes(Path(data) / "Annotations" / f"{photo.stem}.xml")
        rgb = load_rgb(photo)
        found = cells_of(rgb, spec, change)
        matched = assign(found["centres"], boxes)
        hits = sum(k is not None for k in matched)
        whole = [k for k, box in enumerate(boxes) if not touches_edge(box, rgb.shape)]
        results.append({"photo": photo.name, "held_out": place % HELD_OUT_EVERY == 0, "status": found["status"], "boxes": boxes, "found": found["centres"],
                        "whole_boxes": len(whole), "whole_hits": len(set(whole) & set(matched)),
                        "cut_by_edge": [cell["touches_edge"] for cell in found["cells"]], "matched": matched,
                        "hits": hits, "extra": len(matched) - hits, "missed": len(boxes) - hits,
                        **(classify(found["inputs"]) if classify else {})})
        if number % 50 == 0 or number == len(photos):
            print(f"  {Path(data).name}: {number}/{len(photos)} photos", file=sys.stderr, flush=True)
    return results


def summary(results: list) -> dict:
    hits = sum(r["hits"] for r in results)
    found = hits + sum(r["extra"] for r in results)
    boxes = hits + sum(r["missed"] for r in results)
    whole, whole_hits = sum(r["whole_boxes"] for r in results), sum(r["whole_hits"] for r in results)
    return {"smears": len(results), "refused": sum(r["status"] == "not-smear" for r in results),
            "white_cell_boxes": boxes, "found": found, "hits": hits,
            "recall": hits / boxes if boxes else None, "precision": hits / found if found else None,
            "whole_cell_boxes": whole, "whole_cell_hits": whole_hits,
            "whole_cell_recall": whole_hits / whole if whole else None}


def draw_errors(data: Path, results: list, path: Path, most: int = 12) -> str | None:
    """The photos with a miss or an extra find: annotated boxes green, found centres (red when extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from core.plots import save_figure

    wrong = [r for r in results if r["extra"] or r["missed"]][:most]
    if not wrong:
        return None
    columns = 4
    figure, axes = plt.subplots(-(-len(wrong) // columns), columns, figsize=(16, 3 * -(-len(wrong) // columns)),
                                squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, result in zip(axes.ravel(), wrong):
        axis.imshow(load_rgb(Path(data) / "JPEGImages" / result["photo"]))
        for left, top, right, bottom in result["boxes"]:
            axis.add_patch(plt.Rectangle((left, top), right - left, bottom - top, fill=False, color="lime", lw=1.5))
        for (y, x), box in zip(result["found"], result["matched"]):
            axis.plot(x, y, "o", color="white" if box is not None else "red", markersize=6, markeredgecolor="black")
        refused = ", refused by the smear check" if result["status"] == "not-smear" else ""
        name = result["photo"] if len(result["photo"]) <= 24 else result["photo"][:12] + "..."  # titles fit
        axis.set_title(f"{name}: {result['missed']} missed, {result['extra']} extra{refused}", fontsize=8)
    save_figure(figure, path)
    return path.name


def lab_name(data: Path) -> str:
    return Path(data).resolve().name


def lab_figures(data: Path, results: list, out: Path) -> dict:
    """One lab's summary, its error picture and the photos it got wrong."""
    picture = draw_errors(data, results, Path(out) / f"find_cells_errors_{lab_name(data)}.png")
    return {**summary(results), "picture": picture,
            "smears_with_errors": [{key: r[key] for key in ("photo", "status", "hits", "extra", "missed")}
                                   for r in results if r["extra"] or r["missed"]]}


def measure(datas: list, out: Path, spec: dict, every: int = 1) -> dict:
    """{"labs": {lab: figures}}, also written to OUT/find_cells.json."""
    Path(out).mkdir(parents=True, exist_ok=True)
    labs = {lab_name(data): lab_figures(data, lab_results(data, spec, every=every), out) for data in datas}
    measured = {"every": every, "labs": labs}
    write_json(Path(out) / "find_cells.json", measured)
    return measured


def describe(measured: dict) -> str:
    return "\n".join(f"{lab}: recall {m['recall']:.3f} ({m['hits']} of {m['white_cell_boxes']} boxes; whole cells "
                     f"{m['whole_cell_recall']:.3f}, {m['whole_cell_hits']} of {m['whole_cell_boxes']}), precision "
                     f"{m['precision']:.3f} ({m['hits']} of {m['found']} found) in {m['smears']} photos, "
                     f"{m['refused']} refused" for lab, m in measured["labs"].items())


def default_spec(web_root: Path, todays_finder: bool = False) -> dict:
    """The preprocessing of the model the page loads (WEB_ROOT/models/index.json's default); with
    `todays_finder`, its finder settings replaced by today's defaults, which the next trained model carries."""
    metadata, _ = default_model(Path(web_root) / "models")
    spec, filled = page_spec(metadata["preprocessing"])
    if "finder" not in spec:
        raise ValueError(f"{metadata['name']} {metadata['version']} finds no cells (crop {spec['crop']})")
    if todays_finder:
        return {**spec, "finder": default_finder_spec()}
    if filled:
        print(f"  {metadata['name']} {metadata['version']} predates finder settings {', '.join(filled)}: "
              "today's defaults are used", file=sys.stderr)
    return spec


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.find_cells", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append",
                        help="a folder with JPEGImages/ and Annotations/ (repeatable; default: "
                             f"{', '.join(FIELD_SETS)} under {SHARED_DATA})")
    parser.add_argument("--web-root", type=Path, default=Path("web"),
                        help="site whose default model's finder settings are used (default: %(default)s)")
    parser.add_argument("--every", type=int, default=1, help="only every Nth photo of each lab (default: all)")
    parser.add_argument("--todays-finder", action="store_true",
                        help="find cells with today's default finder settings (the next trained model's) "
                             "instead of the model's own")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="where find_cells.json goes (default: bench)")
    options = parser.parse_args(argv)
    datas = options.data or [Path(default_dataset(name)) for name in FIELD_SETS]
    spec = lambda: default_spec(options.web_root, options.todays_finder)  # noqa: E731 (a model error is reported)
    return run_stage(lambda: describe(measure(datas, options.out, spec(), options.every)),
                     (FileNotFoundError, ValueError, NoModel),
                     lambda text: f"{text}\nwrote {options.out / 'find_cells.json'}")


if __name__ == "__main__":
    sys.exit(main())
