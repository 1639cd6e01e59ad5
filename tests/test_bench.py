"""The quick benchmark end to end on the tiny published model of two sources: its outputs exist and their
figures agree; and its parts on their own (sources and samples, the previous model, targets).

Benchmarks measure time; these tests never assert on how long anything took.
"""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tf_keras as keras
from PIL import Image

from bench import previous
from bench.casts import CHANGES
from bench.__main__ import main, parse_args
from bench.published import rebuild_keras, weight_bytes
from bench.quality import keras_probabilities
from bench.report import cross_lab_section
from bench.sources import held_out_splits, read_split, sample_evenly, source_folders
from bench.targets import target_rows
from core.dataset import list_split
from core.files import write_json
from core.metrics import compute_metrics
from core.model_index import default_model
from core.paths import default_dataset
from core.preprocess import preprocess_file, preprocessing_spec
from core.tfjs import run_converter, save_h5
from tests.conftest import draw_smear

SPLITS = {"lab-a/TEST_SIMPLE", "lab-b/TEST"}  # what --quick reads of the two synthetic sources


def silent(_message):
    pass


SMEAR_CELLS = {"one.png": [(240, 320)], "two.png": [(120, 150), (330, 480)]}


@pytest.fixture(scope="module")
def smears(tmp_path_factory) -> Path:
    """Drawn whole smears with their white cells annotated as bccd-smears annotates them (Pascal VOC);
    one annotated cell is missing from "two.png", so recall cannot be perfect."""
    root = tmp_path_factory.mktemp("smears")
    (root / "JPEGImages").mkdir()
    (root / "Annotations").mkdir()
    rng = np.random.default_rng(9)
    for name, centres in SMEAR_CELLS.items():
        Image.fromarray(draw_smear(rng, white_cells=centres)).save(root / "JPEGImages" / name.replace(".png", ".jpg"),
                                                                    quality=95)
        boxes = [*centres, (40, 40)] if name == "two.png" else centres  # (40, 40): annotated, not drawn
        objects = "".join(f"<object><name>WBC</name><bndbox><xmin>{x - 40}</xmin><ymin>{y - 40}</ymin><xmax>{x + 40}"
                          f"</xmax><ymax>{y + 40}</ymax></bndbox></object>" for y, x in boxes)
        objects += "<object><name>RBC</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>"
        (root / "Annotations" / name.replace(".png", ".xml")).write_text(f"<annotation>{objects}</annotation>")
    return root


