"""Learning from other labs' unlabelled white cells: the boxed cells of annotated fields (train/unlabelled.py),
and their pseudo-labels (train/pseudo.py)."""
import numpy as np
import pytest
from PIL import Image

from core.annotated_fields import HELD_OUT_EVERY, boxed_cells, held_out_photos, training_photos
from core.preprocess import preprocessing_spec
from tests.conftest import draw_smear
from train.pseudo import NORMAL_DIFFERENTIAL, aligned, expected_differential


def write_fields(root, rng, photos=4, boxed=True):
    """Whole fields (JPEGImages/, Annotations/) of a lab: each with two white cells, the first boxed as WBC
    (the second too when `boxed`), and a red cell boxed as RBC."""
    (root / "JPEGImages").mkdir(parents=True)
    (root / "Annotations").mkdir()
    cells = ((150, 160), (330, 470))
    for number in range(photos):
        Image.fromarray(draw_smear(rng, white_cells=cells)).save(root / "JPEGImages" / f"field{number}.jpg", quality=95)
        boxes = [(x - 45, y - 45, x + 45, y + 45) for y, x in (cells if boxed else cells[:1])]
        objects = "".join(f"<object><name>WBC</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{c}</xmax>"
                          f"<ymax>{d}</ymax></bndbox></object>" for a, b, c, d in boxes)
        rbc = "<object><name>RBC</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>"
        (root / "Annotations" / f"field{number}.xml").write_text(f"<annotation>{objects}{rbc}</annotation>")
    return root


def test_every_third_field_is_held_out_of_training(tmp_path):
    fields = write_fields(tmp_path / "lab", np.random.default_rng(0), photos=7)
    held, trained = held_out_photos(fields), training_photos(fields)
    assert [p.name for p in held] == ["field0.jpg", "field3.jpg", "field6.jpg"] and HELD_OUT_EVERY == 3
    assert not set(held) & set(trained) and len(held) + len(trained) == 7


def test_only_found_cells_inside_a_white_cell_box_count():
    cells = [{"square": (100, 100, 40)}, {"square": (300, 300, 40)}, {"square": (0, 0, 10)}]
    boxes = [(280, 280, 360, 360), (90, 90, 150, 150)]   # (left, top, right, bottom)
    assert boxed_cells(cells, boxes) == [0, 1]


def test_the_boxed_cells_of_the_training_fields_give_crops_and_page_inputs(tmp_path):
    from train.unlabelled import unlabelled_cells

    fields = write_fields(tmp_path / "lab", np.random.default_rng(1), photos=4, boxed=False)
    spec = preprocessing_spec()
    cells = unlabelled_cells(fields, spec, 1.4, tmp_path / "cache")
    # photos 1 and 2 are trained on (0 and 3 are held out); in each, one of the two white cells is boxed
    assert cells.lab == "lab" and len(cells.inputs) == len(cells.crops) == 2
    assert cells.crops.shape[1:] == (112, 112, 3) and cells.crops.dtype == np.uint8
    assert cells.inputs.shape[1:] == (80, 80, 3)
    # the page's input is the middle of the widened crop: the same cell
    middle = cells.crops[0][16:96, 16:96].astype(np.float32)
    assert np.abs(middle.mean(axis=(0, 1)) - cells.inputs[0].mean(axis=(0, 1))).max() < 12


def test_a_folder_without_annotations_is_refused_saying_what_it_needs(tmp_path):
    from core.dataset import DatasetError
    from train.unlabelled import unlabelled_cells

    (tmp_path / "photos" / "JPEGImages").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no Annotations/"):
        unlabelled_cells(tmp_path / "photos", preprocessing_spec(), 1.4, tmp_path / "cache")


def test_a_whole_frame_model_trains_without_the_default_fields_and_refuses_given_ones(tmp_path, capsys):
    from train.config import default_unlabelled, parse_config

    assert default_unlabelled(), "the shipped recipe learns from field sets"
    assert parse_config(["--data", "x", "--crop", "full_frame"]).unlabelled == ()
    fields = write_fields(tmp_path / "lab", np.random.default_rng(0), photos=1)
    with pytest.raises(SystemExit):
        parse_config(["--data", "x", "--crop", "full_frame", "--unlabelled", str(fields)])
    assert "--crop full_frame has none of" in capsys.readouterr().err


def test_the_tutorial_baseline_trains_on_labels_alone(tmp_path):
    from bench.tutorial import train_command
    from train.config import parse_config

    command = train_command(tmp_path / "blood-cells", tmp_path / "models", epochs=2)
    config = parse_config(command[3:])
    assert config.crop == "full_frame" and config.unlabelled == () and config.epochs == 2


def test_answers_are_aligned_to_a_normal_differential():
    classes = ["EOSINOPHIL", "ERYTHROBLAST", "LYMPHOCYTE", "NEUTROPHIL"]
    prior = expected_differential(classes)
    assert prior.sum() == pytest.approx(1) and prior.argmax() == classes.index("NEUTROPHIL")
    assert NORMAL_DIFFERENTIAL["ERYTHROBLAST"] < NORMAL_DIFFERENTIAL["LYMPHOCYTE"]
    # another lab: the network calls 40 cells erythroblasts (unsure, lymphocyte close behind), 60 neutrophils
    unsure, sure = [0.05, 0.5, 0.4, 0.05], [0.02, 0.03, 0.05, 0.9]
    answers = aligned(np.array([unsure] * 40 + [sure] * 60), prior)
    assert np.allclose(answers.sum(axis=1), 1)
    np.testing.assert_allclose(answers.mean(axis=0), prior, atol=0.01)   # shared out as the differential
    assert classes[answers[0].argmax()] == "LYMPHOCYTE" and classes[answers[-1].argmax()] == "NEUTROPHIL"


