"""convert/imported.py (python -m convert.use --folder): a model folder made elsewhere is published whole and
unaltered, or refused with a message that says why."""
import json
import shutil
import zipfile

import pytest

from convert.imported import publish_folder
from convert.use import main as use_main
from core.model_index import default_model
from tests.conftest import REPO

SHIPPED = default_model(REPO / "web" / "models")[1]  # the shipped version's folder


@pytest.fixture
def folder(tmp_path):
    """A whole model folder, as an export holds it, under a name of its own."""
    copy = tmp_path / "exported" / "my-model"
    shutil.copytree(SHIPPED, copy)
    metadata = json.loads((copy / "metadata.json").read_text())
    (copy / "metadata.json").write_text(json.dumps({**metadata, "name": "my-model"}))
    return copy


def zipped(folder, path, extra=None):
    with zipfile.ZipFile(path, "w") as archive:
        for file in folder.iterdir():
            archive.write(file, f"{folder.name}/{file.name}")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_a_whole_folder_is_published_and_made_the_default(folder, tmp_path):
    out = tmp_path / "models"
    published = publish_folder(folder, out)
    assert published == out / "my-model" / SHIPPED.name
    assert (published / "model.json").read_bytes() == (SHIPPED / "model.json").read_bytes()
    index = json.loads((out / "index.json").read_text())
    assert index["default"] == "my-model" and index["models"][0]["path"] == f"my-model/{SHIPPED.name}/"


def test_the_zip_the_page_exports_is_published_through_the_command_line(folder, tmp_path, capsys):
    out = tmp_path / "models"
    assert use_main(["--folder", str(zipped(folder, tmp_path / "my-model.zip")), "--out", str(out)]) == 0
    assert "the page now loads it" in capsys.readouterr().err
    assert json.loads((out / "index.json").read_text())["default"] == "my-model"


@pytest.mark.parametrize("spoil, message", [
    (lambda f: (f / "model.json").write_text((f / "model.json").read_text().replace('"', "'", 1)),
     "model.json is damaged or was changed"),
    (lambda f: (f / "group1-shard1of1.bin").unlink(), "group1-shard1of1.bin is missing"),
    (lambda f: (f / "metadata.json").write_text("{}"), 'has no "name"'),
])
def test_a_damaged_or_incomplete_folder_is_refused(folder, tmp_path, spoil, message):
    spoil(folder)
    with pytest.raises(ValueError, match=message):
        publish_folder(folder, tmp_path / "models")
    assert not (tmp_path / "models" / "index.json").exists()


def test_what_is_not_a_model_folder_is_refused_with_a_clear_message(folder, tmp_path, capsys):
    photo = tmp_path / "photo.png"
    photo.write_bytes((SHIPPED / "learning_curves.png").read_bytes())
    assert use_main(["--folder", str(photo), "--out", str(tmp_path / "models")]) == 2
    assert "is neither a folder nor a .zip" in capsys.readouterr().err
    with pytest.raises(ValueError, match="holds files outside its folder"):
        publish_folder(zipped(folder, tmp_path / "sly.zip", {"../evil.txt": "x"}), tmp_path / "models")
    nothing = tmp_path / "nothing.zip"
    with zipfile.ZipFile(nothing, "w") as archive:
        archive.writestr("notes.txt", "no model here")
    with pytest.raises(ValueError, match="holds 0 metadata.json files, not one"):
        publish_folder(nothing, tmp_path / "models")
