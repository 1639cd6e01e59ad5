"""Dataset layouts: what trains, and the exact message for what does not."""
import numpy as np
import pytest

from tests.conftest import write_split
from train.dataset import DatasetError, group_split, load_dataset, source_smear
from train.preprocess import preprocessing_spec

SPEC = preprocessing_spec(16)


def make_split(tmp_path, per_class=6):
    write_split(tmp_path / "TRAIN", per_class, np.random.default_rng(0))
    return tmp_path / "TRAIN"


def test_loads_classes_from_sorted_folder_names(tmp_path):
    dataset = load_dataset(make_split(tmp_path), SPEC, progress=False)
    assert dataset.classes == ["BLUE", "GREEN", "RED"]
    assert dataset.images.shape == (18, 16, 16, 3) and dataset.images.dtype == np.float32
    assert np.bincount(dataset.labels).tolist() == [6, 6, 6]


def test_unreadable_files_are_skipped_and_listed(tmp_path, capsys):
    split = make_split(tmp_path)
    (split / "RED" / "zero.jpeg").write_bytes(b"")
    (split / "RED" / "notes.jpeg").write_text("not an image")
    dataset = load_dataset(split, SPEC, progress=False)
    assert len(dataset.files) == 18
    assert sorted(p.split("/")[-1] for p, _ in dataset.skipped) == ["notes.jpeg", "zero.jpeg"]
    assert "skipped 2 unreadable file(s)" in capsys.readouterr().err


@pytest.mark.parametrize("layout, message", [
    ("missing", "does not exist"),
    ("no_classes", "has no class folders"),
    ("one_class", "has only one class (ONLY)"),
    ("empty_class", "class folder(s) with no images: EMPTY"),
])
def test_bad_layouts_say_what_to_fix(tmp_path, layout, message):
    split = tmp_path / "TRAIN"
    if layout != "missing":
        split.mkdir()
    if layout == "one_class":
        write_split(tmp_path / "one", 2, np.random.default_rng(0))
        (tmp_path / "one" / "BLUE").rename(split / "ONLY")
    if layout == "empty_class":
        write_split(split, 2, np.random.default_rng(0))
        (split / "EMPTY").mkdir()
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(split, SPEC, progress=False)


def test_a_folder_of_only_broken_files_is_an_error(tmp_path):
    for name in ("A", "B"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.jpeg").write_text("nope")
    with pytest.raises(DatasetError, match="none of the 2 image files could be read"):
        load_dataset(tmp_path, SPEC, progress=False)


def test_source_smear_comes_from_the_file_name(tmp_path):
    assert source_smear(tmp_path / "_12_4753.jpeg", "MONOCYTE") == "MONOCYTE/12"
    assert source_smear(tmp_path / "photo.jpeg", "MONOCYTE") == "MONOCYTE/photo"


def test_group_split_never_puts_one_smear_on_both_sides(tmp_path):
    write_split(tmp_path / "TRAIN", 30, np.random.default_rng(0), smears=10)
    dataset = load_dataset(tmp_path / "TRAIN", SPEC, progress=False)
    train, validation = group_split(dataset, 0.2, seed=1)
    groups = np.array(dataset.groups)
    assert not set(groups[train]) & set(groups[validation])
    assert len(set(groups[validation])) == 6  # 2 of 10 smears in each of 3 classes
    assert set(dataset.labels[validation]) == {0, 1, 2}
    again = group_split(dataset, 0.2, seed=1)[1]
    assert np.array_equal(validation, again)
