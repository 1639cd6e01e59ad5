"""python -m train.export_h5: a dataset folder written into one HDF5 file, every split, the pixels as decoded."""
import shutil

import h5py
import numpy as np
import pytest

import tests.image_samples as samples
from core.dataset import list_split
from core.h5data import read_h5
from core.preprocess import load_rgb
from tests.conftest import draw_cell, write_split
from train.export_h5 import export_folder, main


def test_every_split_is_written_with_the_pixels_as_decoded(synthetic_data, tmp_path):
    out = export_folder(synthetic_data, tmp_path / "lab-a.h5")["out"]
    with h5py.File(out, "r") as h5:
        assert h5["images"].shape == (108, 48, 64, 3) and h5["images"].dtype == np.uint8
        splits = h5["split"].asstr()[()].tolist()
        assert [splits.count(name) for name in ("TRAIN", "TEST", "TEST_SIMPLE")] == [72, 24, 12]
        files, labels = h5["files"].asstr()[()], h5["labels"].asstr()[()]
        for index in (0, 71, 72, 107):
            assert np.array_equal(h5["images"][index], load_rgb(synthetic_data / files[index]))
            assert files[index].split("/")[:2] == [splits[index], labels[index]]
    contents = read_h5(out)
    test = list_split(synthetic_data / "TEST")
    assert contents.listing("TEST").labels == test.labels  # the folder's order, its class names
    assert contents.has("TEST_SIMPLE") and not contents.has("VAL")


def mixed_sizes(root):
    rng = np.random.default_rng(3)
    for name, colour in (("BLUE", (60, 70, 200)), ("RED", (190, 30, 160))):
        (root / "TRAIN" / name).mkdir(parents=True)
        for index, size in enumerate(((64, 48), (40, 56), (48, 64))):
            draw_cell(rng, colour, size).save(root / "TRAIN" / name / f"{index}.png")
    return root


def test_images_of_different_sizes_need_the_groups_layout(tmp_path, capsys):
    data = mixed_sizes(tmp_path / "lab")
    (tmp_path / "lab.h5").write_bytes(b"the previous export")
    assert main(["--data", str(data), "--out", str(tmp_path / "lab.h5")]) == 2
    err = capsys.readouterr().err
    assert "the images differ in size (64 x 48 in TRAIN/BLUE/0.png, 40 x 56 in TRAIN/BLUE/1.png, 48 x 64 in " \
           "TRAIN/BLUE/2.png; 3 sizes in all), and the flat layout holds one size: export with --layout groups" in err
    assert (tmp_path / "lab.h5").read_bytes() == b"the previous export"  # untouched, and no temporary left
    assert sorted(path.name for path in tmp_path.iterdir()) == ["lab", "lab.h5"]

    assert main(["--data", str(data), "--out", str(tmp_path / "lab.h5"), "--layout", "groups"]) == 0
    assert "wrote " in capsys.readouterr().err
    contents = read_h5(tmp_path / "lab.h5")
    assert contents.layout == "per-cell groups" and contents.labels == ["BLUE"] * 3 + ["RED"] * 3
    with h5py.File(tmp_path / "lab.h5", "r") as h5:
        assert [h5[name]["Cell/image"].shape[:2] for name in sorted(h5)][:3] == [(48, 64), (56, 40), (64, 48)]
        assert h5["cell_000004"].attrs["file"] == "TRAIN/RED/1.png" and h5["cell_000004"].attrs["split"] == "TRAIN"


def test_an_image_turned_by_its_exif_is_sized_upright(tmp_path):
    """A photo stored on its side with EXIF orientation 6 is as tall as the others once upright."""
    data = tmp_path / "lab"
    write_split(data / "TRAIN", 2, np.random.default_rng(0))
    samples.exif_rotated_jpeg(data / "TRAIN" / "BLUE", samples.smear(20), "turned.jpeg")
    export_folder(data, tmp_path / "lab.h5")
    with h5py.File(tmp_path / "lab.h5", "r") as h5:
        assert h5["images"].shape == (7, 48, 64, 3)


def test_the_command_reports_progress_the_counts_and_what_it_skipped(second_source, tmp_path, capsys):
    data = tmp_path / "lab-b"
    shutil.copytree(second_source, data)
    samples.zero_byte(data / "VAL" / "blue")
    (data / "notes").mkdir()
    assert main(["--data", str(data), "--out", str(tmp_path / "out" / "lab-b.h5")]) == 0
    err = capsys.readouterr().err
    assert "not exported: notes (not a split: TRAIN, VAL, TEST, TEST_SIMPLE)" in err
    assert "  exported 37/37 images" in err
    assert f"{data}/VAL/blue/empty.jpg: an empty file (0 bytes)" in err
    assert err.strip().endswith(f"wrote {tmp_path}/out/lab-b.h5 (flat layout): TRAIN 20, VAL 8, TEST 8 images")


@pytest.mark.parametrize(("folder", "message"), [
    ("nowhere", ("nowhere/TRAIN does not exist: expected nowhere/TRAIN/<CLASS>/ with one folder of images per "
                 "class; nowhere does not exist either: check the --data path")),
    ("lab/TRAIN", "lab/TRAIN/TRAIN does not exist"),
])
def test_a_folder_that_is_not_a_dataset_says_what_to_fix(tmp_path, capsys, folder, message):
    write_split(tmp_path / "lab" / "TRAIN", 1, np.random.default_rng(0))
    assert main(["--data", str(tmp_path / folder), "--out", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert message in err.replace(f"{tmp_path}/", "") and "Traceback" not in err
    assert not (tmp_path / "x.h5").exists()
