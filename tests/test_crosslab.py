"""Cross-lab validation: the recipe trained on each source alone, scored on the sources it never saw."""
import shutil

import pytest

from core.files import read_json


@pytest.fixture(scope="module")
def cross_lab_model(trained_model, tmp_path_factory):
    from train.crosslab import main

    model = tmp_path_factory.mktemp("cross") / "tiny"
    shutil.copytree(trained_model, model)
    assert main(["--model", str(model)]) == 0
    return model


def test_each_source_alone_is_scored_on_the_other_on_the_classes_they_share(cross_lab_model):
    result = read_json(cross_lab_model / "cross_lab.json", "cross-lab results")
    pairs = {(p["trained_on"], p["scored_on"]): p for p in result["pairs"]}
    assert set(pairs) == {("lab-a", "lab-b"), ("lab-b", "lab-a")}
    # lab-a knows BLUE, GREEN, RED: of lab-b only BLUE is shared (its VIOLET is left out), and the reverse.
    assert pairs["lab-a", "lab-b"]["validation"]["images"] == 4 and pairs["lab-a", "lab-b"]["TEST"]["images"] == 4
    assert pairs["lab-b", "lab-a"]["TEST"]["images"] == 8  # lab-a's 8 blue TEST images
    assert set(pairs["lab-b", "lab-a"]) >= {"validation", "TEST", "TEST_SIMPLE"}
    assert result["summary"]["validation"] == pytest.approx(
        (pairs["lab-a", "lab-b"]["validation"]["balanced_accuracy"]
         + pairs["lab-b", "lab-a"]["validation"]["balanced_accuracy"]) / 2)
    twin = read_json(cross_lab_model / "cross-lab" / "only-lab-b" / "training.json", "twin facts")
    assert twin["recipe"] == read_json(cross_lab_model / "training.json", "facts")["recipe"]
    assert [source["name"] for source in twin["sources"]] == ["lab-b"]


def test_a_second_run_keeps_the_twins_it_trained(cross_lab_model, capsys):
    from train.crosslab import main

    before = (cross_lab_model / "cross-lab" / "only-lab-a" / "model.h5").stat().st_mtime_ns
    assert main(["--model", str(cross_lab_model)]) == 0
    assert "only-lab-a: already trained, kept" in capsys.readouterr().err
    assert (cross_lab_model / "cross-lab" / "only-lab-a" / "model.h5").stat().st_mtime_ns == before


def test_a_twin_of_another_recipe_is_not_kept(cross_lab_model):
    import dataclasses

    from core.artifacts import TrainedFolder
    from train.config import TrainConfig
    from train.crosslab import trained_by_recipe, twin_config
    from train.sources import source_name

    config = TrainConfig.from_saved(TrainedFolder(cross_lab_model).facts()["config"])
    twin = twin_config(config, cross_lab_model, config.data[0])
    folder = TrainedFolder(cross_lab_model).cross_lab_twin(source_name(config.data[0]))
    assert trained_by_recipe(folder, twin)
    assert not trained_by_recipe(folder, dataclasses.replace(twin, epochs=twin.epochs + 1))


def test_compare_ranks_by_in_lab_and_cross_lab_validation(cross_lab_model, trained_model, capsys):
    from train.compare import main

    assert main([str(trained_model), str(cross_lab_model)]) == 0
    out = capsys.readouterr().out
    # Only the copy has cross-lab figures: it ranks first whatever its in-lab figures.
    assert out.strip().endswith(f"best by validation (in-lab and cross-lab): {cross_lab_model}")


def test_a_model_of_one_source_has_no_cross_lab_validation(tmp_path, capsys):
    from train.crosslab import main

    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "training.json").write_text('{"config": {"data": ["only"]}}')
    assert main(["--model", str(tmp_path / "one")]) == 2
    assert "cross-lab validation needs two or more" in capsys.readouterr().err
