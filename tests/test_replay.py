"""convert/replay.py: the replay set is the converted model's own pooled features of its training labs'
cells, small, and added to a published version without changing what the page checks."""
import json
import shutil

import numpy as np
import pytest

from convert.publish import content_version, file_facts
from convert.replay import REPLAY_FILE, add_to_published, write_replay
from core.tfjs import tfjs_features
from core.dataset import list_split, preprocess_files
from core.model_index import default_model
from tests.conftest import REPO, SHARED_DATA
from tests.js_runner import run_module_script

SHIPPED = default_model(REPO / "web" / "models")[1]  # the shipped version's folder
PBC = SHARED_DATA / "pbc" / "TRAIN"


@pytest.fixture
def published(tmp_path):
    folder = tmp_path / "version"
    shutil.copytree(SHIPPED, folder)
    return folder


@pytest.fixture
def small_lab(tmp_path):
    """Three of pbc's classes, three cells each."""
    if not PBC.is_dir():
        pytest.skip(f"{PBC} not found")
    for name in ("EOSINOPHIL", "LYMPHOCYTE", "PLATELET"):
        (tmp_path / "lab" / "TRAIN" / name).mkdir(parents=True)
        for path in sorted((PBC / name).iterdir())[:3]:
            shutil.copy(path, tmp_path / "lab" / "TRAIN" / name / path.name)
    return tmp_path / "lab"


def test_the_replay_set_holds_the_published_models_own_features_of_each_class(published, small_lab):
    metadata = json.loads((published / "metadata.json").read_text())
    replay = add_to_published(published, [str(small_lab)])
    assert replay["count"] == 9 and replay["features"] == 256 and replay["dtype"] == "float16"
    assert [metadata["classes"][i] for i in replay["labels"]] == ["EOSINOPHIL"] * 3 + ["LYMPHOCYTE"] * 3 + ["PLATELET"] * 3
    assert replay["sources"] == {"lab": {"EOSINOPHIL": 3, "LYMPHOCYTE": 3, "PLATELET": 3}}
    stored = np.frombuffer((published / REPLAY_FILE).read_bytes(), "<f2").reshape(9, 256).astype(np.float32)
    listing = list_split(small_lab / "TRAIN")
    inputs, _, _ = preprocess_files(listing.paths, metadata["preprocessing"], progress=False)
    expected, layer = tfjs_features(published, inputs)
    assert layer == replay["layer"]
    np.testing.assert_allclose(stored, expected, rtol=2e-3, atol=1e-3)
    assert stored.std() > 0.05  # features, not zeros


def test_adding_it_keeps_the_version_and_every_file_checkable(published, small_lab):
    before = json.loads((published / "metadata.json").read_text())
    add_to_published(published, [str(small_lab)])
    after = json.loads((published / "metadata.json").read_text())
    assert after["version"] == before["version"] == content_version(after["files"])
    assert after["files"] == file_facts(published)
    assert REPLAY_FILE in after["files"]


def test_without_any_training_lab_there_is_no_replay_set(published, tmp_path, capsys):
    metadata = json.loads((published / "metadata.json").read_text())
    assert write_replay(published, metadata["preprocessing"], metadata["classes"], [str(tmp_path / "nowhere")]) is None
    assert "no replay set" in capsys.readouterr().err
    assert not (published / REPLAY_FILE).exists() or (SHIPPED / REPLAY_FILE).exists()


def test_the_page_reads_the_half_floats_as_numpy_does(tmp_path):
    values = np.array([0, 1, -2.5, 0.000061, 65504, 3.14159, -0.0001, 1e-7], np.float16)
    script = ("import { readFileSync } from 'node:fs';\n"
              "import { float16ToFloat32 } from './adapt-head.js';\n"
              "const bytes = new Uint8Array(readFileSync(new URL('./h.f16', import.meta.url)));\n"
              "console.log(JSON.stringify(Array.from(float16ToFloat32(bytes))));\n")
    decoded = json.loads(run_module_script(tmp_path, script, {"h.f16": values.astype("<f2").tobytes()}))
    np.testing.assert_array_equal(np.array(decoded, np.float32), values.astype(np.float32))
