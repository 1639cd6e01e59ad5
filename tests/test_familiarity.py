"""How unlike the training labs a sample's cells look (core/familiarity.py), and its twin in the page
(web/js/familiarity.js) under Node: the same distances from the same features and replay set."""
import json

import numpy as np

from core.artifacts import REPLAY_FEATURES
from core.familiarity import NEIGHBOURS, neighbour_distance, replay_features
from tests.js_runner import run_module_script

SPEC = {"threshold": 0.3, "neighbours": NEIGHBOURS, "min_cells": 3}


def page_familiarity(tmp_path, features: np.ndarray, replay: np.ndarray, cells_js: str) -> dict:
    """The page's distances of `features` to the float16 `replay`, and its verdict on the cells `cells_js`
    builds from them (`distances` in scope)."""
    out = run_module_script(tmp_path, (
        "import { readFileSync } from 'node:fs';\n"
        "import { familiarityReference, neighbourDistances, sampleFamiliarity, familiarityText } from './familiarity.js';\n"
        "const read = (name) => new Uint8Array(readFileSync(new URL(`./${name}`, import.meta.url)));\n"
        "const bytes = read('replay.f16');\n"
        f"const metadata = {{ familiarity: {json.dumps(SPEC)}, replay: {{ features: {replay.shape[1]} }} }};\n"
        f"const reference = familiarityReference(metadata, {{ bytes, count: {len(replay)}, features: {replay.shape[1]} }});\n"
        "const raw = read('features.f32');\n"
        "const distances = neighbourDistances(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), reference);\n"
        f"const verdict = sampleFamiliarity({cells_js}, reference.spec);\n"
        "console.log(JSON.stringify({ distances, verdict, text: familiarityText(verdict) }));\n"),
        {"replay.f16": replay.astype("<f2").tobytes(), "features.f32": features.astype("<f4").tobytes()})
    return json.loads(out)


def test_the_page_measures_each_cell_as_python_does(tmp_path):
    rng = np.random.default_rng(0)
    replay = np.abs(rng.normal(size=(40, 16))).astype(np.float16)
    features = np.abs(rng.normal(size=(7, 16))).astype(np.float32)
    features[0] = replay[3]                     # a training lab's cell itself
    (tmp_path / REPLAY_FEATURES).write_bytes(replay.astype("<f2").tobytes())
    expected = neighbour_distance(features, replay_features(tmp_path, {"count": 40, "features": 16}))
    page = page_familiarity(tmp_path, features, replay, "distances.map((distance) => ({ distance }))")
    assert np.allclose(page["distances"], expected, atol=1e-9)
    assert expected.min() >= 0 and expected.max() < 1


def test_a_sample_far_from_the_training_labs_is_unlike_them_once_it_has_enough_cells(tmp_path):
    replay = np.eye(8, dtype=np.float16)[[0, 1, 2, 3] * 5]
    features = np.eye(8, dtype=np.float32)[[7, 7, 6, 0]]  # three cells orthogonal to every replay cell, one like one
    far = page_familiarity(tmp_path, features, replay, "distances.slice(0, 3).map((distance) => ({ distance }))")
    assert far["verdict"]["state"] == "unlike" and far["verdict"]["cells"] == 3
    assert far["text"].startswith("UNLIKE the training labs")
    too_few = page_familiarity(tmp_path, features, replay, "distances.slice(0, 2).map((distance) => ({ distance }))")
    assert too_few["verdict"]["state"] == "too-few"
    excluded = page_familiarity(tmp_path, features, replay,
                                "distances.map((distance, i) => ({ distance, excluded: i === 0 }))")
    assert excluded["verdict"]["cells"] == 3, "an excluded cell is not counted"
    near = page_familiarity(tmp_path, np.eye(8, dtype=np.float32)[[0, 1, 2, 3]], replay,
                            "distances.map((distance) => ({ distance }))")
    assert near["verdict"]["state"] == "like" and near["verdict"]["distance"] < SPEC["threshold"]
