"""The pooled white point of a sample (one microscope): the page (web/js/colour.js) pools and corrects as Python
(core/colour.py) does, on real photos of several labs, each lab's photos one sample; pooling one photo is its
own correction, and pooling balances a sample's photos alike."""
import json
from pathlib import Path

import numpy as np
import pytest

from bench.casts import cast
from core.colour import colour_reference, constant_colour, default_colour_spec, pooled_white_point
from core.preprocess import load_rgb
from tests.conftest import SHARED_DATA, draw_smear
from tests.js_runner import run_module_script

SPEC = default_colour_spec()
LABS = {"pbc": "pbc/VAL/*/*.jpg", "bccd-smears": "bccd-smears/JPEGImages/*.jpg",
        "deepbionet-fields": "deepbionet-fields/JPEGImages/*.jpg", "raabin-fields": "raabin-fields/JPEGImages/*.jpg",
        "bcd-fields": "bcd-fields/JPEGImages/*.jpg", "tecom": "tecom/VAL/*/*"}


def samples_of_every_lab(per_lab: int) -> dict:
    """{lab: [decoded RGB]}: per_lab photos spread over each lab; skips when a lab's photos are not here."""
    samples = {}
    for lab, pattern in LABS.items():
        photos = sorted(SHARED_DATA.glob(pattern))
        if not photos:
            pytest.skip(f"the {lab} photos ({SHARED_DATA / pattern}) are not here (../shared/data is absent)")
        samples[lab] = [load_rgb(path) for path in photos[:: max(1, len(photos) // per_lab)][:per_lab]]
    return samples


def javascript_pooled(samples: dict, workdir: Path) -> dict:
    """colour.js on the same pixels, in one Node run: {lab: (own white points, pooled point, corrected RGBs)}."""
    files, shapes = {}, {}
    for lab, images in samples.items():
        shapes[lab] = [image.shape[:2] for image in images]
        for number, rgb in enumerate(images):
            alpha = np.full(rgb.shape[:2] + (1,), 255, np.uint8)
            files[f"{lab}-{number}.rgba"] = np.concatenate([rgb, alpha], axis=2).tobytes()
    script = (
        "import { readFileSync, writeFileSync } from 'node:fs';\n"
        "import { colourReference, constantColour, pooledWhitePoint } from './colour.js';\n"
        f"const spec = {json.dumps(SPEC)};\n"
        f"const shapes = {json.dumps(shapes)};\n"
        "const at = (name) => new URL(`./${name}`, import.meta.url);\n"
        "const answers = {};\n"
        "for (const [lab, sizes] of Object.entries(shapes)) {\n"
        "  const images = sizes.map(([height, width], n) => ({ data: new Uint8ClampedArray(readFileSync(at(`${lab}-${n}.rgba`))), width, height }));\n"
        "  const own = images.map((image) => colourReference(image, spec).whitePoint);\n"
        "  const pooled = pooledWhitePoint(own);\n"
        "  images.forEach((image, n) => writeFileSync(at(`${lab}-${n}.out`), constantColour(image, spec, pooled).data));\n"
        "  answers[lab] = { own, pooled };\n"
        "}\n"
        "process.stdout.write(JSON.stringify(answers));\n")
    answers = json.loads(run_module_script(workdir, script, files))
    result = {}
    for lab, images in samples.items():
        corrected = [np.frombuffer((workdir / f"{lab}-{n}.out").read_bytes(), np.uint8).reshape(rgb.shape[:2] + (4,))[..., :3]
                     for n, rgb in enumerate(images)]
        result[lab] = (answers[lab]["own"], answers[lab]["pooled"], corrected)
    return result


def test_javascript_pools_and_corrects_real_photos_of_every_lab_as_python_does(tmp_path):
    samples = samples_of_every_lab(4)
    for lab, (own, pooled, corrected) in javascript_pooled(samples, tmp_path).items():
        python_own = [colour_reference(rgb, SPEC)["white_point"] for rgb in samples[lab]]
        assert own == python_own, lab
        assert pooled == pooled_white_point(python_own), lab
        for rgb, page in zip(samples[lab], corrected):
            np.testing.assert_array_equal(page, constant_colour(rgb, SPEC, pooled), err_msg=lab)


def test_javascript_pools_awkward_white_points_as_python_does(tmp_path):
    cases = [[[0, 0, 0]], [[255, 255, 255], [0, 0, 0]], [[1, 2, 3], [2, 3, 4]], [[10, 11, 12]] * 3 + [[11, 12, 13]],
             [[200, 180, 90], [201, 181, 91], [203, 100, 255]], [[7, 8, 9]] * 1000]
    script = ("import { pooledWhitePoint } from './colour.js';\n"
              f"process.stdout.write(JSON.stringify({json.dumps(cases)}.map(pooledWhitePoint)));\n")
    assert json.loads(run_module_script(tmp_path, script)) == [pooled_white_point(case) for case in cases]


def test_the_pooled_point_is_the_rounded_mean_per_channel():
    assert pooled_white_point([[1, 2, 3], [2, 3, 4]]) == [2, 3, 4]  # halves round up
    assert pooled_white_point([[10, 10, 10], [10, 10, 11], [10, 10, 11]]) == [10, 10, 11]
    assert pooled_white_point([[200, 100, 50]]) == [200, 100, 50]
    with pytest.raises(ValueError, match="at least one photo"):
        pooled_white_point([])


def test_pooling_one_photo_is_its_own_correction():
    smear = cast(draw_smear(np.random.default_rng(11)), "yellow")
    own = colour_reference(smear, SPEC)["white_point"]
    np.testing.assert_array_equal(constant_colour(smear, SPEC, pooled_white_point([own])), constant_colour(smear, SPEC))


def test_a_pooled_sample_shares_one_balance_while_its_own_photos_differ():
    """A sparse field (its bright part all plasma) and a dense one of the same microscope: per photo each gets
    its own tables; pooled, both get the same ones, so one colour in both stays one colour."""
    rng = np.random.default_rng(12)
    sparse, dense = cast(draw_smear(rng), "green"), cast(draw_smear(rng), "green")
    dense = (dense.astype(int) * 9 // 10).astype(np.uint8)  # a darker field: its own point moves
    own = [colour_reference(photo, SPEC)["white_point"] for photo in (sparse, dense)]
    assert own[0] != own[1]
    pooled = pooled_white_point(own)
    tables = [colour_reference(photo, SPEC, pooled)["tables"] for photo in (sparse, dense)]
    np.testing.assert_array_equal(tables[0], tables[1])
    assert colour_reference(dense, SPEC, pooled)["white_point"] == own[1]  # it still reports its own point
