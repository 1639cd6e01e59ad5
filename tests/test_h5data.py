"""HDF5 datasets: both layouts train on exactly what the same images give as files, and every way a
file can be wrong says what to fix."""
import os
import shutil

import h5py
import numpy as np
import pytest
from PIL import Image

from core.dataset import DatasetError, load_dataset, load_listing
from core.h5data import read_h5
from core.preprocess import corrected_rgb, preprocess_file, preprocessing_spec, to_model_input
from tests.conftest import COLOURS, draw_cell
from train.cache import cache_key, cached
from train.config import parse_config
from train.data import prepare_data
from train.export_h5 import export_folder
from train.sources import open_source, open_sources

SPEC = preprocessing_spec(16)
TEXT = h5py.string_dtype()


def cells(count: int, seed: int = 0, sizes=((64, 48),)) -> tuple:
    """(images, class names): `count` drawn cells per class, their sizes taken in turn from `sizes`."""
    rng, images, labels = np.random.default_rng(seed), [], []
    for name, colour in COLOURS.items():
        for index in range(count):
            images.append(np.asarray(draw_cell(rng, colour, sizes[index % len(sizes)])))
            labels.append(name)
    return images, labels


def write_flat(path, images, labels, split=None, **extra):
    with h5py.File(path, "w") as h5:
        h5["images"] = np.asarray(images)
        h5.create_dataset("labels", data=labels, dtype=TEXT)
        if split is not None:
            h5.create_dataset("split", data=split, dtype=TEXT)
        for name, value in extra.items():
            h5[name] = value
    return path


def write_groups(path, images, labels, splits=None):
    """Cells as a lab system exports them: one group each, named by the instrument's cell number."""
    with h5py.File(path, "w") as h5:
        for index, (rgb, label) in enumerate(zip(images, labels)):
            group = h5.create_group(f"cell{index:04d}")
            group["Cell/image"] = rgb
            group["Label/class"] = label
            if splits is not None:
                group.attrs["split"] = splits[index]
    return path


def config_for(*data, **settings):
    flags = [flag for path in data for flag in ("--data", str(path))]
    return parse_config(flags + ["--input-size", "16", "--unlabelled", "none", *[f"--{key.replace('_', '-')}={value}"
                                                         for key, value in settings.items()]])


# The same images, as files and as HDF5 -----------------------------------------------------------

@pytest.mark.parametrize("layout", ["flat", "groups"])
def test_an_exported_folder_trains_on_bit_identical_arrays(second_source, tmp_path, layout):
    h5 = export_folder(second_source, tmp_path / f"{second_source.name}.h5", layout)["out"]
    from_folder = prepare_data(config_for(second_source), tmp_path / "cache")
    from_h5 = prepare_data(config_for(h5), tmp_path / "cache")
    assert from_h5.classes == from_folder.classes == ["BLUE", "VIOLET"]
    folder, file = from_folder.sources[0], from_h5.sources[0]
    assert file.source.name == "lab-b" and file.validation_kind == "VAL"
    for part in ("train_images", "train_labels", "val_images", "val_labels"):
        assert np.array_equal(getattr(file, part), getattr(folder, part)), part


def test_test_rows_are_read_as_a_test_folder_is(second_source, tmp_path):
    source = open_source(export_folder(second_source, tmp_path / "lab-b.h5")["out"])
    from_folder = load_dataset(second_source / "TEST", SPEC, progress=False)
    from_h5 = load_listing(source.listing("TEST"), SPEC, progress=False)
    assert np.array_equal(from_h5.images, from_folder.images)
    assert from_h5.labels.tolist() == from_folder.labels.tolist() and from_h5.classes == from_folder.classes
    assert from_h5.files[0].endswith("lab-b.h5[28]")  # rows in the folder's order: 20 TRAIN, 8 VAL, then TEST
    assert not source.has("TEST_SIMPLE")


def test_per_cell_groups_of_any_size_are_prepared_as_their_photos_are(tmp_path):
    images, labels = cells(3, sizes=((64, 48), (40, 56), (71, 71)))
    labels = [name.lower() if index % 2 else name for index, name in enumerate(labels)]  # any case
    source = open_source(write_groups(tmp_path / "cells.h5", images, labels))
    assert source.name == "cells" and source.contents.layout == "per-cell groups"
    listing = source.listing("TRAIN")
    assert listing.found == ["BLUE", "GREEN", "RED"] and len(listing.paths) == 9
    folder = tmp_path / "as-photos"
    for index, (rgb, label) in enumerate(zip(images, listing.labels)):
        (folder / label).mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(folder / label / f"cell{index:04d}.png")  # lossless: the same pixels
    from_h5 = load_listing(listing, SPEC, progress=False)
    from_photos = load_dataset(folder, SPEC, progress=False)
    assert from_h5.images.shape == (9, 16, 16, 3)
    assert np.array_equal(from_h5.images, from_photos.images)
    assert np.array_equal(from_h5.images[2], to_model_input(corrected_rgb(images[2], SPEC), SPEC))


