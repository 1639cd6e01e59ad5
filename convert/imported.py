"""Publish a model folder made elsewhere, such as the page's "Export adapted model" (.zip or unzipped).

The folder must be whole and unaltered: every file metadata.json lists, with its size and SHA-256, and a
version that is the hash of its model.json and weights, as convert writes it. It is copied into
web/models/NAME/VERSION/ and published like a converted model (convert/publish.py), so every laptop of the
clinic loads it; `make use NAME=leukolens-cnn` goes back.
"""
import shutil
import tempfile
import zipfile
from pathlib import Path

from convert.publish import content_version, publish, sha256_file
from core.artifacts import METADATA, PUBLISHED_MODEL
from core.files import read_json

NOT_A_FOLDER = ("give the .zip that the page's \"Export adapted model\" wrote, or the folder it holds "
                f"({METADATA}, {PUBLISHED_MODEL} and its .bin files)")


def unpacked(source: Path, scratch: Path) -> Path:
    """The folder holding metadata.json: source itself, or what the .zip holds."""
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise ValueError(f"{source} is neither a folder nor a .zip: {NOT_A_FOLDER}")
        with zipfile.ZipFile(source) as archive:
            names = [name for name in archive.namelist() if not name.endswith("/")]
            unsafe = [name for name in names if name.startswith("/") or ".." in Path(name).parts]
            if unsafe:
                raise ValueError(f"{source} holds files outside its folder ({unsafe[0]}): not extracted")
            archive.extractall(scratch)
        source = scratch
    found = sorted(source.rglob(METADATA))
    if len(found) != 1:
        raise ValueError(f"{source} holds {len(found)} {METADATA} files, not one: {NOT_A_FOLDER}")
    return found[0].parent


def check_folder(folder: Path) -> dict:
    """metadata.json of a whole, unaltered model folder; ValueError naming what is wrong."""
    metadata = read_json(folder / METADATA, "model metadata")
    for key in ("name", "version", "classes", "preprocessing", "model", "files"):
        if key not in metadata:
            raise ValueError(f"{folder / METADATA} has no \"{key}\": {NOT_A_FOLDER}")
    name = str(metadata["name"])
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"the model's name {name!r} cannot be a folder name")
    for file_name, facts in metadata["files"].items():
        path = folder / file_name
        if not path.is_file():
            raise ValueError(f"{file_name} is missing from {folder}: the folder is incomplete")
        if path.stat().st_size != facts.get("bytes") or sha256_file(path) != facts.get("sha256"):
            raise ValueError(f"{file_name} is damaged or was changed (its size or SHA-256 is not the one {METADATA} records)")
    if content_version(metadata["files"]) != metadata["version"]:
        raise ValueError(f"{METADATA} says version {metadata['version']}, but its files hash to "
                         f"{content_version(metadata['files'])}")
    return metadata


def publish_folder(source: Path, out: Path, make_default: bool = True) -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        folder = unpacked(Path(source), Path(scratch))
        metadata = check_folder(folder)
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{metadata['name']}-", dir=out))
        try:
            for file_name in [*metadata["files"], METADATA]:
                shutil.copy2(folder / file_name, staging / file_name)
            return publish(staging, out, metadata, make_default)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
