"""Convert faults: a failed convert never disturbs the published model."""
import json
import shutil

import pytest

from convert.convert import convert_model
from convert.publish import content_version, read_index
from convert.tfjs_check import check_inputs
from core.preprocess import preprocess_file, preprocessing_spec
from train.export_h5 import export_folder


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_failed_convert_leaves_the_published_model_intact(published_site, trained_model, tmp_path):
    models = published_site / "models"
    before = snapshot(models)
    broken = tmp_path / "broken"
    shutil.copytree(trained_model, broken)
    (broken / "model.h5").write_bytes(b"half-written")
    with pytest.raises(ValueError, match="cannot be read as a Keras model"):
        convert_model(broken, models, None, None, make_default=True)
    assert snapshot(models) == before
    assert not list(models.glob(".tmp-*"))


def test_missing_model_says_to_train_first(tmp_path):
    with pytest.raises(FileNotFoundError, match="train a model first"):
        convert_model(tmp_path, tmp_path / "out", None, None, make_default=True)


def test_content_version_depends_only_on_model_files():
    facts = {"model.json": {"sha256": "a"}, "group1-shard1of1.bin": {"sha256": "b"}, "x.png": {"sha256": "c"}}
    same = {**facts, "x.png": {"sha256": "changed"}}
    other = {**facts, "group1-shard1of1.bin": {"sha256": "changed"}}
    assert content_version(facts) == content_version(same) != content_version(other)


def test_a_broken_index_is_replaced_with_a_warning(tmp_path, capsys):
    (tmp_path / "index.json").write_text("{not json")
    assert read_index(tmp_path) == {"default": None, "models": []}
    assert "not valid JSON" in capsys.readouterr().err


def test_quantized_convert_is_smaller_and_still_agrees(trained_model, synthetic_data, tmp_path):
    plain = convert_model(trained_model, tmp_path / "plain", None, None, make_default=True)
    half = convert_model(trained_model, tmp_path / "half", "float16", None, make_default=True)
    size = lambda folder: sum(p.stat().st_size for p in folder.glob("*.bin"))  # noqa: E731
    assert size(half) < 0.6 * size(plain)
    metadata = json.loads((half / "metadata.json").read_text())
    assert metadata["model"]["quantization"] == "float16"
    assert metadata["conversion"]["parity"]["max_abs_difference"] <= 1e-2


def test_the_default_model_can_be_switched_and_switched_back(trained_model, tmp_path, capsys):
    from convert.use import main

    out = tmp_path / "models"
    convert_model(trained_model, out, None, None, make_default=True)
    renamed = tmp_path / "other"
    shutil.copytree(trained_model, renamed)
    info = json.loads((renamed / "training.json").read_text())
    (renamed / "training.json").write_text(json.dumps({**info, "name": "other"}))
    convert_model(renamed, out, None, None, make_default=False)
    assert read_index(out)["default"] == "tiny"
    assert main(["other", "--out", str(out)]) == 0 and read_index(out)["default"] == "other"
    assert main(["tiny", "--out", str(out)]) == 0 and read_index(out)["default"] == "tiny"
    assert main(["nowhere", "--out", str(out)]) == 2
    assert "no model named nowhere is published" in capsys.readouterr().err and read_index(out)["default"] == "tiny"


@pytest.mark.parametrize("layout", ["flat", "groups"])
def test_parity_is_checked_on_rows_of_an_hdf5_source(second_source, tmp_path, layout):
    h5 = export_folder(second_source, tmp_path / "lab-b.h5", layout)["out"]
    info = {"classes": ["BLUE", "VIOLET"], "preprocessing": preprocessing_spec(16)}
    inputs, names = check_inputs([str(h5)], info)
    # Its TEST rows (28 on: after 20 TRAIN and 8 VAL), two per class, named without the trainer's folders.
    expected = ["lab-b.h5[28]", "lab-b.h5[29]", "lab-b.h5[32]", "lab-b.h5[33]"] if layout == "flat" else \
        ["lab-b.h5/cell_000028", "lab-b.h5/cell_000029", "lab-b.h5/cell_000032", "lab-b.h5/cell_000033"]
    assert names == expected
    test = second_source / "TEST"
    photos = [photo for folder in ("blue", "VIOLET") for photo in sorted((test / folder).iterdir())[:2]]
    assert all((inputs[i] == preprocess_file(photo, info["preprocessing"])).all() for i, photo in enumerate(photos))


def test_convert_publishes_a_replay_set_of_the_training_labs_cells(published_site):
    from convert.replay import PER_CLASS
    from core.model_index import default_model

    metadata, folder = default_model(published_site / "models")
    replay = metadata["replay"]
    data = (folder / replay["file"]).read_bytes()
    assert len(data) == replay["count"] * replay["features"] * 2 and replay["dtype"] == "float16"
    assert sorted(set(replay["labels"])) == list(range(len(metadata["classes"])))
    assert all(count <= PER_CLASS for counts in replay["sources"].values() for count in counts.values())
    assert replay["file"] in metadata["files"] and content_version(metadata["files"]) == metadata["version"]