def test_labels_may_be_bytes_and_splits_any_case(tmp_path):
    images, labels = cells(4)
    with h5py.File(tmp_path / "bytes.h5", "w") as h5:
        h5["images"] = np.asarray(images)
        h5["labels"] = np.array([name.lower().encode() for name in labels])  # fixed-length bytes
        h5["split"] = np.array([b"train", b"Train", b"VAL", b"test"] * 3)
    contents = read_h5(tmp_path / "bytes.h5")
    assert contents.labels == labels
    assert [len(contents.listing(split).paths) for split in ("TRAIN", "VAL", "TEST")] == [6, 3, 3]


def test_without_a_val_split_a_stratified_random_share_of_rows_is_held_out(tmp_path):
    images, labels = cells(10)
    h5 = write_flat(tmp_path / "lab-c.h5", images, labels)
    data = prepare_data(config_for(h5, val_fraction=0.2), tmp_path / "cache")
    part = data.sources[0]
    assert part.validation_kind == "held-out rows"
    assert np.bincount(part.val_labels).tolist() == [2, 2, 2] and np.bincount(part.train_labels).tolist() == [8] * 3
    assert len(part.validation_groups) == 6 and part.validation_groups[0].startswith("BLUE/")
    again = prepare_data(config_for(h5, val_fraction=0.2), tmp_path / "cache").sources[0]
    assert again.validation_groups == part.validation_groups  # the same rows every time (--split-seed)


def test_folders_and_files_train_together_and_names_must_differ(synthetic_data, second_source, tmp_path):
    h5 = export_folder(second_source, tmp_path / "lab-b.h5")["out"]
    assert [source.name for source in open_sources([synthetic_data, h5])] == ["lab-a", "lab-b"]
    with pytest.raises(DatasetError, match="two --data sources are both named lab-b"):
        open_sources([second_source, h5])


# Every error says what to fix ---------------------------------------------------------------------

def bad_file(tmp_path, problem: str):
    images, labels = cells(2, sizes=((32, 32),))
    path = tmp_path / "lab.h5"
    if problem == "not_hdf5":
        path.write_text("cell,class\n1,NEUTROPHIL\n")
    elif problem == "neither_layout":
        with h5py.File(path, "w") as h5:
            h5["pixels"] = np.zeros((2, 4, 4, 3), np.uint8)
            h5.create_group("Metadata")["instrument"] = "DM96"
    elif problem == "lengths_differ":
        write_flat(path, images, labels[:-1])
    elif problem == "not_uint8":
        write_flat(path, np.asarray(images, np.float32) / 255, labels)
    elif problem == "not_rgb":
        write_flat(path, np.asarray(images)[..., 0], labels)
    elif problem == "cell_not_rgb":
        images[3] = images[3][..., 0]
        write_groups(path, images, labels)
    elif problem == "cell_not_uint8":
        images[3] = images[3].astype(np.uint16)
        write_groups(path, images, labels)
    elif problem == "cell_without_class":
        write_groups(path, images, labels)
        with h5py.File(path, "a") as h5:
            del h5["cell0004/Label"]
    elif problem == "unknown_split":
        write_flat(path, images, labels, split=["TRAIN", "DEV", "TRAIN", "TEST", "TRAIN", "VAL"])
    elif problem == "unknown_cell_split":
        write_groups(path, images, labels, splits=["TRAIN"] * 5 + ["holdout"])
    elif problem == "one_class":
        write_flat(path, images, ["BLUE"] * len(images))
    elif problem == "numeric_labels":
        write_flat(path, images, labels)
        with h5py.File(path, "a") as h5:
            del h5["labels"]
            h5["labels"] = np.arange(len(images))
    elif problem == "no_train_rows":
        write_flat(path, images, labels, split=["TEST"] * len(images))
    return path


BAD_FILES = {
    "missing": "nowhere.h5 does not exist: check the --data path",
    "not_hdf5": "lab.h5 is not an HDF5 file: --data takes a dataset folder (TRAIN/<CLASS>/...) or an HDF5 file "
                "holding datasets images (N x H x W x 3 uint8) and labels (N class names), or one group per cell "
                "holding Cell/image (H x W x 3 uint8) and Label/class (its class name)",
    "neither_layout": "lab.h5 holds neither HDF5 layout: expected datasets images (N x H x W x 3 uint8) and labels "
                      "(N class names), or one group per cell holding Cell/image (H x W x 3 uint8) and Label/class "
                      "(its class name); it holds datasets pixels and groups Metadata (the group Metadata holds "
                      "instrument)",
    "lengths_differ": "lab.h5: images holds 6 images but labels holds 5 class names: give one label per image",
    "not_uint8": "lab.h5: images holds float32 values: expected uint8 (0..255 per channel",
    "not_rgb": "lab.h5: images has shape (6, 32, 32): expected N x H x W x 3 (RGB",
    "cell_not_rgb": "lab.h5/cell0003/Cell/image has shape (32, 32): expected H x W x 3 (RGB",
    "cell_not_uint8": "lab.h5/cell0003/Cell/image holds uint16 values: expected uint8",
    "cell_without_class": "lab.h5/cell0004 has no Label/class: every cell group needs Cell/image (H x W x 3 uint8) "
                          "and Label/class (its class name)",
    "unknown_split": "lab.h5: split row 1 is 'DEV', not a split: mark rows with a split dataset beside images and "
                     "labels, each TRAIN, VAL, TEST, TEST_SIMPLE; without one every row is TRAIN",
    "unknown_cell_split": "lab.h5/cell0005: split is 'holdout', not a split: mark rows with a split attribute on "
                          "each cell group",
    "one_class": "lab.h5 (TRAIN rows) hold only one class (BLUE): a classifier needs at least two",
    "numeric_labels": "lab.h5: labels holds int64 values: expected strings (class names such as NEUTROPHIL",
    "no_train_rows": "lab.h5 has no TRAIN rows (it marks only TEST)",
}


