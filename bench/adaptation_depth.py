"""How deep the page's adaptation should reach: the output layer alone, or the last convolution too.

python -m bench.adaptation_depth [--model web/models/NAME/VERSION]

The page trains only the output layer (web/js/adapt-head.js): tfjs's WASM backend has no gradient for
convolutions, and the cpu backend is too slow for the whole network on a clinic laptop. The last
convolution is within reach, though: its input can be computed once on WASM, and its kernel (or a
per-channel scale and shift of it, which folds back into the kernel) then trains as a matrix product.
This measures, in TensorFlow on the published model's weights, whether that would pay before anyone
builds it: each variant fitted on the first N of the clinic's cells (the order bench.adaptation_heads
uses), the rest scored, and the training labs' TEST samples scored (forgetting). The replay cells, as
inputs, come from the training labs' TRAIN splits. Writes bench/adaptation_depth.json and its section
of bench/adaptation.md.
"""
import argparse
import random
import sys
from pathlib import Path

import numpy as np

from core.artifacts import PublishedVersion
from core.dataset import preprocess_files
from core.model_index import default_model
from core.paths import SHARED_DATA, WEB_MODELS

BEGIN, END = "<!-- depth: python -m bench.adaptation_depth -->", "<!-- end of depth -->"
CELLS = (20, 50, 100, 200)
LABS = ("pbc", "blood-cells")
VARIANTS = {
    "head": "output layer (the page's)",
    "head_views": "output layer, each reviewed cell in its 8 flips and turns",
    "affine": "output layer + the last convolution's per-channel scale and shift",
    "kernel": "output layer + the last convolution's whole kernel",
}
STEPS, HEAD_RATE, PULL, REPLAY_SHARE = 100, 0.1, 1e-3, 0.5
# What else learns, at which rate, pulled how hard towards its shipped value (the mean squared change):
# indices into (kernel, bias, scale, shift, head kernel, head bias).
BODY = {"affine": ((2, 3), 0.01, 1.0), "kernel": ((0, 1), 0.001, 1000.0)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.adaptation_depth", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a published version folder (default: the page's default model)")
    parser.add_argument("--lab", type=Path, default=SHARED_DATA / "tecom" / "VAL")
    parser.add_argument("--per-class", type=int, default=50, help="TEST cells per class of each training lab")
    parser.add_argument("--replay-per-class", type=int, default=15, help="TRAIN cells per class of each training lab")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench"))
    return parser.parse_args(argv)


class LastBlock:
    """The published network cut before its last convolution: what the page could compute once on WASM."""

    def __init__(self, model, classes):
        import tf_keras

        convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
        self.last, self.dense = convs[-1], model.layers[-1]
        self.stem = tf_keras.Model(model.inputs, self.last.input)
        self.kernel, self.bias = [w.numpy() for w in self.last.weights]
        self.head = [w.numpy() for w in self.dense.weights]
        self.classes = classes

    def features(self, inputs: np.ndarray) -> np.ndarray:
        return self.stem.predict(inputs, batch_size=64, verbose=0)

    def shipped(self) -> list:
        """(kernel, bias, scale, shift, head kernel, head bias) as published: what logits() takes."""
        channels = self.kernel.shape[-1]
        return [self.kernel, self.bias, np.ones(channels, "f4"), np.zeros(channels, "f4"), *self.head]


def dihedral(inputs: np.ndarray, k: int) -> np.ndarray:
    turned = np.rot90(inputs, k % 4, axes=(1, 2))
    return np.ascontiguousarray(turned[:, :, ::-1] if k >= 4 else turned)


def cells_of(folder: Path, block: LastBlock, metadata: dict, per_class, seed, views=1) -> tuple:
    from bench.browser_adaptation import labelled

    cells = labelled(folder, per_class, seed)
    inputs, kept, _ = preprocess_files([p for p, _ in cells], metadata["preprocessing"], progress=False)
    labels = np.array([block.classes.index(cells[i][1]) for i in kept])
    return [block.features(dihedral(inputs, k)) for k in range(views)], labels


def class_balanced(labels: np.ndarray, share: float) -> np.ndarray:
    counts = np.bincount(labels, minlength=labels.max() + 1)
    return (share / np.count_nonzero(counts) / counts[labels]).astype("float32")