@pytest.fixture(scope="module")
def quick_bench(published_site, synthetic_data, second_source, smears, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    _, model_folder = default_model(published_site / "models")
    # The published model is its own "previous" model here: their figures must then be equal.
    assert main(["--quick", "--web-root", str(published_site), "--data", str(synthetic_data),
                 "--data", str(second_source), "--out", str(out), "--models", str(out / "no-models"),
                 "--previous", str(model_folder), "--smears", str(smears), "--fields", str(smears),
                 "--tecom", str(second_source), "--robustness-data", str(second_source)]) == 0
    return (out, json.loads((out / "results.json").read_text()),
            json.loads((out / "predictions.json").read_text()))


@pytest.fixture(scope="module")
def older_model(tmp_path_factory) -> Path:
    """A converted model unlike the one measured: other classes (PURPLE, VIOLET), whole-frame 24x24 input."""
    folder = tmp_path_factory.mktemp("older") / "model"
    inputs = keras.Input((24, 24, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(pooled))
    run_converter(save_h5(model, folder.parent / "older.h5"), folder, None)
    write_json(folder / "metadata.json", {"name": "older", "version": "0123456789ab", "classes": ["PURPLE", "VIOLET"],
                                          "preprocessing": preprocessing_spec(24, "full_frame"),
                                          "model": {"parameters": model.count_params()}})
    return folder


def test_rebuilt_keras_model_gives_the_trained_models_probabilities(published_site, trained_model, synthetic_data):
    metadata, folder = default_model(published_site / "models")
    rebuilt = rebuild_keras(folder)
    assert isinstance(rebuilt, keras.Model)
    paths = sorted(synthetic_data.glob("TEST_SIMPLE/*/*.jpeg"))
    inputs = np.stack([preprocess_file(p, metadata["preprocessing"]) for p in paths])
    trained = keras.models.load_model(trained_model / "model.h5")
    assert np.abs(rebuilt.predict(inputs, verbose=0) - trained.predict(inputs, verbose=0)).max() <= 1e-6


def test_command_line_defaults():
    assert parse_args(["--quick"]).out == Path("bench/quick")
    assert parse_args([]).out == Path("bench")
    assert parse_args(["--data", "a", "--data", "b"]).data == [Path("a"), Path("b")]
    assert parse_args([]).previous == "edaf301:web/models/leukolens-cnn/b0277e089ad2"


def test_by_default_the_sources_are_those_the_model_was_trained_on():
    metadata = {"training": {"sources": [{"name": "blood-cells"}, {"name": "pbc"}]}}
    assert source_folders(None, metadata) == [Path(default_dataset("blood-cells")), Path(default_dataset("pbc"))]
    assert source_folders(None, {"training": {}}) == [Path(default_dataset("blood-cells"))]  # before several sources
    assert source_folders([Path("x")], metadata) == [Path("x")]


def test_held_out_splits_per_source(synthetic_data, second_source, tmp_path):
    full, missing = held_out_splits([synthetic_data, second_source], quick=False)
    assert [s.key for s in full] == ["lab-a/TEST", "lab-a/TEST_SIMPLE", "lab-b/TEST"] and missing == {}
    assert not any(s.sampled for s in full) and full[0].photos == 24
    quick, _ = held_out_splits([synthetic_data, second_source, tmp_path / "lab-c"], quick=True)
    assert {s.key for s in quick} == SPLITS  # lab-b has no TEST_SIMPLE: its TEST (8 photos, no more than a sample)
    _, missing = held_out_splits([synthetic_data, tmp_path / "lab-c"], quick=True)
    assert missing == {"lab-c": f"{tmp_path / 'lab-c'} does not exist"}
    with pytest.raises(FileNotFoundError, match="no held-out split"):
        held_out_splits([tmp_path / "lab-c"], quick=True)


def test_a_sample_takes_every_class_alike_and_the_same_photos_each_time(synthetic_data):
    listing = list_split(synthetic_data / "TEST")
    sample = sample_evenly(listing, 6)
    assert sample == sample_evenly(listing, 6) and len(sample) == 6
    assert sorted(Path(p).parent.name for p in sample) == ["BLUE", "BLUE", "GREEN", "GREEN", "RED", "RED"]
    assert sample_evenly(listing, 24) is None  # the whole split fits


def test_a_split_is_read_over_the_models_classes_whatever_the_folder_case(second_source):
    split = next(s for s in held_out_splits([second_source], quick=False)[0] if s.split == "TEST")
    dataset = read_split(split, ["BLUE", "GREEN", "VIOLET"], preprocessing_spec(24, "full_frame"))
    assert sorted(dataset.labels.tolist()) == [0] * 4 + [2] * 4 and dataset.images.shape == (8, 24, 24, 3)
    assert read_split(split, ["GREEN", "RED"], preprocessing_spec(24, "full_frame")) is None


def now_figures(published_site, splits) -> dict:
    """What run.py hands bench.previous: the measured model's photos and probabilities per split."""
    metadata, folder = default_model(published_site / "models")
    model = rebuild_keras(folder)
    datasets = {s.key: read_split(s, metadata["classes"], metadata["preprocessing"]) for s in splits}
    return {key: {"dataset": d, "keras": keras_probabilities(model, d.images)} for key, d in datasets.items()}


def test_previous_model_is_scored_on_its_own_classes_with_its_own_preprocessing(
        older_model, published_site, synthetic_data, second_source, tmp_path):
    splits, _ = held_out_splits([synthetic_data, second_source], quick=True)
    now = now_figures(published_site, splits)
    compared = previous.compare(str(older_model), tmp_path, splits, now, silent)
    assert compared["not_scored"] == {"lab-a/TEST_SIMPLE": "none of its classes (PURPLE, VIOLET)"}
    scored = compared["quality"]["lab-b/TEST"]
    # Only lab-b's VIOLET photos are of a class it knows, each prepared as its own metadata says.
    files = sorted(str(p) for p in (second_source / "TEST" / "VIOLET").iterdir())
    inputs = np.stack([preprocess_file(p, preprocessing_spec(24, "full_frame")) for p in files])
    expected = compute_metrics(np.ones(4, int), keras_probabilities(rebuild_keras(older_model), inputs),
                               ["PURPLE", "VIOLET"])
    assert scored["previous"] == expected
    measured_now = now["lab-b/TEST"]
    yellow = [i for i, path in enumerate(measured_now["dataset"].files) if path in files]
    assert scored["now"] == compute_metrics(measured_now["dataset"].labels[yellow], measured_now["keras"][yellow],
                                            measured_now["dataset"].classes)
    assert scored["now"]["images"] == 4 and measured_now["dataset"].labels.size == 8


def git(repo: Path, *arguments) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@localhost",
                           *arguments], check=True, capture_output=True, text=True).stdout.strip()


