"""Dataset layouts: what trains, and the exact message for what does not."""
import subprocess
import sys

import numpy as np
import pytest

import tests.image_samples as samples
from core.dataset import DatasetError, load_dataset
from core.preprocess import preprocessing_spec
from tests.conftest import REPO, write_split

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
    assert "skipped 2 file(s)" in capsys.readouterr().err


def bad_layout(tmp_path, layout):
    """DATA folders that cannot be trained on, each in one characteristic way."""
    data = tmp_path / "data"
    split = data / "TRAIN"
    if layout == "missing_train":
        write_split(data / "Train-images", 2, np.random.default_rng(0))
    elif layout == "no_classes":
        split.mkdir(parents=True)
        for index in range(3):
            samples.rgb_jpeg(split, f"_{index}_0.jpeg", seed=index)
    elif layout == "one_class":
        (split / "ONLY").mkdir(parents=True)
        samples.rgb_jpeg(split / "ONLY", "a.jpeg")
    elif layout == "empty_class":
        write_split(split, 2, np.random.default_rng(0))
        (split / "EMPTY").mkdir()
    elif layout == "class_of_broken_files":
        write_split(split, 2, np.random.default_rng(0))
        for path in (split / "RED").iterdir():
            path.write_bytes(path.read_bytes()[:100])
    return data


BAD_LAYOUTS = {
    "missing_train": "data/TRAIN does not exist: expected data/TRAIN/<CLASS>/ with one folder of images per class; "
                     "data holds Train-images; --data must name the folder that contains TRAIN/",
    "no_classes": "data/TRAIN has no class folders: it holds 3 image(s) directly; put each class's images in "
                  "data/TRAIN/<CLASS>/, one folder per class",
    "one_class": "data/TRAIN has only one class (ONLY): a classifier needs at least two class folders; "
                 "add a folder of images for each other class next to ONLY/",
    "empty_class": "data/TRAIN: class folder(s) with no images: EMPTY; put images in them or remove them",
    "class_of_broken_files": "data/TRAIN: no image of class(es) RED could be read (the skipped list above says why); "
                             "replace those files with readable photos",
}


@pytest.mark.parametrize("layout", BAD_LAYOUTS)
def test_bad_layouts_say_what_to_fix(tmp_path, layout):
    data = bad_layout(tmp_path, layout)
    with pytest.raises(DatasetError) as raised:
        load_dataset(data / "TRAIN", SPEC, progress=False)
    assert BAD_LAYOUTS[layout] in str(raised.value).replace(str(tmp_path) + "/", "")


@pytest.mark.parametrize("layout", BAD_LAYOUTS)
def test_train_cli_stops_on_a_bad_layout_with_the_message(tmp_path, capsys, layout):
    from train.__main__ import main

    data = bad_layout(tmp_path, layout)
    assert main(["--data", str(data), "--out", str(tmp_path / "models")]) == 2
    assert BAD_LAYOUTS[layout] in capsys.readouterr().err.replace(str(tmp_path) + "/", "")
    assert not (tmp_path / "models").exists()


@pytest.mark.integration
def test_train_cli_as_a_command_exits_non_zero_without_a_traceback(tmp_path):
    data = bad_layout(tmp_path, "missing_train")
    done = subprocess.run([sys.executable, "-m", "train", "--data", str(data), "--out", str(tmp_path / "models")],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert f"error: {data}/TRAIN does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_train_folder_named_in_lower_case_is_named_as_the_fix(tmp_path):
    write_split(tmp_path / "train", 2, np.random.default_rng(0))
    with pytest.raises(DatasetError, match=r"rename .*/train to TRAIN \(folder names are case-sensitive\)"):
        load_dataset(tmp_path / "TRAIN", SPEC, progress=False)


def test_a_data_path_that_does_not_exist_says_so(tmp_path):
    with pytest.raises(DatasetError, match="does not exist either: check the --data path"):
        load_dataset(tmp_path / "nowhere" / "TRAIN", SPEC, progress=False)


def messy_split(tmp_path):
    """A small dataset with the usual debris of copied folders, and valid photos in unusual modes."""
    split = make_split(tmp_path)
    odd = [write(split / "BLUE") for write in (samples.cmyk_jpeg, samples.grey16_png, samples.palette_png,
                                               samples.rgba_png, samples.greyscale_jpeg)]
    debris = {
        samples.zero_byte(split / "RED"): "an empty file (0 bytes)",
        samples.truncated_jpeg(split / "RED"): "not a readable image (image file is truncated",
        samples.text_named_jpeg(split / "RED"): "not a readable image (cannot identify image file",
        samples.pdf(split / "GREEN"): "not an image file name",
        samples.heic(split / "GREEN"): "not an image file name",
        samples.animated_gif(split / "GREEN"): "an animation (3 frames), not a single photo",
        samples.huge_png(split / "GREEN", 8000): "too large to read safely: 8000 x 8000 pixels",
    }
    (split / "GREEN" / "old").mkdir()
    debris[split / "GREEN" / "old"] = "a folder inside a class folder"
    (split / "GREEN" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden system file: not mentioned
    return split, odd, debris


def test_a_messy_dataset_loads_every_real_image_and_lists_the_rest(tmp_path, capsys):
    split, odd, debris = messy_split(tmp_path)
    dataset = load_dataset(split, SPEC, progress=False)
    assert len(dataset.files) == 18 + len(odd)
    assert set(map(str, odd)) <= set(dataset.files)
    reasons = dict(dataset.skipped)
    assert sorted(reasons) == sorted(map(str, debris))
    for path, reason in debris.items():
        assert reasons[str(path)].startswith(reason), (path.name, reasons[str(path)])
    err = capsys.readouterr().err
    assert f"skipped {len(debris)} file(s):" in err
    assert all(f"{path}: {reason}" in err for path, reason in debris.items())


@pytest.mark.training
def test_train_cli_trains_on_a_messy_dataset(tmp_path, capsys):
    from train.__main__ import main

    split, _, debris = messy_split(tmp_path / "data")
    options = ["--data", str(split.parent), "--out", str(tmp_path / "models"), "--name", "messy",
               "--epochs", "1", "--input-size", "16", "--batch-size", "8", "--val-fraction", "0.34"]
    assert main(options) == 0
    assert (tmp_path / "models" / "messy" / "model.h5").is_file()
    assert f"skipped {len(debris)} file(s):" in capsys.readouterr().err


def test_a_folder_of_only_broken_files_is_an_error(tmp_path):
    for name in ("A", "B"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.jpeg").write_text("nope")
    with pytest.raises(DatasetError, match="none of the 2 image files could be read"):
        load_dataset(tmp_path, SPEC, progress=False)
