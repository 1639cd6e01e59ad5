"""Run the real tensorflowjs_converter on a trained model, check it, and publish it."""
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from convert.publish import content_version, file_facts, publish
from convert.replay import write_replay
from convert.tfjs_check import check_parity
from core.artifacts import METADATA, PublishedVersion, TrainedFolder, is_weight_shard, load_keras_file
from core.files import read_json, write_json
from core.fold import fold_batch_norm, folded_statistics
from core.metadata import metadata_from_training
from core.paths import training_source_folders
from core.tfjs import run_converter, save_h5


def read_model_folder(model_dir: Path) -> tuple:
    folder = TrainedFolder(model_dir)
    if not folder.model_file.exists():
        raise FileNotFoundError(f"{folder.model_file} not found: train a model first (make train)")
    info = folder.facts()
    try:
        metrics = folder.metrics()
    except FileNotFoundError:
        metrics = {}
    return folder.model_file, info, metrics


def cross_lab_results(model_dir: Path) -> dict | None:
    """python -m train.crosslab's figures, if it ran: which labs, which parts, never a path."""
    path = TrainedFolder(model_dir).cross_lab_file
    return read_json(path, "cross-lab results") if path.exists() else None


def write_folded_statistics(trained, staging: Path) -> None:
    """batch-norm.json: the statistics folded away, so that fine-tuning and recalibration can restore a
    published model's BatchNorm layers (train/start.py)."""
    statistics = folded_statistics(trained)
    if statistics:
        write_json(PublishedVersion(staging).statistics_file, statistics)


def convert_model(model_dir: Path, out: Path, quantization, data, make_default: bool) -> Path:
    h5, info, metrics = read_model_folder(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{info['name']}-", dir=out))
    try:
        trained = load_keras_file(h5)
        folded = fold_batch_norm(trained)
        folded_layers = len(trained.layers) - len(folded.layers)
        print(f"converting {h5} with tensorflowjs_converter {version('tensorflowjs')}"
              f"{f' ({quantization})' if quantization else ''}; {folded_layers} BatchNormalization and ReLU "
              "layers folded into their convolutions", file=sys.stderr)
        with tempfile.TemporaryDirectory() as scratch:
            save_h5(folded, Path(scratch) / "folded.h5")
            run_converter(Path(scratch) / "folded.h5", staging, quantization)
        write_folded_statistics(trained, staging)
        shards = sorted(p.name for p in staging.iterdir() if is_weight_shard(p.name))
        print(f"  wrote {PublishedVersion(staging).model_file.name} and {len(shards)} weight shard(s)", file=sys.stderr)
        sources = data or training_source_folders(info)
        replay = write_replay(staging, info["preprocessing"], info["classes"], sources)
        # The trained model, not the folded one, is the reference the browser must agree with.
        parity = check_parity(trained, staging, sources, info, quantization)
        for picture in sorted(model_dir.glob("*.png")):
            shutil.copy2(picture, staging / picture.name)
        conversion = {"tensorflowjs": version('tensorflowjs'), "quantization": quantization,
                      "folded_layers": folded_layers, "parity": parity}
        files = file_facts(staging)
        metadata = metadata_from_training(info, metrics, files, conversion, content_version(files),
                                          cross_lab_results(model_dir))
        if replay:
            metadata["replay"] = replay
        write_json(staging / METADATA, metadata)
        return publish(staging, out, metadata, make_default)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