def test_previous_model_is_read_from_a_git_revision(tmp_path):
    published = {"model.json": b'{"weightsManifest": []}', "group1-shard1of1.bin": bytes(range(256)),
                 "metadata.json": b'{"name": "older"}'}
    repo = tmp_path / "repo"
    (repo / "web" / "models" / "older").mkdir(parents=True)
    for name, content in {**published, "picture.png": b"not a model file"}.items():
        (repo / "web" / "models" / "older" / name).write_bytes(content)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "older model")
    revision = git(repo, "rev-parse", "--short", "HEAD")
    shutil.rmtree(repo / "web")  # only the history has it now
    folder = previous.model_folder(f"{revision}:web/models/older", tmp_path / "scratch", repo)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == published


def test_an_unreadable_previous_model_is_skipped_with_the_reason(tmp_path):
    git(tmp_path, "init", "-q")
    with pytest.raises(previous.Unavailable, match="git cannot read 0123abc:web/models/x.*git fetch --unshallow"):
        previous.model_folder("0123abc:web/models/x", tmp_path / "scratch", tmp_path)
    compared = previous.compare("0123abc:web/models/x", tmp_path / "scratch", [], {}, silent, repo=tmp_path)
    assert compared["from"] == "0123abc:web/models/x" and "git cannot read" in compared["skipped"]
    compared = previous.compare(str(tmp_path), tmp_path / "scratch", [], {}, silent)
    assert "has no model.json or metadata.json" in compared["skipped"]


def test_quick_bench_writes_every_output(quick_bench, published_site):
    out, results, _ = quick_bench
    for name in ("results.md", "results.json", "predictions.json", "confusion_matrix_lab-a_TEST_SIMPLE.png",
                 "confusion_matrix_lab-b_TEST.png"):
        assert (out / name).stat().st_size > 0, name
    metadata, _ = default_model(published_site / "models")
    report = (out / "results.md").read_text()
    assert report.startswith("# Leukolens benchmark (quick")
    assert f"{metadata['name']} version {metadata['version']}" in report
    assert "](confusion_matrix_lab-b_TEST.png)" in report
    for section in ("## Targets", "## Quality", "Per class on lab-a/TEST_SIMPLE", "Per class on lab-b/TEST",
                    "## Across labs", "## Previous model and now", "## Speed", "## Quantization",
                    "## Against the tutorial", "## Training cost", "## Server throughput"):
        assert section in report, section
    assert "every body was byte-identical to its file" in report
    assert results["mode"] == "quick"
    assert set(results["quality"]) == SPLITS and set(results["speed"]) == {"wasm"}


def test_recorded_figures_are_what_compute_metrics_gives(quick_bench):
    _, results, predictions = quick_bench
    assert set(predictions) == SPLITS
    for key, recorded in predictions.items():
        labels = np.array(recorded["labels"])
        assert len(labels) == len(recorded["files"]) == results["quality"][key]["images"]
        for side in ("keras", "browser"):
            computed = compute_metrics(labels, np.array(recorded[side]), recorded["classes"])
            assert computed == results["quality"][key][side], side
    assert results["quality"]["lab-a/TEST_SIMPLE"]["images"] == 12
    # lab-b's blue/ folder is the model's BLUE class; its VIOLET photos are the other half.
    classes = predictions["lab-b/TEST"]["classes"]
    assert sorted(predictions["lab-b/TEST"]["labels"]) == [classes.index("BLUE")] * 4 + [classes.index("VIOLET")] * 4


def test_browser_gives_kerass_probabilities(quick_bench):
    _, results, predictions = quick_bench
    for key in SPLITS:
        agreement = results["quality"][key]["browser_vs_keras"]
        recorded = predictions[key]
        difference = np.abs(np.array(recorded["keras"]) - np.array(recorded["browser"])).max()
        assert agreement["max_abs_difference"] == pytest.approx(difference)
        assert difference <= 1e-3 and agreement["top_class_differs"] == 0
        assert results["quality"][key]["browser_errors"] == {}
        check = results["rebuilt_model_check"][key]
        assert check["rebuilt"] == pytest.approx(check["published"])


