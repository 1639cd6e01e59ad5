"""Which output layer the page adapts: web/js/adapt-head.js's heads compared under Node, before any UI.

python -m bench.adaptation_heads [--model web/models/NAME/VERSION]

The published model computes the pooled features (core/tfjs_features.mjs) of the clinic's cells (tecom VAL)
and of samples of its training labs' TEST splits; bench/adaptation_heads.mjs then fits each head on the
first N cells in a fixed random order (the technologist's review), scores the rest, and scores the training
labs (forgetting). Writes bench/adaptation_heads.json and its section of bench/adaptation.md.
"""
import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

from core.tfjs import tfjs_features
from core.artifacts import METADATA, PUBLISHED_MODEL
from core.dataset import preprocess_files
from core.files import read_json
from core.model_index import default_model
from core.node import run_node
from core.paths import REPO, SHARED_DATA, WEB_MODELS
from core.tfjs import TFJS

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- heads: python -m bench.adaptation_heads -->", "<!-- end of heads -->"
HEADS = [{"head": "refit"}, {"head": "refit", "steps": 60, "learningRate": 0.03}, {"head": "refit", "replayWeight": 0.25},
         {"head": "refit", "replay": False}, {"head": "prototype"}, {"head": "blend"}]
CELLS = (10, 20, 50, 100, 200)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.adaptation_heads", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a published version folder (default: the page's default model)")
    parser.add_argument("--lab", type=Path, default=SHARED_DATA / "tecom" / "VAL")
    parser.add_argument("--per-class", type=int, default=50, help="TEST cells per class of each training lab")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench"))
    return parser.parse_args(argv)


def write_set(work: Path, name: str, folder: Path, model: Path, metadata: dict, per_class, seed) -> None:
    from bench.browser_adaptation import labelled

    cells = labelled(folder, per_class, seed)
    inputs, kept, _ = preprocess_files([p for p, _ in cells], metadata["preprocessing"], progress=False)
    features, _ = tfjs_features(model, inputs)
    features.astype("<f4").tofile(work / f"{name}.f32")
    np.array([metadata["classes"].index(cells[i][1]) for i in kept], "<i4").tofile(work / f"{name}.i32")


def base_head(model: Path) -> tuple:
    """The published output layer's kernel and bias, as float32 (the weights are stored as the converter wrote them)."""
    manifest = json.loads((model / PUBLISHED_MODEL).read_text())["weightsManifest"]
    data = b"".join((model / path).read_bytes() for group in manifest for path in group["paths"])
    out, offset = {}, 0
    for spec in [w for group in manifest for w in group["weights"]]:
        dtype = (spec.get("quantization") or {}).get("dtype", spec["dtype"])
        size = int(np.prod(spec["shape"])) * {"float32": 4, "float16": 2}[dtype]
        if spec["name"].startswith("probabilities/"):
            out[spec["name"]] = np.frombuffer(data[offset:offset + size], "<f2" if dtype == "float16" else "<f4").astype("<f4")
        offset += size
    return out["probabilities/kernel"], out["probabilities/bias"]


def run(options) -> dict:
    metadata, model = (read_json(options.model / METADATA, "model metadata"), options.model) if options.model \
        else default_model(WEB_MODELS)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        write_set(work, "clinic", options.lab, model, metadata, None, options.seed)
        labs = ["pbc", "blood-cells"]
        for lab in labs:
            write_set(work, lab, SHARED_DATA / lab / "TEST", model, metadata, options.per_class, options.seed)
        kernel, bias = base_head(model)
        kernel.tofile(work / "kernel.f32")
        bias.tofile(work / "bias.f32")
        (work / "replay.f16").write_bytes((model / metadata["replay"]["file"]).read_bytes())
        count = (work / "clinic.i32").stat().st_size // 4
        order = list(range(count))
        random.Random(options.seed).shuffle(order)
        (work / "facts.json").write_text(json.dumps({"features": metadata["replay"]["features"], "labs": labs, "order": order,
                                                     "replay_labels": metadata["replay"]["labels"]}))
        cells = [n for n in CELLS if n < count]
        result = json.loads(run_node(HERE / "adaptation_heads.mjs", TFJS, REPO / "web" / "js" / "adapt-head.js", work,
                                     json.dumps(HEADS), json.dumps(cells), timeout=3600))
    return {"model": f"{metadata['name']} {metadata['version']}", "lab": options.lab.name if options.lab.name != "VAL"
            else options.lab.parent.name, "per_class": options.per_class, "seed": options.seed, **result}


def describe(settings: dict) -> str:
    if settings["head"] == "prototype":
        return "class means (prototypes)"
    if settings["head"] == "blend":
        return "re-fitted layer + half the class means' logits"
    if settings.get("replay") is False:
        return "output layer re-fitted without the replay set"
    if "replayWeight" in settings:
        return f"output layer re-fitted, replay set {settings['replayWeight']:.0%} of the loss"
    if "steps" in settings:
        return f"output layer re-fitted, {settings['steps']} steps at {settings['learningRate']} (the page's before)"
    return "output layer re-fitted, with the replay set (the page's: 100 steps at 0.1, replay half the loss)"


def render(result: dict) -> str:
    from bench.browser_adaptation_report import fits_table

    return "\n".join([
        "## Which output layer to adapt (measured under Node, before any page)", "",
        f"Written by `python -m bench.adaptation_heads` with {result['model']}: features from the published model, each "
        f"head fitted on the first N of {result['lab']}'s cells (fixed random order, seed {result['seed']}), balanced "
        f"accuracy on the cells not reviewed (all their classes, and the classes with at least 5 of them: tecom has one "
        f"basophil), and on {result['per_class']} TEST cells per class of each training lab. "
        "One fit each (the page fits 4 more for its held-out figure).", "",
        *fits_table(result, "head", lambda run: describe(run["settings"]),
                    (("fit time", lambda run: f"{run['seconds']:.1f} s"),))]) + "\n"


def main(argv=None) -> int:
    from bench.browser_adaptation_report import fits_main

    return fits_main(parse_args(argv), run, render, "adaptation_heads.json", BEGIN, END)


if __name__ == "__main__":
    sys.exit(main())
