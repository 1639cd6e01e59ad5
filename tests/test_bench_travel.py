"""The bench's measurements of how far the model travels, each on drawn data whose answer is known:
cell finding per lab (as the page finds cells), the label-free checks, tecom scored as the page would,
the robustness table, and their targets and report."""
import numpy as np
import pytest
import tf_keras as keras
from PIL import Image

from bench import find_cells, label_free, robustness, tecom
from bench.page_cells import NO_ANSWER, dihedral, page_spec, score
from bench.report import label_free_section, robustness_section, tecom_section
from bench.targets import target_rows
from core.artifacts import METADATA
from core.files import write_json
from core.finder import default_finder_spec
from core.preprocess import preprocessing_spec
from tests.conftest import COLOURS, draw_cell, draw_smear
from tests.metadata_samples import shipped_metadata

CLASSES = ["BLUE", "RED"]
FOUND = COLOURS["RED"]  # a drawn cell of this colour passes the smear check and is found


def write_fields(root, photos: dict):
    """Fields in bccd-smears' layout: {name: (picture, [(y, x) centres of annotated 80 x 80 white-cell boxes])}."""
    (root / "JPEGImages").mkdir(parents=True)
    (root / "Annotations").mkdir()
    for name, (picture, centres) in photos.items():
        Image.fromarray(picture).save(root / "JPEGImages" / f"{name}.jpg", quality=95)
        objects = "".join(f"<object><name>WBC</name><bndbox><xmin>{x - 40}</xmin><ymin>{y - 40}</ymin><xmax>{x + 40}"
                          f"</xmax><ymax>{y + 40}</ymax></bndbox></object>" for y, x in centres)
        (root / "Annotations" / f"{name}.xml").write_text(f"<annotation>{objects}</annotation>")
    return root


@pytest.fixture(scope="module")
def fields(tmp_path_factory):
    """Lab "fields-a": two cells drawn and boxed, one boxed cell not drawn, and a grey picture (not a smear)
    with a box (in name order a-two, grey, one: a-two is the held-out photo of the three); lab "fields-b":
    one drawn cell, boxed, in a green cast."""
    from bench.casts import cast

    rng = np.random.default_rng(4)
    root = tmp_path_factory.mktemp("fields")
    grey = np.full((480, 640, 3), 128, np.uint8)
    a = write_fields(root / "fields-a", {"one": (draw_smear(rng, white_cells=[(240, 320)]), [(240, 320)]),
                                         "a-two": (draw_smear(rng, white_cells=[(120, 150)]), [(120, 150), (400, 560)]),
                                         "grey": (grey, [(100, 100)])})
    b = write_fields(root / "fields-b", {"cast": (cast(draw_smear(rng, white_cells=[(200, 300)]), "green"),
                                                  [(200, 300)])})
    return a, b