def fit(block: LastBlock, variant: str, features: np.ndarray, labels: np.ndarray, replay: tuple) -> list:
    """The variant's weights (kernel, bias, scale, shift, head kernel, head bias) after full-batch Adam."""
    import tensorflow as tf
    import tf_keras

    start = block.shipped()
    weights = [tf.Variable(w) for w in start]
    body, body_rate, body_pull = BODY.get(variant, ((), 0.0, 0.0))
    groups = [((4, 5), tf_keras.optimizers.Adam(HEAD_RATE))] + ([(body, tf_keras.optimizers.Adam(body_rate))] if body else [])
    parts = [(tf.constant(features), labels, class_balanced(labels, 1 - REPLAY_SHARE)),
             (tf.constant(replay[0]), replay[1], class_balanced(replay[1], REPLAY_SHARE))]
    for _ in range(STEPS):
        with tf.GradientTape() as tape:
            loss = tf.add_n([tf.reduce_sum(w * tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits(weights, x)))
                             for x, y, w in parts])
            loss += PULL * tf.add_n([tf.reduce_sum((weights[i] - start[i]) ** 2) for i in (4, 5)])
            for i in body:
                loss += body_pull * tf.reduce_mean((weights[i] - start[i]) ** 2)
        grads = tape.gradient(loss, [[weights[i] for i in group] for group, _ in groups])
        for (group, optimizer), group_grads in zip(groups, grads):
            optimizer.apply_gradients(zip(group_grads, [weights[i] for i in group]))
    return [w.numpy() for w in weights]


def logits(weights, x):
    import tensorflow as tf

    kernel, bias, scale, shift, head_kernel, head_bias = weights
    z = tf.nn.conv2d(x, kernel, 1, "SAME") + bias
    return tf.matmul(tf.reduce_mean(tf.nn.relu(z * scale + shift), axis=[1, 2]), head_kernel) + head_bias


def balanced(weights, features, labels, min_cells=1) -> float:
    predicted = np.argmax(logits(weights, features).numpy(), axis=1)
    kept = [c for c in np.unique(labels) if (labels == c).sum() >= min_cells]
    return float(np.mean([(predicted[labels == c] == c).mean() for c in kept]))


def run(options) -> dict:
    metadata, folder = (PublishedVersion(options.model).metadata(), options.model) if options.model \
        else default_model(WEB_MODELS)
    block = LastBlock(PublishedVersion(folder).load(), metadata["classes"])
    clinic_views, clinic_labels = cells_of(options.lab, block, metadata, None, options.seed, views=8)
    labs = {lab: cells_of(SHARED_DATA / lab / "TEST", block, metadata, options.per_class, options.seed) for lab in LABS}
    replay_sets = [cells_of(SHARED_DATA / lab / "TRAIN", block, metadata, options.replay_per_class, options.seed + 1)
                   for lab in LABS]
    replay = (np.concatenate([f[0] for f, _ in replay_sets]), np.concatenate([y for _, y in replay_sets]))
    order = list(range(len(clinic_labels)))
    random.Random(options.seed).shuffle(order)
    shipped = block.shipped()
    runs = []
    for variant in VARIANTS:
        for count in [n for n in CELLS if n < len(order)]:
            reviewed, rest = order[:count], order[count:]
            views = clinic_views if variant == "head_views" else clinic_views[:1]
            features = np.concatenate([v[reviewed] for v in views])
            weights = fit(block, variant, features, np.tile(clinic_labels[reviewed], len(views)), replay)
            scored = clinic_views[0][rest], clinic_labels[rest]
            runs.append({"variant": variant, "cells": count,
                         "rest_before": balanced(shipped, *scored), "rest_after": balanced(weights, *scored),
                         "rest_before_common": balanced(shipped, *scored, 5), "rest_after_common": balanced(weights, *scored, 5),
                         "labs": {lab: balanced(weights, f[0], y) for lab, (f, y) in labs.items()}})
            print(f"  {variant}, {count} reviewed: {runs[-1]['rest_after']:.3f}", flush=True)
    return {"model": f"{metadata['name']} {metadata['version']}", "lab": options.lab.parent.name if options.lab.name == "VAL"
            else options.lab.name, "seed": options.seed, "per_class": options.per_class,
            "shipped": {lab: balanced(shipped, f[0], y) for lab, (f, y) in labs.items()}, "runs": runs}


def render(result: dict) -> str:
    from bench.browser_adaptation_report import fits_table

    return "\n".join([
        "## How deep to adapt (measured in TensorFlow, before building it in the page)", "",
        f"Written by `python -m bench.adaptation_depth` with {result['model']}: each variant fitted on the first N of "
        f"{result['lab']}'s cells ({STEPS} full-batch Adam steps, replay cells from the training labs' TRAIN splits half "
        f"the loss), balanced accuracy on the cells not reviewed (all classes, and the classes with at least 5 cells), "
        f"and on {result['per_class']} TEST cells per class of each training lab.", "",
        *fits_table(result, "what is trained", lambda run: VARIANTS[run["variant"]])]) + "\n"


def main(argv=None) -> int:
    from bench.browser_adaptation_report import fits_main

    return fits_main(parse_args(argv), run, render, "adaptation_depth.json", BEGIN, END)


if __name__ == "__main__":
    sys.exit(main())
