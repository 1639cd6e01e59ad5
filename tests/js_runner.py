"""Run web/js modules under Node, on inputs Python hands over, to compare JS with Python directly."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def js_area_resize(rgb: np.ndarray, spec: dict, workdir: Path) -> np.ndarray:
    """web/js/preprocess.js toModelInput() on the same decoded pixels Python used."""
    # Node treats a bare .js file as CommonJS; the copy with .mjs loads as the ES module it is.
    shutil.copy(REPO / "web" / "js" / "preprocess.js", workdir / "preprocess.mjs")
    height, width = rgb.shape[:2]
    rgba = np.concatenate([rgb, np.full((height, width, 1), 255, np.uint8)], axis=2)
    (workdir / "pixels.rgba").write_bytes(rgba.tobytes())
    (workdir / "run.mjs").write_text(
        "import { readFileSync, writeFileSync } from 'node:fs';\n"
        "import { toModelInput } from './preprocess.mjs';\n"
        "const data = new Uint8ClampedArray(readFileSync(new URL('./pixels.rgba', import.meta.url)));\n"
        f"const out = toModelInput({{ data, width: {width}, height: {height} }}, {json.dumps(spec)});\n"
        "writeFileSync(new URL('./out.f32', import.meta.url), Buffer.from(out.buffer));\n"
    )
    subprocess.run(["node", str(workdir / "run.mjs")], check=True, capture_output=True, text=True)
    size = spec["input_size"]
    return np.frombuffer((workdir / "out.f32").read_bytes(), dtype="<f4").reshape(size[0], size[1], 3)
