"""Distillation: train one small network on a trained model's answers as well as on the labels.

An ensemble is more accurate but several times slower and larger in the browser. A single network
trained to match the ensemble's probabilities (on the same augmented images it sees) often keeps
much of that accuracy at one member's cost. The teacher must have been trained with the same
preprocessing and the same validation smears held out, or validation would stop being honest:
a teacher that saw the validation smears would leak them into the student.
"""
from pathlib import Path

from core.artifacts import TrainedFolder


class TeacherError(ValueError):
    """The teacher folder cannot teach this run (missing, or trained on other terms)."""


def load_teacher(folder: Path, spec: dict, validation_groups: dict, classes: list = None):
    trained = TrainedFolder(folder)
    if not trained.has_model():
        raise TeacherError(f"--teacher {folder}: no {trained.model_file.name} there; give a folder written by "
                           "python -m train")
    info = trained.facts("teacher training facts")
    if info.get("preprocessing") != spec:
        raise TeacherError(f"--teacher {folder} was trained with other preprocessing ({info.get('preprocessing')}); "
                           f"this run uses {spec}")
    if classes is not None and info.get("classes") != classes:
        raise TeacherError(f"--teacher {folder} knows other classes ({', '.join(info.get('classes', []))}); this run "
                           f"learns {', '.join(classes)}: train both on the same sources")
    if info.get("validation_groups") != validation_groups:
        raise TeacherError(f"--teacher {folder} held out other validation smears; train both with the same "
                           f"--split-seed and --val-fraction, or its answers would leak validation images")
    return trained.load()  # TensorFlow loads slowly; the checks above need none of it


def blend_targets(labels, teacher_probabilities, weight: float):
    """(1 - weight) x the one-hot label + weight x the teacher's probabilities: still sums to one."""
    return (1.0 - weight) * labels + weight * teacher_probabilities


def with_teacher(batches, teacher, weight: float):
    """Replace each batch's one-hot targets by targets blended with the teacher's answer on that batch."""
    return batches.map(lambda images, labels: (images, blend_targets(labels, teacher(images, training=False), weight)))