def test_a_network_calling_every_cell_one_class_does_not_pseudo_label_them_all_so():
    classes = ["LYMPHOCYTE", "NEUTROPHIL"]
    rng = np.random.default_rng(3)
    lean = rng.uniform(0.0, 0.3, 200)                 # every cell called a neutrophil, some less surely
    answers = aligned(np.stack([lean, 1 - lean], axis=1), expected_differential(classes))
    lymphocytes = (answers.argmax(axis=1) == 0).mean()
    assert 0.15 < lymphocytes < 0.5                    # the least sure go to the other class


def test_classes_a_white_cell_box_does_not_hold_are_never_pseudo_labels():
    classes = ["ERYTHROBLAST", "LYMPHOCYTE", "NEUTROPHIL", "PLATELET", "SMUDGE"]
    prior = expected_differential(classes)
    assert prior[[0, 3, 4]].sum() == 0 and prior.sum() == pytest.approx(1)
    answers = aligned(np.array([[0.9, 0.05, 0.05, 0.0, 0.0]] * 10 + [[0.1, 0.1, 0.1, 0.6, 0.1]] * 10), prior)
    assert set(answers.argmax(axis=1)) <= {1, 2}


def test_each_step_adds_unlabelled_cells_weighted_by_their_confidence():
    from types import SimpleNamespace

    from train.config import TrainConfig
    from train.pseudo import semi_supervised_batches

    rng = np.random.default_rng(2)
    images, labels = rng.integers(0, 256, (20, 14, 14, 3)).astype(np.uint8), rng.integers(0, 3, 20)
    crops = rng.integers(0, 256, (6, 14, 14, 3)).astype(np.uint8)
    # cells 0-2 confidently class 2, cells 3-5 not confident: their targets must not count
    targets = np.eye(3, dtype=np.float32)[[2, 2, 2, 0, 0, 0]]
    asked = []
    current = SimpleNamespace(labels_for=lambda epoch: asked.append(epoch) or
                              (targets, np.array([1, 1, 1, 0, 0, 0], np.float32)))
    config = TrainConfig(input_size=10, batch_size=8, epochs=1, unlabelled_batch=4, augment="basic",
                         unlabelled=("none",))
    batch = next(iter(semi_supervised_batches(images, labels, np.ones(20), crops, current, config, 0, 3, 1.4)))
    inputs, targets_seen, weights = (part.numpy() for part in batch)
    assert inputs.shape == (12, 10, 10, 3) and targets_seen.shape == (12, 3)
    np.testing.assert_allclose(weights[:8], 12 / 8)            # labelled cells weigh as they would alone
    assert set(np.round(weights[8:], 6)) <= {0.0, 1.5}
    assert all(cls == 2 for cls, weight in zip(targets_seen[8:].argmax(axis=1), weights[8:]) if weight > 0)
    assert asked and set(asked) == {0}                          # the first epoch's labels were asked for


def test_an_epochs_batches_wait_for_its_pseudo_labels():
    import threading

    from train.config import TrainConfig
    from train.pseudo import PseudoLabels
    from train.unlabelled import UnlabelledCells

    cells = UnlabelledCells("lab", np.zeros((4, 14, 14, 3), np.uint8), np.zeros((4, 10, 10, 3), np.float32))
    config = TrainConfig(input_size=10, epochs=4, pseudo_start=0.5, unlabelled=("none",))
    pseudo = PseudoLabels([cells], ["LYMPHOCYTE", "NEUTROPHIL"], config, config.epochs)
    got = []
    waiting = threading.Thread(target=lambda: got.append(pseudo.labels_for(1)))
    waiting.start()
    waiting.join(timeout=1.5)
    assert waiting.is_alive() and not got                       # epoch 1 has not begun
    pseudo.on_epoch_begin(1)                                    # before pseudo_start: nothing to refresh
    waiting.join(timeout=5)
    assert got and not got[0][1].any()


@pytest.mark.training
def test_a_run_learns_from_unlabelled_fields_and_records_what_it_learnt(synthetic_data, tmp_path):
    from train.config import parse_config
    from train.run import train

    fields = write_fields(tmp_path / "fields-lab", np.random.default_rng(5), photos=6)
    folder = train(parse_config(["--data", str(synthetic_data), "--out", str(tmp_path / "models"), "--name", "semi",
                                 "--epochs", "3", "--batch-size", "16", "--input-size", "32",
                                 "--unlabelled", str(fields), "--unlabelled-batch", "4", "--pseudo-start", "0.34"]))
    facts = __import__("json").loads((folder / "training.json").read_text())
    assert facts["unlabelled"] == {"fields-lab": 8}             # 4 training photos, 2 boxed cells each
    assert [entry["epoch"] for entry in facts["pseudo_labels"]] == [2, 3]
    assert facts["recipe"]["unlabelled"] == ["fields-lab"] and (folder / "model.h5").is_file()
