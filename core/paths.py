"""Where things are by default: the repository, the shared datasets, the model folders."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
MODELS = Path("models")
WEB_MODELS = Path("web/models")
DEFAULT_MODEL_NAME = "leukolens-cnn"
# Preprocessed training images (train/cache.py); the tests point it at a temporary folder.
CACHE = Path(os.environ.get("LEUKOLENS_CACHE", REPO / ".cache"))


def default_dataset(name: str) -> str:
    """The shared copy of a public dataset when it is beside the repository, else data/NAME."""
    shared = SHARED_DATA / name
    return str(shared) if shared.is_dir() else f"data/{name}"


def training_source_folders(info: dict) -> list:
    """The folders of the sources a model was trained on that exist here: as training recorded them,
    or (a published model names no paths) the shared copy of a source of that name."""
    found = []
    for source in info.get("sources", []):
        path = Path(source.get("path") or default_dataset(source["name"]))
        if path.exists():
            found.append(str(path))
    return found
