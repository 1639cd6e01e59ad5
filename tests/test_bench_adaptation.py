"""bench.adaptation's work folder: fine-tuned copies are kept between runs, never across twins."""
from types import SimpleNamespace

from bench.adapting import pair_tag
from core.artifacts import TrainedFolder


def lab(name):
    return SimpleNamespace(source=SimpleNamespace(name=name))


def twin_with_weights(folder, weights: bytes):
    folder.mkdir()
    TrainedFolder(folder).model_file.write_bytes(weights)
    return folder


def test_a_retrained_twin_does_not_reuse_the_copies_adapted_from_the_one_before(tmp_path):
    first = twin_with_weights(tmp_path / "first", b"weights of the first run")
    same = twin_with_weights(tmp_path / "same", b"weights of the first run")
    retrained = twin_with_weights(tmp_path / "retrained", b"weights of a later run")
    tag = pair_tag(first, lab("blood-cells"), lab("pbc"))
    assert tag.startswith("blood-cells-to-pbc-")
    assert pair_tag(same, lab("blood-cells"), lab("pbc")) == tag
    assert pair_tag(retrained, lab("blood-cells"), lab("pbc")) != tag
