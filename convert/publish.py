"""Metadata, hashes and the atomic publish of a converted model under web/models/.

Layout: web/models/index.json names the models and the default; each model lives in
web/models/<name>/<version>/ where <version> is a hash of its weights and topology. A publish
fills a temporary folder, moves it into place, and only then rewrites index.json (one atomic
rename), so a reader always sees a complete model: the old one or the new one.
"""
import datetime
import hashlib
import os
import shutil
import sys
from pathlib import Path

from core.artifacts import INDEX, METADATA, PUBLISHED_MODEL, is_weight_shard
from core.cell_types import cell_types
from core.files import read_json, write_json

# 2: metrics per source and split, cell types, cross-lab figures; 1: one dataset, metrics per split.
SCHEMA_VERSION = 2


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_facts(folder: Path) -> dict:
    return {path.name: {"sha256": sha256_file(path), "bytes": path.stat().st_size}
            for path in sorted(folder.iterdir()) if path.is_file() and path.name != METADATA}


def content_version(facts: dict) -> str:
    """Short hash of the model's own files, so equal weights give an equal version."""
    model_files = [name for name in facts if name == PUBLISHED_MODEL or is_weight_shard(name)]
    listing = "".join(f"{name}:{facts[name]['sha256']}\n" for name in sorted(model_files))
    return hashlib.sha256(listing.encode()).hexdigest()[:12]


# The cost of training travels too (time, peak memory; a resumed run's peak is its last process's only).
TRAINING_FACTS = ("arch", "parameters", "recipe", "sources", "seed", "split_seed", "val_fraction", "members",
                  "epochs_run", "best_epoch", "epochs_max", "batch_size", "learning_rate", "train_images",
                  "validation_images", "training_seconds", "peak_memory_mb", "resumed", "versions", "date",
                  "recalibration")


def training_facts(info: dict) -> dict:
    """What the page may tell about training; sources by folder name, never a path on the trainer's machine."""
    facts = {key: info[key] for key in TRAINING_FACTS if key in info}
    facts["sources"] = [{key: value for key, value in source.items() if key != "path"} for source in facts.get("sources", [])]
    return facts


def build_metadata(info: dict, metrics: dict, facts: dict, conversion: dict, cross_lab: dict | None = None) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": info["name"],
        "version": content_version(facts),
        "classes": info["classes"],
        "cell_types": info.get("cell_types") or cell_types(info["classes"]),
        "preprocessing": info["preprocessing"],
        "model": {"format": "layers-model", "file": PUBLISHED_MODEL, "arch": info["arch"],
                  "parameters": info["parameters"], "quantization": conversion["quantization"]},
        "metrics": metrics,
        # When the page asks a person to check a cell; chosen on validation data (train/review.py).
        "review": metrics.get("review"),
        "cross_lab": cross_lab,
        "training": training_facts(info),
        "conversion": conversion,
        "files": facts,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def read_index(out: Path) -> dict:
    try:
        index = read_json(out / INDEX, "model index")
    except FileNotFoundError:
        return {"default": None, "models": []}
    except ValueError as error:
        print(f"warning: {error}; writing a fresh index", file=sys.stderr)
        return {"default": None, "models": []}
    return index


def update_index(out: Path, metadata: dict, make_default: bool) -> dict:
    index = read_index(out)
    name = metadata["name"]
    entry = {"name": name, "version": metadata["version"], "path": f"{name}/{metadata['version']}/",
             "classes": metadata["classes"], "created": metadata["created"]}
    index["models"] = [m for m in index.get("models", []) if m.get("name") != name] + [entry]
    if make_default or not index.get("default"):
        index["default"] = name
    write_json(out / INDEX, index)
    return index


def make_world_readable(folder: Path) -> None:
    """Temporary files are created private (0600/0700); a server running as another user must read them."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def publish(staging: Path, out: Path, metadata: dict, make_default: bool) -> Path:
    model_root = out / metadata["name"]
    final = model_root / metadata["version"]
    if final.exists():
        # Same weights already published: keep the served copy untouched.
        shutil.rmtree(staging)
    else:
        model_root.mkdir(parents=True, exist_ok=True)
        make_world_readable(staging)
        os.replace(staging, final)
    update_index(out, metadata, make_default)
    for old in model_root.iterdir():
        if old.is_dir() and old.name != metadata["version"]:
            shutil.rmtree(old)
    return final
