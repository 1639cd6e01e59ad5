"""Which model the page will load from WEB_ROOT/models/, or why it has none to load."""
import json
from pathlib import Path

FIX = "Run `make train convert` to publish one."


class NoModel(Exception):
    """The published model is missing or broken; the message says what is wrong."""


def read_model_status(web_root: Path) -> dict:
    """{"status": "ok", "model": {"name", "version"}} or {"status": "no-model", "problem": sentence}."""
    try:
        return {"status": "ok", "model": read_default_model(Path(web_root) / "models")}
    except NoModel as problem:
        return {"status": "no-model", "problem": f"No usable model: {problem}. {FIX}"}


def read_default_model(models_dir: Path) -> dict:
    """Name and version from the metadata.json of the default model in models_dir/index.json."""
    entry = default_entry(read_json(models_dir / "index.json", "models/index.json"))
    shown_as = f"models/{entry['path'].strip('/')}/metadata.json"
    metadata = read_json(models_dir / entry["path"] / "metadata.json", shown_as)
    if not isinstance(metadata, dict) or not {"name", "version"} <= metadata.keys():
        raise NoModel(f'{shown_as} has no "name" and "version"')
    return {"name": metadata["name"], "version": metadata["version"]}


def default_entry(index: object) -> dict:
    """The entry of index["models"] named by index["default"], with a "path" string."""
    if not isinstance(index, dict) or not index.get("default"):
        raise NoModel("models/index.json names no default model")
    models = index.get("models")
    for entry in models if isinstance(models, list) else []:
        if isinstance(entry, dict) and entry.get("name") == index["default"] and isinstance(entry.get("path"), str):
            return entry
    raise NoModel(f'the default model "{index["default"]}" is not listed in models/index.json')


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
