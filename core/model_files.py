"""A published model version's files checked as the page checks them (web/js/model-files.js), so the
server never reports a model healthy that every fresh browser would refuse.

metadata.json's version is the hash of its model files' records (content_version, as
convert/publish.py computes it), and model.json and each weight shard it lists must have the size
and SHA-256 metadata.json records. Standard library only: the server uses it.
"""
import hashlib
import json
from pathlib import Path

from core.artifacts import METADATA, PUBLISHED_MODEL, is_weight_shard
from core.model_index import NoModel


class BrokenModelFile(NoModel):
    """One of the model's files is missing or not what metadata.json records; .file names it."""

    def __init__(self, file: str, problem: str):
        super().__init__(f"{file} {problem}")
        self.file = file


def content_version(files: dict) -> str:
    """Short hash of the model's own files (model.json and its weight shards), so equal weights give an
    equal version: what convert publishes under, and the twin of contentVersion() in web/js/model-files.js."""
    names = sorted(name for name in files if name == PUBLISHED_MODEL or is_weight_shard(name))
    listing = "".join(f"{name}:{files[name]['sha256']}\n" for name in names)
    return hashlib.sha256(listing.encode()).hexdigest()[:12]


def check_model_files(metadata: dict, folder: Path, shown_as: str, listed_version: str | None = None) -> None:
    """Raises BrokenModelFile naming the first file the page would refuse; shown_as is folder as
    the web root sees it (models/<name>/<version>)."""
    files = metadata.get("files")
    if not isinstance(files, dict) or not all(isinstance(facts, dict) and "sha256" in facts for facts in files.values()):
        raise BrokenModelFile(f"{shown_as}/{METADATA}", "records no checksums, so its files cannot be checked")
    version = content_version(files)
    if metadata.get("version") != version or listed_version not in (None, version):
        raise BrokenModelFile(f"{shown_as}/{METADATA}",
                              f"does not belong to version {listed_version or metadata.get('version')} "
                              f"(its files make version {version})")
    model_file = (metadata.get("model") or {}).get("file", PUBLISHED_MODEL)
    model_json = json.loads(checked_bytes(folder, model_file, files, shown_as))
    shards = [path for group in model_json.get("weightsManifest", []) for path in group.get("paths", [])]
    for name in shards:
        checked_bytes(folder, name, files, shown_as)


def checked_bytes(folder: Path, name: str, files: dict, shown_as: str) -> bytes:
    file = f"{shown_as}/{name}"
    facts = files.get(name)
    if facts is None:
        raise BrokenModelFile(file, f"is not listed in {METADATA}, so it cannot be checked")
    try:
        data = (Path(folder) / name).read_bytes()
    except FileNotFoundError:
        raise BrokenModelFile(file, "does not exist") from None
    except OSError as error:
        raise BrokenModelFile(file, f"cannot be read ({error.strerror})") from None
    if len(data) != facts.get("bytes"):
        raise BrokenModelFile(file, f"is incomplete or damaged ({len(data):,} bytes instead of {facts.get('bytes')})")
    if hashlib.sha256(data).hexdigest() != facts["sha256"]:
        raise BrokenModelFile(file, f"is damaged (its SHA-256 does not match {METADATA})")
    return data
