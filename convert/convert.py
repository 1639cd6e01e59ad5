"""Run the real tensorflowjs_converter on a trained model, check it, and publish it."""
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import tf_keras as keras

from convert.publish import build_metadata, file_facts, publish
from convert.tfjs_check import check_parity
from train.files import read_json, write_json


# The converter's own CLI re-splits its arguments on spaces, which breaks paths with spaces;
# its convert() entry point takes a proper list. A subprocess keeps its TensorFlow setup apart.
CONVERTER = "import sys; from tensorflowjs.converters.converter import convert; convert(sys.argv[1:])"


def run_converter(h5: Path, out_dir: Path, quantization) -> None:
    command = [sys.executable, "-c", CONVERTER, "--input_format=keras"]
    if quantization:
        command.append(f"--quantize_{quantization}=*")
    command += [str(h5), str(out_dir)]
    # The converter must read the file as Keras 2 wrote it.
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "TFDF_DISABLE_WELCOME_MESSAGE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0 or not (out_dir / "model.json").exists():
        raise ValueError(f"tensorflowjs_converter failed on {h5}:\n{done.stderr.strip()[-1500:]}")


def read_model_folder(model_dir: Path) -> tuple:
    h5 = model_dir / "model.h5"
    if not h5.exists():
        raise FileNotFoundError(f"{h5} not found: train a model first (make train)")
    info = read_json(model_dir / "training.json", "training facts")
    try:
        metrics = read_json(model_dir / "metrics.json", "evaluation metrics")
    except FileNotFoundError:
        metrics = {}
    return h5, info, metrics


def convert_model(model_dir: Path, out: Path, quantization, data, make_default: bool) -> Path:
    h5, info, metrics = read_model_folder(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{info['name']}-", dir=out))
    try:
        print(f"converting {h5} with tensorflowjs_converter {version('tensorflowjs')}"
              f"{f' ({quantization})' if quantization else ''}", file=sys.stderr)
        run_converter(h5, staging, quantization)
        shards = sorted(p.name for p in staging.glob("*.bin"))
        print(f"  wrote model.json and {len(shards)} weight shard(s)", file=sys.stderr)
        parity = check_parity(keras.models.load_model(h5), staging, Path(data or info["dataset"]), info, quantization)
        for picture in sorted(model_dir.glob("*.png")):
            shutil.copy2(picture, staging / picture.name)
        conversion = {"tensorflowjs": version('tensorflowjs'), "quantization": quantization, "parity": parity}
        metadata = build_metadata(info, metrics, file_facts(staging), conversion)
        write_json(staging / "metadata.json", metadata)
        return publish(staging, out, metadata, make_default)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