@pytest.mark.parametrize("problem", BAD_FILES)
def test_a_bad_file_says_what_to_fix(tmp_path, problem):
    path = tmp_path / "nowhere.h5" if problem == "missing" else bad_file(tmp_path, problem)
    with pytest.raises(DatasetError) as raised:
        open_source(path).listing("TRAIN")
    assert BAD_FILES[problem] in str(raised.value).replace(str(tmp_path) + "/", "")


def test_train_cli_reports_a_bad_file_without_a_traceback(tmp_path, capsys):
    from train.__main__ import main

    path = bad_file(tmp_path, "lengths_differ")
    assert main(["--data", str(path), "--out", str(tmp_path / "models")]) == 2
    err = capsys.readouterr().err
    assert "images holds 6 images but labels holds 5 class names" in err and "Traceback" not in err
    assert not (tmp_path / "models").exists()


def test_an_unreadable_cell_is_skipped_and_listed(tmp_path, capsys):
    images, labels = cells(3, sizes=((32, 32),))
    images[4] = np.zeros((0, 20, 3), np.uint8)
    listing = open_source(write_groups(tmp_path / "lab.h5", images, labels)).listing("TRAIN")
    dataset = load_listing(listing, SPEC, progress=False)
    assert len(dataset.labels) == 8
    assert dataset.skipped == [(f"{tmp_path}/lab.h5/cell0004", "an empty image (20 x 0 pixels)")]
    assert "skipped 1 file(s)" in capsys.readouterr().err


# The preprocessing cache knows a changed file -------------------------------------------------------

def test_the_cache_key_changes_when_the_file_or_the_row_does(tmp_path):
    images, labels = cells(2)
    path = write_flat(tmp_path / "lab.h5", images, labels)
    rows = read_h5(path).rows
    key = cache_key("inputs", rows, SPEC)
    assert key == cache_key("inputs", read_h5(path).rows, SPEC)
    assert key != cache_key("inputs", rows[::-1], SPEC)  # which row, not only which file
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert key != cache_key("inputs", rows, SPEC)
    shutil.copy2(path, tmp_path / "copy.h5")
    assert cache_key("inputs", read_h5(tmp_path / "copy.h5").rows, SPEC) != cache_key("inputs", rows, SPEC)


def test_a_rewritten_file_is_prepared_afresh(tmp_path):
    """Enough rows (over 64) that worker processes prepare them, as they do in training."""
    images, labels = cells(24, sizes=((32, 32),))
    path = write_flat(tmp_path / "lab.h5", images, labels)
    first, kept, _ = cached(tmp_path / "cache", "inputs", read_h5(path).rows, SPEC, preprocess_file, "test")
    assert len(kept) == 72 and np.array_equal(first[5], to_model_input(corrected_rgb(images[5], SPEC), SPEC))
    stat = os.stat(path)
    write_flat(path, [255 - rgb for rgb in images], labels)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a coarse clock may not tick on its own
    second, _, _ = cached(tmp_path / "cache", "inputs", read_h5(path).rows, SPEC, preprocess_file, "test")
    assert np.array_equal(second[5], to_model_input(corrected_rgb(255 - images[5], SPEC), SPEC))


@pytest.mark.training
def test_train_cli_trains_from_a_folder_and_an_hdf5_file(synthetic_data, second_source, tmp_path, capsys):
    from core.files import read_json
    from train.__main__ import main

    h5 = export_folder(second_source, tmp_path / "lab-b.h5", "groups")["out"]
    options = ["--data", str(synthetic_data), "--data", str(h5), "--out", str(tmp_path / "models"), "--name", "mixed",
               "--epochs", "1", "--input-size", "16", "--batch-size", "16"]
    assert main(options) == 0
    model = tmp_path / "models" / "mixed"
    info = read_json(model / "training.json", "training facts")
    assert [source["name"] for source in info["sources"]] == ["lab-a", "lab-b"]
    assert info["sources"][1]["validation"] == "VAL" and info["classes"] == ["BLUE", "GREEN", "RED", "VIOLET"]
    metrics = read_json(model / "metrics.json", "metrics")
    assert set(metrics["sources"]["lab-b"]) == {"validation", "TEST"}
    assert metrics["sources"]["lab-b"]["TEST"]["images"] == 8
