"""The metadata contract: one schema (web/js/metadata.schema.json), checked alike by Python and the page."""
import json
from pathlib import Path

import pytest

from convert.publish import publish
from core.artifacts import METADATA
from core.files import write_json
from core.metadata import (
    MetadataError,
    check_metadata,
    metadata_from_training,
    metadata_problem,
    training_from_metadata,
)
from core.model_index import NoModel, default_model
from tests.js_runner import run_module_script
from tests.metadata_samples import shipped_metadata


def with_preprocessing(**changes) -> dict:
    metadata = shipped_metadata()
    metadata["preprocessing"].update(changes)
    return metadata


def without(path: str) -> dict:
    metadata = shipped_metadata()
    *parents, last = path.split(".")
    block = metadata
    for key in parents:
        block = block[key]
    del block[last]
    return metadata


BROKEN = [
    (without("classes"), '"classes" is missing'),
    (without("preprocessing.input_size"), '"preprocessing.input_size" is missing'),
    (without("model.file"), '"model.file" is missing'),
    (shipped_metadata(classes=["NEUTROPHIL"]), '"classes" must have at least 2 items, not 1'),
    (shipped_metadata(classes="NEUTROPHIL"), '"classes" must be array, not string'),
    (with_preprocessing(input_size="80x80"), '"preprocessing.input_size" must be array, not string'),
    (with_preprocessing(input_size=[80, 80.5]), '"preprocessing.input_size[1]" must be integer, not number'),
    (shipped_metadata(version=""), '"version" must not be empty'),
    (shipped_metadata(review={"min_probability": "0.75"}), '"review.min_probability" must be number, not string'),
    (shipped_metadata(files={"model.json": {"sha256": "ab"}}), '"files.model.json.bytes" is missing'),
    ([], "it must be object, not array"),
]
OPEN = [  # what other work adds: optional blocks, keys inside preprocessing
    shipped_metadata(calibration={"temperature": 1.3}),
    shipped_metadata(adaptation={"from": "leukolens-cnn/b0277e089ad2"}, replay={"cells": 40}),
    with_preprocessing(colour={"method": "grey_world"}),
    shipped_metadata(review=None, cross_lab=None, cell_types=None),
]


def js_problems(tmp_path, documents: list) -> list:
    script = ("import { metadataProblem } from './model.js';\n"
              "import { readFileSync } from 'node:fs';\n"
              "const documents = JSON.parse(readFileSync(new URL('./documents.json', import.meta.url)));\n"
              "console.log(JSON.stringify(documents.map(metadataProblem)));\n")
    return json.loads(run_module_script(tmp_path, script, {"documents.json": json.dumps(documents).encode()}))


def test_the_shipped_metadata_follows_the_schema():
    assert metadata_problem(shipped_metadata()) is None
    assert check_metadata(shipped_metadata()) == shipped_metadata()


@pytest.mark.parametrize("metadata, problem", BROKEN)
def test_a_missing_or_wrong_field_is_named(metadata, problem):
    assert metadata_problem(metadata) == problem
    with pytest.raises(MetadataError, match="does not follow its schema"):
        check_metadata(metadata)


@pytest.mark.parametrize("metadata", OPEN)
def test_new_optional_blocks_and_preprocessing_keys_pass(metadata):
    assert metadata_problem(metadata) is None


def test_the_page_finds_the_same_problems_from_the_same_schema(tmp_path):
    documents = [shipped_metadata()] + [metadata for metadata, _ in BROKEN] + OPEN
    assert js_problems(tmp_path, documents) == [None] + [problem for _, problem in BROKEN] + [None] * len(OPEN)


def site_with(tmp_path, metadata) -> Path:
    models = tmp_path / "models"
    write_json(models / "index.json", {"default": "m", "models": [{"name": "m", "version": "v1", "path": "m/v1/"}]})
    write_json(models / "m" / "v1" / METADATA, metadata)
    return models


def test_the_model_index_refuses_metadata_that_breaks_the_schema(tmp_path):
    assert default_model(site_with(tmp_path, shipped_metadata(name="m", version="v1")))[0]["name"] == "m"
    with pytest.raises(NoModel, match=r'models/m/v1/metadata.json does not follow its schema: "model.file" is missing'):
        default_model(site_with(tmp_path, without("model.file")))


def test_publish_refuses_metadata_that_breaks_the_schema_and_moves_nothing(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(MetadataError, match='"preprocessing.input_size" must be array'):
        publish(staging, tmp_path / "web-models", with_preprocessing(input_size="80"), make_default=True)
    assert staging.is_dir() and not (tmp_path / "web-models").exists()


def test_training_facts_go_there_and_back():
    published = shipped_metadata()
    info = {**training_from_metadata(published), "sources": [{"name": "lab-a", "path": "/data/lab-a"}]}
    again = metadata_from_training(info, published["metrics"], published["files"], published["conversion"],
                                   published["version"], published["cross_lab"])
    # Later steps add their own blocks (convert's replay set, make calibrate's calibration, the review
    # rule it re-chose and the familiarity threshold); the translation owns the rest.
    later = {"created", "replay", "calibration", "review", "review_uncalibrated", "familiarity"}
    owned = [key for key in published if key not in later]
    assert {key: again[key] for key in owned} == \
        {**{key: published[key] for key in owned}, "training": {**published["training"], "sources": [{"name": "lab-a"}]}}
    assert again["review"] == published.get("review_uncalibrated", published["review"])
    assert training_from_metadata(again)["preprocessing"] == published["preprocessing"]
