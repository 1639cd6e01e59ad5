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


def scores(balanced):
    return {"validation": {"balanced_accuracy": balanced}, "TEST": {"balanced_accuracy": balanced,
            "lab_classes_balanced_accuracy": balanced}, "home_TEST": {"balanced_accuracy": 0.9}}


def test_the_report_names_the_twin_it_adapted():
    from bench.adaptation_report import pair_table

    pair = {"trained_on": "blood-cells", "scored_on": "pbc", "classes": ["A", "B"], "shared_classes": ["A"],
            "twin": {"weights": "0123456789ab", "trained": "2026-12-07T08:09:46+00:00"},
            "before": scores(0.4), "recalibrated": {**scores(0.41), "shift": 0.1},
            "fine_tuned": [{"cells_per_class": 10, "mode": "head", "drawn_per_class": {"A": 10, "B": 10},
                            **scores(0.6)}]}
    text = "\n".join(pair_table(pair))
    assert "The twin: weights 0123456789ab (the start of their SHA-256), trained 2026-12-07." in text
    assert "| fine-tuned on 10 cells per class, head layers (chosen on validation) | 60.0% |" in text