def constant_model(size: int, answer: int, classes: int = 2):
    """A network that answers class `answer` whatever it sees."""
    inputs = keras.Input((size, size, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    output = keras.layers.Dense(classes, activation="softmax", kernel_initializer="zeros",
                                bias_initializer=keras.initializers.Constant(np.eye(classes)[answer] * 5))(pooled)
    return keras.Model(inputs, output)


def top_half_model(size: int):
    """A network that answers class 1 when the top half of its input is brighter than the bottom half."""
    weights = np.zeros((size, size, 3, 2), np.float32)
    weights[: size // 2, :, :, 1], weights[size // 2:, :, :, 1] = 1, -1
    inputs = keras.Input((size, size, 3))
    output = keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, output)
    model.layers[-1].set_weights([weights.reshape(-1, 2), np.zeros(2, np.float32)])
    return model


def test_an_older_models_finder_settings_are_completed_with_todays():
    old = preprocessing_spec(32)
    old["finder"] = {key: value for key, value in old["finder"].items() if not key.startswith("smear_")}
    old["finder"]["min_contrast"] = 77
    spec, filled = page_spec(old)
    assert filled == sorted(key for key in default_finder_spec() if key.startswith("smear_"))
    assert spec["finder"]["min_contrast"] == 77 and spec["finder"]["smear_content_percent"] == 5
    assert page_spec(preprocessing_spec(32, "full_frame")) == (preprocessing_spec(32, "full_frame"), [])


def test_the_finder_can_be_todays_rather_than_the_models(tmp_path):
    metadata = shipped_metadata()
    metadata["preprocessing"]["finder"]["min_contrast"] = 77
    write_json(tmp_path / "models" / "index.json",
               {"default": "m", "models": [{"name": "m", "version": "v1", "path": "m/v1/"}]})
    write_json(tmp_path / "models" / "m" / "v1" / METADATA, metadata)
    models, todays = find_cells.default_spec(tmp_path), find_cells.default_spec(tmp_path, todays_finder=True)
    assert models["finder"]["min_contrast"] == 77 and todays["finder"] == default_finder_spec()
    assert {**todays, "finder": None} == {**models, "finder": None}, "only the finder's settings change"


def test_cells_are_found_per_lab_as_the_page_finds_them(fields, tmp_path):
    measured = find_cells.measure(list(fields), tmp_path, preprocessing_spec(32))
    a, b = measured["labs"]["fields-a"], measured["labs"]["fields-b"]
    # fields-a: 4 boxes, 2 found (both hits); the grey picture is refused, so its box is missed.
    assert (a["smears"], a["refused"], a["white_cell_boxes"], a["found"], a["hits"]) == (3, 1, 4, 2, 2)
    assert (a["recall"], a["precision"]) == (0.5, 1.0)
    assert {r["photo"] for r in a["smears_with_errors"]} == {"a-two.jpg", "grey.jpg"}
    # The green cast is corrected before the finder looks: its one cell is found.
    assert (b["refused"], b["recall"], b["precision"], b["picture"]) == (0, 1.0, 1.0, None)
    assert a["picture"] == "find_cells_errors_fields-a.png" and (tmp_path / a["picture"]).stat().st_size > 0
    assert (tmp_path / "find_cells.json").is_file()


def test_a_found_centre_matches_the_nearest_free_box_and_counts_as_a_hit():
    boxes = [(0, 0, 100, 100), (50, 50, 150, 150)]
    assert find_cells.match([(60, 60), (90, 90), (140, 140)], boxes) == (2, 1, 0)


def test_dihedral_versions_are_the_eight_flips_and_turns():
    image = np.arange(2 * 3 * 3 * 1, dtype=np.float32).reshape(2, 3, 3, 1).repeat(3, axis=3)
    versions = dihedral(image)
    assert versions.shape == (8, 2, 3, 3, 3)
    assert np.array_equal(versions[0], image) and np.array_equal(versions[4], image[:, :, ::-1])
    assert len({v[0].tobytes() for v in versions}) == 8  # an image with no symmetry has 8 distinct versions


def test_agreement_under_flips_and_turns_is_measured_on_the_models_answers():
    size = 8
    uniform = np.full((size, size, 3), 100, np.float32)
    bright_top = uniform.copy()
    bright_top[: size // 2] = 200
    verdicts = label_free.cell_verdicts(top_half_model(size), CLASSES)([uniform, bright_top])
    # The uniform input looks the same on all 8 versions; the bright top turns into a bright bottom.
    assert verdicts == {"classes": ["BLUE", "RED"], "dihedral_agrees": [True, False]}
    assert label_free.cell_verdicts(top_half_model(size), CLASSES)([]) == {"classes": [], "dihedral_agrees": []}


def result(status, classes, matched, agrees, held_out=True):
    return {"status": status, "classes": classes, "matched": matched, "dihedral_agrees": agrees,
            "held_out": held_out}


def test_label_free_figures_count_the_boxed_cells_called_not_white_and_the_differential():
    names = ["NEUTROPHIL", "PLATELET", "ERYTHROBLAST"]
    results = [result("cells", ["NEUTROPHIL", "PLATELET", "PLATELET"], [0, 1, None], [True, True, False]),
               result("cells", ["ERYTHROBLAST"], [0], [True]), result("not-smear", [], [], [])]
    checks = label_free.lab_checks(results, names)
    assert (checks["photos"], checks["refused"], checks["found_cells"], checks["boxed_found_cells"]) == (3, 1, 4, 3)
    # Boxed: a neutrophil, a platelet and an erythroblast; the unboxed platelet is not counted.
    assert checks["boxed_called_platelet_or_erythroblast"] == 2
    assert checks["boxed_platelet_or_erythroblast_share"] == pytest.approx(2 / 3)
    assert checks["differential"] == {"NEUTROPHIL": 0.25, "PLATELET": 0.5, "ERYTHROBLAST": 0.25}
    assert checks["dihedral_agreement"] == 0.75


def test_label_free_figures_leave_out_the_photos_training_may_learn_from():
    names = ["NEUTROPHIL", "PLATELET"]
    results = [result("cells", ["NEUTROPHIL"], [0], [True]), result("cells", ["PLATELET"], [0], [True], held_out=False)]
    checks = label_free.lab_checks(results, names)
    assert (checks["photos"], checks["found_cells"], checks["boxed_called_platelet_or_erythroblast"]) == (1, 1, 0)


def test_label_free_checks_classify_every_found_cell_of_the_held_out_photos(fields):
    measured = label_free.measure(constant_model(32, answer=1), CLASSES, preprocessing_spec(32), [fields[0]])
    checks = measured["labs"]["fields-a"]
    assert (checks["photos"], checks["found_cells"], checks["boxed_found_cells"], checks["refused"]) == (1, 1, 1, 0)
    assert checks["differential"] == {"BLUE": 0.0, "RED": 1.0} and checks["dihedral_agreement"] == 1.0


def test_a_photo_without_an_answer_counts_as_wrong():
    scored = score(["A", "A", "B", "B"], ["A", NO_ANSWER, "B", "A"])
    assert (scored["accuracy"], scored["no_answer"], scored["correct"]) == (0.5, 1, 2)
    assert scored["balanced_accuracy"] == 0.5 and scored["recall"] == {"A": 0.5, "B": 0.5}
    assert scored["confusion"] == {"A": {"A": 1, NO_ANSWER: 1}, "B": {"B": 1, "A": 1}}


@pytest.fixture(scope="module")
def cell_photos(tmp_path_factory):
    """A lab of photos of one cell, VAL/ and TEST/ alike: 3 RED (found), 2 BLUE that are grey pictures (refused
    as not a smear), 1 VIOLET (a class the models here do not know)."""
    rng = np.random.default_rng(5)
    root = tmp_path_factory.mktemp("tecom") / "tecom"
    grey = Image.fromarray(np.full((120, 120, 3), 128, np.uint8))
    for split in ("VAL", "TEST"):
        for name, count in (("RED", 3), ("BLUE", 2), ("VIOLET", 1)):
            (root / split / name).mkdir(parents=True)
            for index in range(count):
                picture = grey if name == "BLUE" else draw_cell(rng, FOUND, size=(120, 120))
                picture.save(root / split / name / f"{index}.png")
    return root


def test_tecom_is_scored_as_the_page_answers(cell_photos):
    measured = tecom.measure(constant_model(32, answer=1), CLASSES, preprocessing_spec(32), cell_photos)
    # Every RED photo is called RED; the BLUE ones are refused: no answer, wrong.
    assert (measured["photos"], measured["refused"], measured["no_cell"]) == (5, 2, 0)
    assert (measured["accuracy"], measured["balanced_accuracy"]) == (0.6, 0.5)
    assert measured["confusion"] == {"BLUE": {NO_ANSWER: 2}, "RED": {"RED": 3}}
    assert measured["left_out_unknown_class"] == 1 and measured["split"] == "tecom/VAL"


def test_robustness_compares_each_change_with_clean(cell_photos):
    changes = {"nothing": lambda rgb: rgb, "blank": lambda rgb: np.full_like(rgb, 250)}
    measured = robustness.measure(constant_model(32, answer=1), CLASSES, preprocessing_spec(32), [cell_photos], 10,
                                  changes=changes)
    table = measured["sources"]["tecom/TEST"]
    assert (table["photos_sampled"], table["photos_scored"]) == (6, 5)
    rows = table["changes"]
    assert list(rows) == ["clean", "nothing", "blank"]
    assert (rows["clean"]["accuracy"], rows["nothing"]["points_vs_clean"]) == (0.6, 0.0)
    assert rows["blank"]["accuracy"] == 0 and rows["blank"]["points_vs_clean"] == pytest.approx(-60)
    assert (rows["blank"]["no_answer"], rows["blank"]["refused"], rows["clean"]["refused"]) == (5, 5, 2)


def test_a_robustness_sample_is_seeded(cell_photos):
    first = robustness.sample_photos(cell_photos / "TEST", 4, seed=1)
    assert first == robustness.sample_photos(cell_photos / "TEST", 4, seed=1) and len(first) == 4
    assert first == sorted(first) and len(robustness.sample_photos(cell_photos / "TEST", 99, seed=1)) == 6


TRAVEL = {
    "mode": "full", "model": {"input_size": [80, 80]},
    "cell_finding": {"every": 1, "labs": {"lab-a": {"smears": 2, "refused": 1, "white_cell_boxes": 4, "found": 3,
                                                    "hits": 3, "recall": 0.75, "precision": 1.0}}},
    "label_free": {"every": 1, "labs": {"lab-a": {
        "found_cells": 4, "boxed_found_cells": 3, "boxed_platelet_or_erythroblast_share": 0.01,
        "dihedral_agreement": 0.5, "differential": {"NEUTROPHIL": 0.75, "IG": 0.25}}},
        "previous": {"not_measured": "it finds no cells"}},
    "tecom": {"split": "tecom/VAL", "every": 1, "photos": 5, "refused": 0, "no_cell": 1, "accuracy": 0.9,
              "balanced_accuracy": 0.86, "recall": {"A": 0.72, "B": 1.0}, "confusion": {"A": {"A": 3, "B": 1}},
              "previous": {"model": "older 1", "photos": 4, "refused": 2, "no_cell": 0, "accuracy": 0.5,
                           "balanced_accuracy": 0.5, "recall": {"A": 0.5}, "left_out_unknown_class": 1,
                           "filled_finder_settings": ["smear_purple_percent", "lobe_stain_percent"]}},
    "robustness": {"sample": 300, "seed": 0, "sources": {"pbc/TEST": {"photos_scored": 10, "changes": {
        "clean": {"accuracy": 0.9, "points_vs_clean": 0.0, "refused": 0},
        "blur": {"accuracy": 0.88, "points_vs_clean": -2.0},
        "dim cast": {"accuracy": 0.8, "points_vs_clean": -10.0}}}}},
}


def test_travel_targets_are_judged_on_whole_runs_only():
    verdicts = {row["target"]: row for row in target_rows(TRAVEL)}
    assert verdicts["white cells found in lab-a: recall"]["met"] is False
    assert verdicts["white cells found in lab-a: precision"]["met"] is True
    refused = verdicts["real smears refused: lab-a"]
    assert (refused["measured"], refused["met"]) == (1, False)
    assert verdicts["real smears refused: tecom/VAL"]["met"] is True
    assert verdicts["real smears refused: pbc/TEST (the robustness sample, clean)"]["met"] is True
    assert verdicts["lab-a: boxed white cells called platelet or erythroblast"]["met"] is True
    assert verdicts["tecom/VAL balanced accuracy, as the page scores it (never trained on)"]["met"] is True
    assert verdicts["robustness: pbc/TEST blur, accuracy against clean"]["met"] is True
    dim = verdicts["robustness: pbc/TEST dim cast, accuracy against clean"]
    assert (dim["met"], dim["shown"]) == (False, "-10.0 points")
    quick_run = {**TRAVEL, "mode": "quick", "tecom": {**TRAVEL["tecom"], "every": 10}}
    quick = {row["target"]: row for row in target_rows(quick_run)}
    assert quick["robustness: pbc/TEST blur, accuracy against clean"]["verdict"] == "not judged"
    assert quick["tecom/VAL balanced accuracy, as the page scores it (never trained on)"]["shown"] == \
        "86.0% on every 10th photo"


def test_travel_sections_show_now_beside_previous():
    tecom_text = "\n".join(tecom_section(TRAVEL))
    assert "| now | 5 | 0 | 1 | 90.0% | 86.0% | A 72%, B 100% |" in tecom_text
    assert "| previous (older 1) | 4 | 2 | 0 | 50.0% | 50.0% | A 50% |" in tecom_text
    assert "| A | 3 | 1 |" in tecom_text
    assert ("Previous model: scored through today's colour correction, smear check and finder, with its metadata's "
            "settings and today's for the 2 its metadata predates") in tecom_text
    checks = "\n".join(label_free_section(TRAVEL))
    assert "| lab-a | now | 4 | 3 | 1.0% | 50.0% | NEUTROPHIL 75.0%, IG 25.0% |" in checks
    assert "Previous model: it finds no cells." in checks
    table = "\n".join(robustness_section(TRAVEL))
    assert "| pbc/TEST | now | 10 | 90.0% | 88.0% (-2.0) | 80.0% (-10.0) |" in table
