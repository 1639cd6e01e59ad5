"""Valid metadata.json contents for tests that publish a model by hand: the shipped model's, changed."""
import copy
import json

from core.artifacts import METADATA
from tests.conftest import REPO

SHIPPED = next((REPO / "web" / "models" / "leukolens-cnn").glob(f"*/{METADATA}"))


def shipped_metadata(**changes) -> dict:
    """The shipped model's metadata with these top-level keys set (None removes one)."""
    metadata = copy.deepcopy(json.loads(SHIPPED.read_text()))
    for key, value in changes.items():
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
    return metadata