def test_the_previous_model_sits_beside_now(quick_bench):
    out, results, _ = quick_bench
    compared = results["previous"]
    assert "skipped" not in compared and compared["not_scored"] == {}
    for key in SPLITS:  # the same model on the same photos, prepared alike
        assert compared["quality"][key]["previous"] == results["quality"][key]["keras"]
        assert compared["quality"][key]["now"] == results["quality"][key]["keras"]
    assert f"| lab-b/TEST | previous ({compared['version']}) | 8 |" in (out / "results.md").read_text()


def test_sizes_and_comparisons_are_consistent(quick_bench, published_site):
    _, results, _ = quick_bench
    _, folder = default_model(published_site / "models")
    assert results["model"]["weight_bytes"] == weight_bytes(folder)
    sizes = {name: q["weight_bytes"] for name, q in results["quantization"].items()}
    assert sizes["none"] == weight_bytes(folder) and sizes["uint8"] < sizes["float16"] < sizes["none"]
    assert all(results["quantization"]["none"][key]["top_class_differs"] == 0 for key in SPLITS)
    tutorial = results["tutorial"]
    assert tutorial["trained"] is False and tutorial["weight_bytes"] > results["model"]["weight_bytes"]
    assert tutorial["ours_over_theirs"]["weight_bytes"] == pytest.approx(
        results["model"]["weight_bytes"] / tutorial["weight_bytes"])
    transferred = results["cold_start"]["transferred"]
    assert any(path.endswith(".bin") for path in transferred["model"]["files"])
    assert transferred["model"]["body_bytes"] >= results["model"]["weight_bytes"]


def test_targets_are_judged_only_when_measured(quick_bench):
    _, results, _ = quick_bench
    verdicts = {row["target"]: row for row in results["targets"]}
    for row in verdicts.values():
        assert (row["met"] is None) == (row["measured"] is None or row["verdict"] == "not judged"), row["target"]
    # The synthetic labs are neither pbc nor blood-cells, and convert found no cross-lab figures.
    assert verdicts["pbc TEST accuracy (Keras)"]["verdict"] == "not measured"
    assert verdicts["cross-lab: TEST accuracy of a twin trained on one lab alone, on another (each way)"]["met"] is None
    parity = verdicts["browser vs Keras: photos whose top class differs (all 20)"]
    assert parity["met"] is True and parity["measured"] == 0
    assert verdicts["weights"]["met"] == (results["model"]["weight_bytes"] <= 1e6)


def split_figures(labels: list, predicted: list, classes: list, sample: bool) -> dict:
    probabilities = np.eye(len(classes))[predicted]
    metrics = compute_metrics(np.array(labels), probabilities, classes)
    return {"source": "pbc", "split": "TEST", "images": len(labels), "photos_in_split": 100, "sample": sample,
            "keras": metrics, "browser_vs_keras": {"images": len(labels), "max_abs_difference": 2e-3,
                                                   "top_class_differs": 1}}


def test_targets_judge_whole_splits_and_each_cross_lab_pair():
    classes = ["BLUE", "GREEN", "RED"]
    pair = {"images": 10, "accuracy": 0.7, "balanced_accuracy": 0.65, "classes": ["BLUE"]}
    results = {"model": {"input_size": [80, 80], "weight_bytes": 900_000},
               "quality": {"pbc/TEST": split_figures([0, 1, 2, 2], [0, 1, 2, 1], classes, sample=False)},
               "cross_lab": {"pairs": [{"trained_on": "a", "scored_on": "b", "validation": pair, "TEST": pair,
                                        "shared_classes": {"validation": pair, "TEST": {**pair, "accuracy": 0.8}}},
                                       {"trained_on": "b", "scored_on": "a", "validation": pair,
                                        "TEST": {**pair, "accuracy": 0.5}}]}}
    verdicts = {row["target"]: row for row in target_rows(results)}
    accuracy = verdicts["pbc TEST accuracy (Keras, 3 classes)"]
    assert (accuracy["measured"], accuracy["met"]) == (0.75, False)
    assert verdicts["pbc TEST lowest per-class recall (Keras, 3 classes)"]["measured"] == 0.5
    # Judged over the shared classes where the pair has them, else over the answers as given.
    a_to_b = verdicts["cross-lab: trained on a alone, b TEST accuracy (shared classes)"]
    assert (a_to_b["measured"], a_to_b["met"]) == (0.8, True)
    assert verdicts["cross-lab: trained on b alone, a TEST accuracy (shared classes)"]["met"] is False
    assert verdicts["weights"]["met"] is True and verdicts["WASM median per 80x80 input"]["met"] is None
    assert verdicts["browser vs Keras: max abs probability difference"]["met"] is False
    table = "\n".join(cross_lab_section(results))
    assert "| a | b | BLUE | any of its classes | 10 | 65.0% | 70.0% | 10 | 65.0% | 70.0% |" in table
    assert "| a | b | BLUE | the shared classes | 10 | 65.0% | 70.0% | 10 | 65.0% | 80.0% |" in table
    assert "| b | a | BLUE | any of its classes | 10 | 65.0% | 70.0% | 10 | 65.0% | 50.0% |" in table
    results["quality"]["pbc/TEST"]["sample"] = True  # a quick run's sample shows its figure, unjudged
    sampled = {row["target"]: row for row in target_rows(results)}["pbc TEST accuracy (Keras, 3 classes)"]
    assert sampled["met"] is None and sampled["verdict"] == "not judged"
    assert sampled["shown"] == "75.0% on a sample of 4 of its 100 photos"


