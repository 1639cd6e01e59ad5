"""Fold each BatchNormalization into the convolution before it, for the browser.

A converted layers model runs BatchNormalization as an op of its own: a fifth to a half of the
network's time on TensorFlow.js's WASM backend (measured here). At inference it is only a scale
and shift per channel, which the convolution's kernel and bias can carry, and a plain ReLU after
it fuses into the convolution too: one op instead of three, the same probabilities up to float
rounding (convert's parity check compares the folded model in TensorFlow.js with the trained one).
"""
import numpy as np
import tensorflow as tf
import tf_keras as keras
from tf_keras import layers

FOLDABLE = (layers.Conv2D, layers.DepthwiseConv2D)


def consumers(model) -> dict:
    """{layer name: [layers that take its output]}."""
    found = {}
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for source in tf.nest.flatten(node.inbound_layers):
                found.setdefault(source.name, []).append(layer)
    return found


def plain_relu(layer) -> bool:
    if isinstance(layer, layers.ReLU):
        config = layer.get_config()
        return config.get("max_value") is None and not config.get("negative_slope") and not config.get("threshold")
    return isinstance(layer, layers.Activation) and layer.get_config()["activation"] == "relu"


def norm_values(norm) -> dict:
    """gamma, beta, moving_mean, moving_variance by name (a BatchNormalization may lack gamma or beta)."""
    return {variable.name.split("/")[-1].split(":")[0]: value
            for variable, value in zip(norm.weights, norm.get_weights())}


def folded_weights(conv, norm) -> list:
    """The kernel and bias of conv followed by norm (inference mode), as one convolution."""
    weights = conv.get_weights()
    kernel, bias = weights[0], (weights[1] if conv.use_bias else 0.0)
    config = norm.get_config()
    axis = config["axis"][0] if isinstance(config["axis"], (list, tuple)) else config["axis"]
    if axis not in (-1, 3):
        raise ValueError(f"{norm.name}: only channel-last BatchNormalization can be folded")
    values = norm_values(norm)
    scale = values.get("gamma", 1.0) / np.sqrt(values["moving_variance"] + config["epsilon"])
    shift = values.get("beta", 0.0) - values["moving_mean"] * scale
    if isinstance(conv, layers.DepthwiseConv2D):
        kernel = kernel * scale.reshape(1, 1, *kernel.shape[2:])
    else:
        kernel = kernel * scale  # the last axis holds the output channels
    return [kernel.astype(np.float32), np.asarray(bias * scale + shift, np.float32)]


def foldable_pair(layer, taken_by: dict):
    """(the BatchNormalization, the ReLU or None) that layer's output feeds alone, or None."""
    after = taken_by.get(layer.name, [])
    if not (isinstance(layer, FOLDABLE) and layer.get_config()["activation"] == "linear" and len(after) == 1
            and isinstance(after[0], layers.BatchNormalization)):
        return None
    norm = after[0]
    then = taken_by.get(norm.name, [])
    return norm, (then[0] if len(then) == 1 and plain_relu(then[0]) else None)


def fold_batch_norm(model: keras.Model) -> keras.Model:
    """The same function as model, with every Conv -> BatchNormalization (-> ReLU) as one convolution."""
    taken_by = consumers(model)
    made, stands_for, inputs = {}, {}, []
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            made[layer.name] = keras.Input(batch_shape=layer.get_config()["batch_input_shape"], name=layer.name)
            inputs.append(made[layer.name])
            continue
        if layer.name in stands_for:
            made[layer.name] = made[stands_for[layer.name]]
            continue
        sources = [made[source.name] for source in tf.nest.flatten(layer._inbound_nodes[0].inbound_layers)]
        pair = foldable_pair(layer, taken_by)
        config = layer.get_config()
        if pair:
            norm, relu = pair
            config.update(use_bias=True, activation="relu" if relu else "linear")
            for absorbed in filter(None, pair):
                stands_for[absorbed.name] = layer.name
        twin = type(layer).from_config(config)
        made[layer.name] = twin(sources[0] if len(sources) == 1 else sources)
        twin.set_weights(folded_weights(layer, pair[0]) if pair else layer.get_weights())
    outputs = [made[layer.name] for layer in model._output_layers]
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs[0] if len(outputs) == 1 else outputs,
                       name=model.name)


def folded_statistics(model: keras.Model) -> dict:
    """{convolution name: the BatchNormalization folded into it}: what the folded model no longer holds
    and python -m train.recalibrate needs to re-measure a published model's statistics exactly."""
    taken_by, found = consumers(model), {}
    for layer in model.layers:
        pair = foldable_pair(layer, taken_by)
        if pair:
            values = norm_values(pair[0])
            channels = values["moving_variance"].shape[0]
            found[layer.name] = {"gamma": values.get("gamma", np.ones(channels)).tolist(),
                                 "beta": values.get("beta", np.zeros(channels)).tolist(),
                                 "moving_variance": values["moving_variance"].tolist(),
                                 "epsilon": float(pair[0].get_config()["epsilon"])}
    return found


def unfold_batch_norm(folded: keras.Model, statistics: dict, fresh: keras.Model) -> keras.Model:
    """The inverse of folding, into `fresh` (the same architecture built anew, with its BatchNorm layers):
    each folded convolution's kernel and bias become a kernel and BatchNorm statistics again, from what
    folded_statistics kept. Training and recalibration then see the network they were written for."""
    taken_by = consumers(fresh)
    pairs = [(layer, foldable_pair(layer, taken_by)[0]) for layer in fresh.layers if foldable_pair(layer, taken_by)]
    convolutions = [layer for layer in folded.layers if layer.name in statistics]
    others = [layer for layer in folded.layers if layer.get_weights() and layer.name not in statistics]
    rest = [layer for layer in fresh.layers if layer.get_weights() and not isinstance(layer, (*FOLDABLE,
                                                                                            layers.BatchNormalization))]
    if len(pairs) != len(convolutions) or len(rest) != len(others):
        raise ValueError(f"the folded model has {len(convolutions)} folded and {len(others)} other weighted layers, "
                         f"its architecture {len(pairs)} and {len(rest)}: not the same network")
    for (convolution, norm), source in zip(pairs, convolutions):
        unfold_pair(convolution, norm, source, statistics[source.name])
    for layer, source in zip(rest, others):
        layer.set_weights(source.get_weights())
    return fresh


def unfold_pair(convolution, norm, folded, kept: dict) -> None:
    """folded's kernel = kernel x gamma / s and bias = beta - mean x gamma / s (s: the BatchNorm's spread):
    solved for kernel and mean."""
    gamma, beta = np.asarray(kept["gamma"]), np.asarray(kept["beta"])
    variance = np.asarray(kept["moving_variance"])
    scale = gamma / np.sqrt(variance + kept["epsilon"])
    kernel, bias = folded.get_weights()
    if isinstance(convolution, layers.DepthwiseConv2D):
        per_channel = scale.reshape(1, 1, *kernel.shape[2:])
    else:
        per_channel = scale
    safe = np.where(per_channel != 0, per_channel, 1.0)
    convolution.set_weights([np.where(per_channel != 0, kernel / safe, 0.0).astype(np.float32)])
    mean = np.where(scale != 0, (beta - bias) / np.where(scale != 0, scale, 1.0), 0.0)
    values = {"gamma": gamma, "beta": beta, "moving_mean": mean, "moving_variance": variance}
    norm.set_weights([values[variable.name.split("/")[-1].split(":")[0]].astype(np.float32)
                      for variable in norm.weights])
