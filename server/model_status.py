"""Which model the page will load from WEB_ROOT/models/, or why it has none it can load.

The model's files are checked as the page checks them (core/model_files.py): a model every fresh
browser would refuse is reported broken, naming the file, not healthy."""
from pathlib import Path

from core.artifacts import INDEX
from core.facts import NO_MODEL_FIX
from core.model_files import BrokenModelFile, check_model_files
from core.model_index import NoModel, default_entry, default_model, read_json

BROKEN_MODEL_FIX = ("Publish it again (`make convert` on the server machine), or restore the shipped model "
                    "(`git checkout web/models`).")


def read_model_status(web_root: Path) -> dict:
    """{"status": "ok", "model": {"name", "version"}}, {"status": "no-model", "problem": sentence}, or
    {"status": "broken-model", "model": {...}, "file": the file that is wrong, "problem": sentence}."""
    models = Path(web_root) / "models"
    try:
        metadata, folder = default_model(models)
        entry = default_entry(read_json(models / INDEX, f"models/{INDEX}"))
    except NoModel as problem:
        return {"status": "no-model", "problem": f"No usable model: {problem}. {NO_MODEL_FIX}"}
    model = {"name": metadata["name"], "version": metadata["version"]}
    try:
        check_model_files(metadata, folder, f"models/{entry['path'].strip('/')}", entry.get("version"))
    except BrokenModelFile as broken:
        return {"status": "broken-model", "model": model, "file": broken.file,
                "problem": f"The model {model['name']} (version {model['version']}) is broken: {broken}; "
                           f"every browser will refuse it. {BROKEN_MODEL_FIX}"}
    return {"status": "ok", "model": model}
