"""Which model a site's models/index.json names as the default, and that model's metadata.

The one Python reading of index.json (web/js/model.js is the browser's): the server's /healthz,
the load test, the benchmark and the browser tests all ask here. Standard library only, so the
server needs nothing more to use it.
"""
import json
from pathlib import Path

from core.artifacts import INDEX, METADATA
from core.metadata import metadata_problem


class NoModel(Exception):
    """The published model is missing or broken; the message says what is wrong."""


def default_entry(index: object) -> dict:
    """The entry of index["models"] named by index["default"], with a "path" string."""
    if not isinstance(index, dict) or not index.get("default"):
        raise NoModel(f"models/{INDEX} names no default model")
    models = index.get("models")
    for entry in models if isinstance(models, list) else []:
        if isinstance(entry, dict) and entry.get("name") == index["default"] and isinstance(entry.get("path"), str):
            return entry
    raise NoModel(f'the default model "{index["default"]}" is not listed in models/{INDEX}')


def default_model(models_dir: Path) -> tuple:
    """(metadata, folder) of the default model under models_dir (a site's models/ folder); NoModel, naming
    the field, when its metadata.json breaks the schema (core/metadata.py)."""
    models_dir = Path(models_dir)
    entry = default_entry(read_json(models_dir / INDEX, f"models/{INDEX}"))
    shown_as = f"models/{entry['path'].strip('/')}/{METADATA}"
    metadata = read_json(models_dir / entry["path"] / METADATA, shown_as)
    problem = metadata_problem(metadata)
    if problem:
        raise NoModel(f"{shown_as} does not follow its schema: {problem}")
    return metadata, models_dir / entry["path"]


def read_json(path: Path, shown_as: str) -> object:
    """Parsed JSON; NoModel naming the file (as shown_as, relative to the web root) if it fails."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NoModel(f"{shown_as} does not exist") from None
    except OSError as error:
        raise NoModel(f"{shown_as} cannot be read ({error.strerror})") from None
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise NoModel(f"{shown_as} is not valid JSON ({error})") from None
