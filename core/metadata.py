"""metadata.json, the contract between training and the page: its schema, and both translations.

convert writes a published version's metadata.json from the trained model folder's training.json
(metadata_from_training); fine-tuning and recalibration read a published version back in training.json's
terms (training_from_metadata). The schema is one file, web/js/metadata.schema.json: convert checks
against it before publishing, core/model_index.py when it reads, the page (web/js/model.js) when it loads.

Standard library only: the server reads metadata through core/model_index.py.
"""
import datetime
import json
from pathlib import Path

from core.artifacts import METADATA, PUBLISHED_MODEL
from core.cell_types import cell_types
from core.schema import schema_problem

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "web" / "js" / "metadata.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
# 2: metrics per source and split, cell types, cross-lab figures; 1: one dataset, metrics per split.
SCHEMA_VERSION = 2

# What the page may tell about training. The cost of training travels too (time, peak memory; a
# resumed run's peak is its last process's only).
TRAINING_FACTS = ("arch", "parameters", "recipe", "sources", "seed", "split_seed", "val_fraction", "members",
                  "epochs_run", "best_epoch", "epochs_max", "batch_size", "learning_rate", "train_images",
                  "validation_images", "training_seconds", "peak_memory_mb", "resumed", "versions", "date",
                  "recalibration")


class MetadataError(ValueError):
    """metadata.json breaks its schema; the message names the field."""


def metadata_problem(metadata) -> str | None:
    """What is wrong with metadata against the schema (naming the field), or None."""
    return schema_problem(metadata, SCHEMA)


def check_metadata(metadata, shown_as: str = METADATA) -> dict:
    problem = metadata_problem(metadata)
    if problem:
        raise MetadataError(f"{shown_as} does not follow its schema ({SCHEMA_FILE.name}): {problem}")
    return metadata


def metadata_from_training(info: dict, metrics: dict, files: dict, conversion: dict, version: str,
                           cross_lab: dict | None = None) -> dict:
    """A published version's metadata.json from its training.json (info) and what convert measured."""
    return check_metadata({
        "schema_version": SCHEMA_VERSION,
        "name": info["name"],
        "version": version,
        "classes": info["classes"],
        "cell_types": info.get("cell_types") or cell_types(info["classes"]),
        "preprocessing": info["preprocessing"],
        "model": {"format": "layers-model", "file": PUBLISHED_MODEL, "arch": info["arch"],
                  "parameters": info["parameters"], "quantization": conversion["quantization"]},
        "metrics": metrics,
        # When the page asks a person to check a cell; chosen on validation data (train/review.py).
        "review": metrics.get("review"),
        "cross_lab": cross_lab,
        "training": published_training(info),
        "conversion": conversion,
        "files": files,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }, f"the {METADATA} of {info['name']}")


def published_training(info: dict) -> dict:
    """What the page may tell about training; sources by folder name, never a path on the trainer's machine."""
    facts = {key: info[key] for key in TRAINING_FACTS if key in info}
    facts["sources"] = [{key: value for key, value in source.items() if key != "path"} for source in facts.get("sources", [])]
    return facts


def training_from_metadata(metadata: dict, defaults: dict = None) -> dict:
    """A published version's metadata.json in training.json's terms (sources by name: no paths are
    published); `defaults` fill in facts that older metadata lacks."""
    return {**(defaults or {}), **metadata["training"], "name": metadata["name"], "classes": metadata["classes"],
            "cell_types": metadata.get("cell_types"), "preprocessing": metadata["preprocessing"],
            "arch": metadata["model"]["arch"], "parameters": metadata["model"]["parameters"]}