def test_cell_finding_is_measured_against_the_annotated_boxes(quick_bench, smears):
    out, results, _ = quick_bench
    found = results["cell_finding"]["labs"][smears.name]
    assert (found["white_cell_boxes"], found["found"], found["hits"], found["refused"]) == (4, 3, 3, 0)
    assert found["recall"] == 0.75 and found["precision"] == 1.0
    verdicts = {row["target"]: row["met"] for row in results["targets"]}
    assert verdicts[f"white cells found in {smears.name}: recall"] is False  # both photos were read: judged
    picture = f"find_cells_errors_{smears.name}.png"
    assert (out / picture).stat().st_size > 0 and f"`{picture}`" in (out / "results.md").read_text()


def test_how_far_the_model_travels_sits_beside_the_previous_model(quick_bench, smears):
    out, results, _ = quick_bench
    report = (out / "results.md").read_text()
    for section in ("## Label-free checks", "## tecom VAL", "## Robustness"):
        assert section in report, section
    # The model is its own previous model here: the same figures on the same photos.
    before = results["cell_finding"]["previous"]["labs"][smears.name]
    assert {key: before[key] for key in ("found", "hits", "refused")} == {"found": 3, "hits": 3, "refused": 0}
    assert results["label_free"]["previous"]["labs"] == results["label_free"]["labs"]
    # Label-free figures are over the held-out photos: the first of the two.
    checks = results["label_free"]["labs"][smears.name]
    assert checks["photos"] == 1 and 1 <= checks["found_cells"] < 3
    for key in ("accuracy", "balanced_accuracy", "confusion"):
        assert results["tecom"]["previous"][key] == results["tecom"][key]
    assert results["tecom"]["photos"] == 8 and results["tecom"]["split"] == f"{second_source_name(results)}/VAL"
    table = results["robustness"]["sources"][f"{second_source_name(results)}/TEST"]
    assert table["photos_scored"] == 8 and set(table["changes"]) == {"clean", *CHANGES}
    assert results["robustness"]["previous"]["sources"] == results["robustness"]["sources"]


def second_source_name(results: dict) -> str:
    return results["tecom"]["split"].split("/")[0]


def test_many_smears_picked_at_once_are_timed_and_their_cells_counted(quick_bench):
    _, results, _ = quick_bench
    many = results["many_smears"]
    assert many["photos"] == 2 and many["cells"] == 3 and many["seconds"] > 0  # the drawn smears: 1 + 2 cells


def test_a_found_centre_matches_one_box_at_most():
    from bench.find_cells import match

    boxes = [(0, 0, 100, 100), (50, 50, 150, 150)]
    assert match([(60, 60), (70, 70), (75, 75)], boxes) == (2, 1, 0)  # two boxes, three finds: one extra
    assert match([(500, 500)], boxes) == (0, 1, 2)


def test_tutorial_epochs_0_measures_an_untrained_baseline_unless_one_is_trained(tmp_path):
    from types import SimpleNamespace

    from bench.run import untrained_on_request
    from bench.tutorial import NAME

    def run(epochs):
        return SimpleNamespace(options=SimpleNamespace(tutorial_epochs=epochs, models=tmp_path))

    assert untrained_on_request(run(0)) and not untrained_on_request(run(None)) and not untrained_on_request(run(3))
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "model.h5").write_bytes(b"trained before")
    assert not untrained_on_request(run(0)), "a baseline trained earlier is measured in full"
