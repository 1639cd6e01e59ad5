"""Run the real tensorflowjs_converter on a trained model, check it, and publish it."""
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import tf_keras as keras

from convert.publish import build_metadata, file_facts, publish
from convert.replay import write_replay
from convert.tfjs_check import check_parity
from core.files import read_json, write_json
from core.fold import fold_batch_norm, folded_statistics
from core.paths import CROSS_LAB, FOLDED_STATISTICS, training_source_folders
from core.tfjs import run_converter, save_h5


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


def load_trained(h5: Path):
    try:
        return keras.models.load_model(h5, compile=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"{h5} cannot be read as a Keras model ({error}); train it again (make train)") from error


def cross_lab_results(model_dir: Path) -> dict | None:
    """python -m train.crosslab's figures, if it ran: which labs, which parts, never a path."""
    path = model_dir / CROSS_LAB
    return read_json(path, "cross-lab results") if path.exists() else None


def write_folded_statistics(trained, staging: Path) -> None:
    """batch-norm.json: the statistics folded away, so that fine-tuning and recalibration can restore a
    published model's BatchNorm layers (train/start.py)."""
    statistics = folded_statistics(trained)
    if statistics:
        write_json(staging / FOLDED_STATISTICS, statistics)


def convert_model(model_dir: Path, out: Path, quantization, data, make_default: bool) -> Path:
    h5, info, metrics = read_model_folder(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{info['name']}-", dir=out))
    try:
        trained = load_trained(h5)
        folded = fold_batch_norm(trained)
        folded_layers = len(trained.layers) - len(folded.layers)
        print(f"converting {h5} with tensorflowjs_converter {version('tensorflowjs')}"
              f"{f' ({quantization})' if quantization else ''}; {folded_layers} BatchNormalization and ReLU "
              "layers folded into their convolutions", file=sys.stderr)
        with tempfile.TemporaryDirectory() as scratch:
            save_h5(folded, Path(scratch) / "folded.h5")
            run_converter(Path(scratch) / "folded.h5", staging, quantization)
        write_folded_statistics(trained, staging)
        shards = sorted(p.name for p in staging.glob("*.bin"))
        print(f"  wrote model.json and {len(shards)} weight shard(s)", file=sys.stderr)
        sources = data or training_source_folders(info)
        replay = write_replay(staging, info["preprocessing"], info["classes"], sources)
        # The trained model, not the folded one, is the reference the browser must agree with.
        parity = check_parity(trained, staging, sources, info, quantization)
        for picture in sorted(model_dir.glob("*.png")):
            shutil.copy2(picture, staging / picture.name)
        conversion = {"tensorflowjs": version('tensorflowjs'), "quantization": quantization,
                      "folded_layers": folded_layers, "parity": parity}
        metadata = build_metadata(info, metrics, file_facts(staging), conversion, cross_lab_results(model_dir))
        if replay:
            metadata["replay"] = replay
        write_json(staging / "metadata.json", metadata)
        return publish(staging, out, metadata, make_default)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
