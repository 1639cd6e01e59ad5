"""The real TensorFlow.js tools: tensorflowjs_converter, and the vendored tf.min.js run under Node.

Shared by convert/ (publishing), bench/ (quantized copies) and the tests.
"""
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from core.artifacts import PublishedVersion
from core.files import atomic_path
from core.node import run_node
from core.tf_env import subprocess_environment

REPO = Path(__file__).resolve().parent.parent
TFJS = REPO / "web" / "vendor" / "tfjs" / "tf.min.js"
PREDICT_SCRIPT = Path(__file__).resolve().parent / "tfjs_predict.mjs"
FEATURES_SCRIPT = Path(__file__).resolve().parent / "tfjs_features.mjs"

# The converter's own CLI re-splits its arguments on spaces, which breaks paths with spaces;
# its convert() entry point takes a proper list. A subprocess keeps its TensorFlow setup apart.
CONVERTER = "import sys; from tensorflowjs.converters.converter import convert; convert(sys.argv[1:])"


def save_h5(model, path: Path) -> Path:
    """The .h5 that tensorflowjs_converter reads (Keras's advice to move on from .h5 does not apply)."""
    with atomic_path(path) as temporary, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="You are saving your model as an HDF5 file")
        model.save(temporary, include_optimizer=False, save_format="h5")
    return path


def run_converter(h5: Path, out_dir: Path, quantization) -> None:
    command = [sys.executable, "-c", CONVERTER, "--input_format=keras"]
    if quantization:
        command.append(f"--quantize_{quantization}=*")
    command += [str(h5), str(out_dir)]
    # The converter must read the file as Keras 2 wrote it.
    done = subprocess.run(command, capture_output=True, text=True, env=subprocess_environment())
    if done.returncode != 0 or not PublishedVersion(out_dir).model_file.exists():
        raise ValueError(f"tensorflowjs_converter failed on {h5}:\n{done.stderr.strip()[-1500:]}")


def tfjs_probabilities(model_dir: Path, inputs: np.ndarray) -> np.ndarray:
    """The converted model in model_dir run by the vendored TensorFlow.js (CPU backend) under Node."""
    with tempfile.NamedTemporaryFile(suffix=".f32") as raw:
        raw.write(inputs.astype("<f4").tobytes())
        raw.flush()
        output = run_node(PREDICT_SCRIPT, TFJS, model_dir, raw.name, inputs.shape[1], inputs.shape[2])
    return np.array(json.loads(output), dtype=np.float64)


def tfjs_features(model_dir: Path, inputs: np.ndarray) -> tuple:
    """(N x D float32 features, the name of the layer they come from) from the converted model in model_dir;
    (None, why) when the model has no single output layer to adapt."""
    with tempfile.TemporaryDirectory() as scratch:
        raw, out = Path(scratch) / "inputs.f32", Path(scratch) / "features.f32"
        raw.write_bytes(inputs.astype("<f4").tobytes())
        facts = json.loads(run_node(FEATURES_SCRIPT, TFJS, model_dir, raw, inputs.shape[1], inputs.shape[2], out))
        if "unsupported" in facts:
            return None, facts["unsupported"]
        features = np.frombuffer(out.read_bytes(), "<f4").reshape(facts["count"], facts["features"])
    return features, facts["layer"]
