"""bench.pooled_colour: its per-photo figures are the ordinary bench's (bench.find_cells, bench.tecom) and its
pooled ones use the lab's pooled white point, on drawn fields and the tiny published model."""
import json

from PIL import Image

from bench import find_cells, tecom
from bench.measured import published_model
from bench.pooled_colour import main
from core.colour import colour_reference, pooled_white_point
from core.preprocess import load_rgb
from tests.test_bench import smears  # noqa: F401  (the drawn, annotated fields)


def test_per_photo_figures_are_the_ordinary_benchs_and_the_pool_is_the_labs_mean(
        published_site, second_source, smears, tmp_path):  # noqa: F811
    dimmed = tmp_path / "fields"
    (dimmed / "JPEGImages").mkdir(parents=True)
    (dimmed / "Annotations").mkdir()
    for number, photo in enumerate(sorted((smears / "JPEGImages").glob("*.jpg"))):
        # one microscope, fields of two brightnesses: the pooled point is neither photo's own
        rgb = load_rgb(photo).astype(int) * (10 - 2 * number) // 10
        Image.fromarray(rgb.astype("uint8")).save(dimmed / "JPEGImages" / photo.name, quality=95)
        (dimmed / "Annotations" / f"{photo.stem}.xml").write_bytes((smears / "Annotations" / f"{photo.stem}.xml").read_bytes())
    assert main(["--web-root", str(published_site), "--fields", str(dimmed), "--tecom", str(second_source),
                 "--out", str(tmp_path / "out")]) == 0
    measured = json.loads((tmp_path / "out" / "pooled_colour.json").read_text())
    model, metadata, spec = published_model(published_site)

    lab = measured["fields"]["fields"]
    ordinary = find_cells.summary(find_cells.lab_results(dimmed, spec))
    assert lab["per photo"] == ordinary
    own = [colour_reference(load_rgb(path), spec["colour"])["white_point"]
           for path in sorted((dimmed / "JPEGImages").glob("*.jpg"))]
    assert own[0] != own[1] and lab["pooled_white_point"] == pooled_white_point(own)

    scored = tecom.measure(model, metadata["classes"], spec, second_source)
    per_photo = measured["tecom"]["per photo"]
    assert (per_photo["accuracy"], per_photo["balanced_accuracy"]) == (scored["accuracy"], scored["balanced_accuracy"])
    assert set(measured["tecom"]["pooled"]) == set(per_photo)
