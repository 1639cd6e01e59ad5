"""Recovering which images are copies of one source, so validation holds out whole sources."""
import numpy as np
from PIL import Image

from tests.conftest import COLOURS, draw_cell, write_copies
from train.grouping import frame_signature, group_split, recover_groups, source_count


def files_and_labels(folder):
    classes = sorted(COLOURS)
    files = sorted(folder.glob("*/*.jpeg"))
    return [str(f) for f in files], np.array([classes.index(f.parent.name) for f in files]), classes


def test_copies_of_one_source_share_a_group(tmp_path):
    truth = write_copies(tmp_path, sources=8, copies=5, rng=np.random.default_rng(1))
    files, labels, classes = files_and_labels(tmp_path)
    groups = recover_groups(files, labels, classes, progress=False)
    group_of = {}
    for path, group in zip(files, groups):
        group_of.setdefault(truth[path.rsplit("/", 1)[1]], set()).add(group)
    assert len(group_of) == 24
    assert all(len(found) == 1 for found in group_of.values())
    # Half as many groups as sources per class: two sources per group.
    assert len(set(groups)) == 12


def test_without_the_pass_naming_every_image_is_its_own_group(tmp_path):
    rng = np.random.default_rng(2)
    for name, colour in COLOURS.items():
        (tmp_path / name).mkdir()
        for i in range(3):
            draw_cell(rng, colour).save(tmp_path / name / f"photo{i}.jpeg")
    files, labels, classes = files_and_labels(tmp_path)
    groups = recover_groups(files, labels, classes, progress=False)
    assert len(set(groups)) == 9


def test_source_count_reads_the_pass_positions():
    assert source_count(["_0_11.jpeg", "_1_12.jpeg", "_0_13.jpeg", "_2_9.jpeg"]) == 3
    assert source_count(["_0_11.jpeg", "photo.jpeg"]) is None


def test_signature_ignores_turns_flips_and_black_fill():
    image = draw_cell(np.random.default_rng(3), COLOURS["BLUE"], size=(160, 120))
    padded = Image.new("RGB", (200, 160))
    padded.paste(image.rotate(90, expand=True).transpose(Image.Transpose.FLIP_LEFT_RIGHT), (40, 0))
    other = draw_cell(np.random.default_rng(4), COLOURS["BLUE"], size=(160, 120))
    same = np.abs(frame_signature(np.asarray(image)) - frame_signature(np.asarray(padded))).max()
    different = np.abs(frame_signature(np.asarray(image)) - frame_signature(np.asarray(other))).max()
    assert same < different


def test_group_split_holds_out_whole_groups_of_every_class():
    labels = np.repeat([0, 1, 2], 20)
    groups = [f"{label}/g{i // 4}" for i, label in enumerate(labels)]
    train, validation = group_split(groups, labels, 0.2, seed=0)
    assert set(np.array(groups)[train]).isdisjoint(np.array(groups)[validation])
    assert set(labels[validation]) == {0, 1, 2}
    assert len(train) + len(validation) == 60
