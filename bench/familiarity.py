"""How unlike the training labs a lab's cells look, without labels: the distance of each cell's pooled
features to the replay set published with the model (its training labs' cells, convert/replay.py).

python -m bench.familiarity [--web-root web] [--out bench/travel]

The review flags (a calibrated top probability below the model's threshold) were chosen on the training
labs; on another lab the network can be sure and wrong. This asks whether a sample can tell, before anyone
labels a cell, that its microscope is not one the model learnt from. Per cell: one minus the mean cosine
similarity of its pooled features to its NEIGHBOURS nearest replay cells. Per lab: that distance and the
share of cells flagged for review, each averaged over DRAWS random samples of SAMPLE cells (a sample the
page counts), as 5th, 50th and 95th percentiles. Labs: each training source's validation part, tecom VAL
(each photo's cell as the page answers it) and the held-out third of each field set's photos (every cell
the page finds). Writes familiarity.json.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from bench import find_cells
from bench.defaults import FIELD_SETS, TECOM
from bench.measured import model_named, published_model, written
from bench.page_cells import photo_input
from core.calibration import page_probabilities
from core.dataset import list_split
from core.familiarity import NEIGHBOURS, neighbour_distance, replay_features, sample_means
from core.model_index import default_model
from core.paths import CACHE, default_dataset

SAMPLE, DRAWS, SEED = 50, 500, 0


def sample_spread(values: np.ndarray, size: int = SAMPLE) -> dict:
    """5th, 50th and 95th percentiles of the mean of `size` values drawn at random."""
    means = sample_means(values, size, DRAWS, SEED)
    return dict(zip(("p5", "p50", "p95"), (float(v) for v in np.percentile(means, (5, 50, 95)))))


def lab_figures(features: np.ndarray, probabilities: np.ndarray, reference: np.ndarray, metadata: dict) -> dict:
    shown = page_probabilities(probabilities, metadata)
    rule = metadata["review"]
    ordered = np.sort(shown, axis=1)
    flagged = (ordered[:, -1] < rule["min_probability"]) | (ordered[:, -1] - ordered[:, -2] < rule["min_margin"])
    distance = neighbour_distance(features, reference)
    return {"cells": int(len(features)), "distance_median": float(np.median(distance)),
            "sample_distance": sample_spread(distance), "sample_flagged": sample_spread(flagged.astype(float))}


class Described:
    """The Keras model answering with its pooled features (the replay set's layer) and its probabilities."""

    def __init__(self, model, layer: str):
        import tf_keras

        self.model = tf_keras.Model(model.inputs, [model.get_layer(layer).output, model.output])
        self.outputs = model.outputs  # what train.evaluate reads of a model

    def predict(self, images, batch_size=256, verbose=0) -> np.ndarray:
        if not len(images):
            return np.zeros((0, self.model.outputs[0].shape[-1] + self.model.outputs[1].shape[-1]))
        features, probabilities = self.model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
        return np.concatenate([features, probabilities], axis=1)


def training_labs(described: Described, metadata: dict) -> dict:
    from train import evaluation_facts, open_source, validation_answers  # TensorFlow loads slowly

    facts = evaluation_facts(metadata)
    labs = {}
    for source in metadata["training"]["sources"]:
        answers = validation_answers(described, open_source(default_dataset(source["name"])), facts, CACHE)
        labs[f"{source['name']} (validation)"] = answers[0]
    return labs


def tecom_cells(described: Described, metadata: dict, spec: dict, data: Path) -> np.ndarray:
    listing = list_split(Path(data) / "VAL", metadata["classes"], unknown="skip")
    inputs = [photo_input(path, spec)[0] for path in listing.paths]
    return described.predict([cell for cell in inputs if cell is not None])


def field_cells(described: Described, spec: dict, data: Path) -> np.ndarray:
    results = find_cells.lab_results(data, spec, lambda inputs: {"described": described.predict(inputs)})
    return np.concatenate([r["described"] for r in results if r["held_out"]])


def measure(model, metadata: dict, folder: Path, spec: dict) -> dict:
    replay = metadata.get("replay")
    if not replay:
        raise ValueError(f"{metadata['name']} {metadata['version']} has no replay set to measure against "
                         "(python -m convert.replay adds one)")
    reference = replay_features(folder, replay)
    described = Described(model, replay["layer"])
    labs = training_labs(described, metadata)
    labs["tecom (VAL, never trained on)"] = tecom_cells(described, metadata, spec, default_dataset(TECOM))
    for data in FIELD_SETS:
        labs[f"{find_cells.lab_name(data)} (held-out photos)"] = field_cells(described, spec, default_dataset(data))
    width = replay["features"]
    return {"sample": SAMPLE, "draws": DRAWS, "neighbours": NEIGHBOURS, "reference_cells": replay["count"],
            "labs": {lab: lab_figures(rows[:, :width], rows[:, width:], reference, metadata) for lab, rows in labs.items()}}


def describe(measured: dict) -> str:
    def spread(s):
        return f"{s['p5']:.3f} / {s['p50']:.3f} / {s['p95']:.3f}"

    lines = [f"samples of {measured['sample']} cells: distance to the {measured['reference_cells']} replay cells "
             "(5th / 50th / 95th percentile), and the share flagged for review",
             "| lab | cells | distance, per cell (median) | a sample's mean distance | a sample's share flagged |",
             "| --- | ---: | ---: | --- | --- |"]
    for lab, f in measured["labs"].items():
        flagged = f["sample_flagged"]
        lines.append(f"| {lab} | {f['cells']} | {f['distance_median']:.3f} | {spread(f['sample_distance'])} | "
                     f"{flagged['p5']:.0%} / {flagged['p50']:.0%} / {flagged['p95']:.0%} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.familiarity", description=__doc__.splitlines()[0])
    parser.add_argument("--web-root", type=Path, default=Path("web"),
                        help="site whose default model is measured (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("bench/travel"),
                        help="where familiarity.json goes (default: %(default)s)")
    options = parser.parse_args(argv)

    def run():
        model, metadata, spec = published_model(options.web_root)
        _, folder = default_model(options.web_root / "models")
        return {**model_named(metadata), **measure(model, metadata, Path(folder), spec)}

    return written(run, options.out, "familiarity.json", describe)


if __name__ == "__main__":
    sys.exit(main())
