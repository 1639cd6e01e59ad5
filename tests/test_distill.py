"""Distillation (--teacher): the student learns from a trained model's answers, on honest terms only."""
import shutil

import numpy as np
import pytest

from core.files import read_json, write_json
from train.distill import TeacherError, blend_targets, load_teacher, with_teacher

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def fixed_teacher(probabilities):
    """A real Keras model that answers the same probabilities whatever the image."""
    import tf_keras as keras

    inputs = keras.Input((8, 8, 3))
    flat = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(len(probabilities), activation="softmax", kernel_initializer="zeros",
                               bias_initializer=keras.initializers.Constant(np.log(probabilities)))
    return keras.Model(inputs, dense(flat))


def test_targets_blend_label_and_teacher_answer():
    import tensorflow as tf

    teacher = fixed_teacher([0.7, 0.2, 0.1])
    images = np.random.default_rng(0).uniform(0, 255, (5, 8, 8, 3)).astype(np.float32)
    labels = tf.one_hot([2, 2, 1, 0, 1], 3)
    batches = with_teacher(tf.data.Dataset.from_tensors((images, labels)), teacher, 0.25)
    _, targets = next(iter(batches))
    expected = 0.75 * labels.numpy() + 0.25 * np.array([0.7, 0.2, 0.1])
    np.testing.assert_allclose(targets.numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(targets.numpy().sum(axis=1), 1.0, atol=1e-6)


def test_weight_zero_keeps_the_labels():
    labels = np.eye(3)[[0, 2]]
    np.testing.assert_array_equal(blend_targets(labels, np.full((2, 3), 1 / 3), 0.0), labels)


def test_teacher_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(TeacherError, match="no model.h5"):
        load_teacher(tmp_path, {}, [])


@pytest.mark.parametrize(("change", "message"), [
    ({"preprocessing": {"input_size": [64, 64]}}, "other preprocessing"),
    ({"validation_groups": {"lab-a": ["NOT-THE-SAME-SMEARS"]}}, "other validation smears"),
    ({"classes": ["BLUE", "RED"]}, "knows other classes"),
])
def test_teacher_trained_on_other_terms_is_refused(trained_model, tmp_path, change, message):
    teacher = tmp_path / "teacher"
    shutil.copytree(trained_model, teacher)
    info = read_json(teacher / "training.json", "facts")
    write_json(teacher / "training.json", {**info, **change})
    with pytest.raises(TeacherError, match=message):
        load_teacher(teacher, info["preprocessing"], info["validation_groups"], info["classes"])


def test_train_cli_distils_from_a_trained_model(trained_model, synthetic_data, second_source, tmp_path):
    from train.__main__ import main

    code = main(["--data", str(synthetic_data), "--data", str(second_source), "--out", str(tmp_path), "--name", "student", "--epochs", "1",
                 "--batch-size", "16", "--input-size", "32", "--teacher", str(trained_model), "--teacher-weight", "0.7"])
    assert code == 0
    recipe = read_json(tmp_path / "student" / "training.json", "facts")["recipe"]
    assert recipe["teacher"] == trained_model.name and recipe["teacher_weight"] == 0.7


def test_train_cli_explains_a_teacher_it_cannot_use(synthetic_data, tmp_path, capsys):
    from train.__main__ import main

    code = main(["--data", str(synthetic_data), "--out", str(tmp_path), "--name", "student", "--epochs", "1",
                 "--input-size", "32", "--teacher", str(tmp_path / "nowhere")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--teacher" in err and "no model.h5" in err and "Traceback" not in err
