"""Models converted for the bench by the real tensorflowjs_converter, and inputs the page can fetch."""
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench.published import weight_bytes
from core.artifacts import PublishedVersion
from core.tfjs import run_converter

QUANTIZATIONS = {"none": None, "float16": "float16", "uint8": "uint8"}
INPUT_CHUNK = 256  # images per inputs file: ~20 MB at 80x80, small enough for one fetch


def convert_models(jobs: dict) -> dict:
    """{name: (h5, out_dir, quantization)} converted side by side (each converter is its own process,
    mostly waiting on TensorFlow's import); returns {name: out_dir}."""
    print(f"converting {len(jobs)} model(s) with tensorflowjs_converter: {', '.join(jobs)}", file=sys.stderr, flush=True)
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = {name: pool.submit(run_converter, h5, Path(out), quantization)
                for name, (h5, out, quantization) in jobs.items()}
        for future in done.values():
            future.result()
    return {name: Path(out) for name, (_, out, _) in jobs.items()}


def model_sizes(folder: Path) -> dict:
    return {"weight_bytes": weight_bytes(folder), "model_json_bytes": PublishedVersion(folder).model_file.stat().st_size}


def write_inputs(images: np.ndarray, folder: Path, name: str) -> list:
    """Model inputs as raw little-endian float32 files; returns their names in order."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for number, start in enumerate(range(0, len(images), INPUT_CHUNK)):
        names.append(f"{name}-{number:03d}.bin")
        (folder / names[-1]).write_bytes(images[start:start + INPUT_CHUNK].astype("<f4").tobytes())
    return names
