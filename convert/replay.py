"""The replay set published with a model: the pooled features of a few hundred of its training labs' cells.

An in-browser adaptation (web/js/adapt-worker.js) re-fits the output layer on a clinic's reviewed
cells; trained on those alone it would forget the classes and the labs the clinic has not reviewed.
Training on these cells as well keeps them. Features, not photos: a few hundred cells in well under
500 KB, and no photo of a training lab leaves with the model. They are computed by the converted
model itself under TensorFlow.js (core/tfjs_features.mjs), so they are what the page's network gives,
and they belong to that one model: convert makes them anew for every model it publishes.

python -m convert.replay --published web/models/NAME/VERSION adds them to a model published before this
existed (its version, a hash of model.json and the weights, is unchanged).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from core.artifacts import METADATA, REPLAY_FEATURES
from core.cli import run_stage
from core.dataset import list_split, preprocess_files
from core.files import atomic_path, read_json, write_json
from core.paths import default_dataset
from core.tfjs import tfjs_features

REPLAY_FILE = REPLAY_FEATURES
PER_CLASS = 60        # per class and lab: 12 classes of two labs, 720 cells, 360 KB as float16
MAX_BYTES = 500_000
SEED = 22


def drawn_cells(sources: list, classes: list, per_class: int, seed: int) -> tuple:
    """(paths, class indices, {lab: {class: count}}): up to per_class TRAIN cells of each class of each lab."""
    rng = np.random.default_rng(seed)
    paths, labels, counts = [], [], {}
    for source in map(Path, sources):
        listing = list_split(source / "TRAIN", classes, unknown="skip")
        counts[source.name] = {}
        for name in listing.found:
            of_class = [path for path, label in zip(listing.paths, listing.labels) if label == name]
            chosen = sorted(rng.choice(len(of_class), min(per_class, len(of_class)), replace=False))
            paths += [of_class[i] for i in chosen]
            labels += [classes.index(name)] * len(chosen)
            counts[source.name][name] = len(chosen)
    return paths, labels, counts


def write_replay(model_dir: Path, spec: dict, classes: list, sources: list,
                 per_class: int = PER_CLASS, seed: int = SEED) -> dict | None:
    """Writes REPLAY_FILE into the converted model's folder; returns its metadata entry (None without sources)."""
    sources = [source for source in sources if (Path(source) / "TRAIN").is_dir()]  # folders; not HDF5 files
    if not sources:
        print("warning: no training lab's photos here, so no replay set: an in-browser adaptation of this "
              "model will forget more (give --data)", file=sys.stderr)
        return None
    paths, labels, counts = drawn_cells(sources, classes, per_class, seed)
    inputs, kept, _ = preprocess_files(paths, spec, progress=False)
    features, layer = tfjs_features(model_dir, inputs)
    if features is None:
        print(f"warning: no replay set: this model cannot be adapted in the page ({layer})", file=sys.stderr)
        return None
    data = features.astype("<f2").tobytes()
    if len(data) > MAX_BYTES:
        raise ValueError(f"the replay set would take {len(data):,} bytes (at most {MAX_BYTES:,}): lower per_class")
    with atomic_path(Path(model_dir) / REPLAY_FILE) as temporary:
        temporary.write_bytes(data)
    return {"file": REPLAY_FILE, "dtype": "float16", "count": len(kept), "features": int(features.shape[1]),
            "layer": layer, "labels": [labels[i] for i in kept], "sources": counts, "seed": seed}


def add_to_published(folder: Path, sources: list) -> dict:
    """Adds a replay set to a published version in place; metadata.json is rewritten last, atomically."""
    from convert.publish import file_facts  # the one definition of a published file's facts

    metadata = read_json(folder / METADATA, "model metadata")
    sources = sources or [default_dataset(source["name"]) for source in metadata.get("training", {}).get("sources", [])]
    replay = write_replay(folder, metadata["preprocessing"], metadata["classes"], [s for s in sources if Path(s).exists()])
    if replay is None:
        raise ValueError("none of the model's training labs is on this machine: give --data")
    write_json(folder / METADATA, {**metadata, "replay": replay, "files": file_facts(folder)})
    return replay


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convert.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--published", type=Path, required=True, help="a published version: web/models/NAME/VERSION")
    parser.add_argument("--data", action="append", help="a training lab's folder (repeatable; default: the "
                        "model's training labs, from ../shared/data)")
    options = parser.parse_args(argv)
    return run_stage(lambda: add_to_published(options.published, options.data), (FileNotFoundError, ValueError),
                     lambda replay: f"replay set of {replay['count']} cells added to {options.published}")


if __name__ == "__main__":
    sys.exit(main())
