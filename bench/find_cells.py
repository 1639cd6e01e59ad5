"""How well the page finds white cells in whole smear photos: recall and precision against annotated boxes.

python -m bench.find_cells [--data ../shared/data/bccd-smears] [--out bench]

Each smear's white-cell boxes (Pascal VOC, Annotations/<image>.xml, objects named WBC) are the truth.
A found cell is a hit when its centre lies inside a white-cell box, each box matched at most once
(a centre inside several boxes takes the nearest free one). Runs core/finder.py, the twin of the
page's web/js/finder.js (a test holds them to the same answers), with the default finder settings
or a published model's. Writes find_cells.json and a picture of the photos with misses or extra finds.
"""
import argparse
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from core.cli import run_stage
from core.files import write_json
from core.finder import default_finder_spec, find_cells
from core.paths import default_dataset
from core.preprocess import load_rgb


def white_cell_boxes(annotation: Path) -> list:
    """[(left, top, right, bottom)] of the objects named WBC."""
    boxes = []
    for item in ElementTree.parse(annotation).findall("object"):
        if item.findtext("name", "").strip().upper() == "WBC":
            box = item.find("bndbox")
            boxes.append(tuple(round(float(box.findtext(k))) for k in ("xmin", "ymin", "xmax", "ymax")))
    return boxes


def match(centres: list, boxes: list) -> tuple:
    """(hits, found cells matching no box, boxes no cell matched)."""
    free, hits, extra = set(range(len(boxes))), 0, 0
    for y, x in centres:
        inside = [k for k in free if boxes[k][0] <= x <= boxes[k][2] and boxes[k][1] <= y <= boxes[k][3]]
        if not inside:
            extra += 1
            continue
        nearest = min(inside, key=lambda k: (boxes[k][0] + boxes[k][2] - 2 * x) ** 2 + (boxes[k][1] + boxes[k][3] - 2 * y) ** 2)
        free.discard(nearest)
        hits += 1
    return hits, extra, len(free)


def smear_results(data: Path, spec: dict) -> list:
    photos = sorted((data / "JPEGImages").glob("*.jpg"))
    if not photos:
        raise FileNotFoundError(f"no smear photos in {data / 'JPEGImages'}: point --data at the bccd-smears folder")
    results = []
    for number, photo in enumerate(photos, 1):
        boxes = white_cell_boxes(data / "Annotations" / f"{photo.stem}.xml")
        cells = find_cells(load_rgb(photo), spec)
        hits, extra, missed = match([tuple(cell["centre"]) for cell in cells], boxes)
        results.append({"photo": photo.name, "boxes": boxes, "found": [cell["centre"] for cell in cells],
                        "cut_by_edge": [cell["touches_edge"] for cell in cells],
                        "hits": hits, "extra": extra, "missed": missed})
        if number % 50 == 0 or number == len(photos):
            print(f"  {number}/{len(photos)} smears", file=sys.stderr, flush=True)
    return results


def summary(results: list) -> dict:
    hits = sum(r["hits"] for r in results)
    found = hits + sum(r["extra"] for r in results)
    boxes = hits + sum(r["missed"] for r in results)
    measured = {"smears": len(results), "white_cell_boxes": boxes, "found": found, "hits": hits,
                "recall": hits / boxes if boxes else None, "precision": hits / found if found else None}
    return measured


def draw_errors(data: Path, results: list, path: Path, most: int = 12) -> str | None:
    """The smears with a miss or an extra find: annotated boxes green, found centres (red when extra)."""
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
        axis.imshow(load_rgb(data / "JPEGImages" / result["photo"]))
        for left, top, right, bottom in result["boxes"]:
            axis.add_patch(plt.Rectangle((left, top), right - left, bottom - top, fill=False, color="lime", lw=1.5))
        for y, x in result["found"]:
            inside = any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in result["boxes"])
            axis.plot(x, y, "o", color="white" if inside else "red", markersize=6, markeredgecolor="black")
        axis.set_title(f"{result['photo']}: {result['missed']} missed, {result['extra']} extra", fontsize=8)
    save_figure(figure, path)
    return path.name


def measure(data: Path, out: Path, spec: dict = None) -> dict:
    results = smear_results(Path(data), spec or default_finder_spec())
    measured = {**summary(results), "picture": draw_errors(Path(data), results, Path(out) / "find_cells_errors.png"),
                "smears_with_errors": [r for r in results if r["extra"] or r["missed"]]}
    write_json(Path(out) / "find_cells.json", measured)
    return measured


def describe(measured: dict) -> str:
    return (f"white cells in {measured['smears']} smears: recall {measured['recall']:.3f} "
            f"({measured['hits']} of {measured['white_cell_boxes']} boxes), precision {measured['precision']:.3f} "
            f"({measured['hits']} of {measured['found']} found)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.find_cells", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(default_dataset("bccd-smears")),
                        help="folder with JPEGImages/ and Annotations/ (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="where find_cells.json goes (default: bench)")
    options = parser.parse_args(argv)
    return run_stage(lambda: describe(measure(options.data, options.out)), (FileNotFoundError, ValueError),
                     lambda text: f"{text}\nwrote {options.out / 'find_cells.json'}")


if __name__ == "__main__":
    sys.exit(main())
