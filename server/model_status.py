"""Which model the page will load from WEB_ROOT/models/, or why it has none to load."""
from pathlib import Path

from core.facts import NO_MODEL_FIX
from core.model_index import NoModel, default_model


def read_model_status(web_root: Path) -> dict:
    """{"status": "ok", "model": {"name", "version"}} or {"status": "no-model", "problem": sentence}."""
    try:
        metadata, _ = default_model(Path(web_root) / "models")
    except NoModel as problem:
        return {"status": "no-model", "problem": f"No usable model: {problem}. {NO_MODEL_FIX}"}
    return {"status": "ok", "model": {"name": metadata["name"], "version": metadata["version"]}}
