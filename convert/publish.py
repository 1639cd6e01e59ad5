"""Metadata, hashes and the atomic publish of a converted model under web/models/.

Layout: web/models/index.json names the models and the default; each model lives in
web/models/<name>/<version>/ where <version> is a hash of its weights and topology. A publish
fills a temporary folder, moves it into place, and only then rewrites index.json (one atomic
rename), so a reader always sees a complete model: the old one or the new one.
"""
import hashlib
import os
import shutil
import sys
from pathlib import Path

from core.artifacts import INDEX, METADATA
from core.files import read_json, write_json
from core.metadata import check_metadata
from core.model_files import content_version  # noqa: F401  (what a version is: convert's callers ask here)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_facts(folder: Path) -> dict:
    return {path.name: {"sha256": sha256_file(path), "bytes": path.stat().st_size}
            for path in sorted(folder.iterdir()) if path.is_file() and path.name != METADATA}


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
    """Move staging into place as out/NAME/VERSION/ and make the index name it; metadata that breaks
    its schema is refused before anything moves."""
    check_metadata(metadata, f"the {METADATA} of {staging}")
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
