"""Run web/js modules under Node, on inputs Python hands over, to compare JS with Python directly."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def run_js(workdir: Path, rgb: np.ndarray, spec: dict, expression: str) -> bytes:
    """Evaluate `expression` (with `image` and `spec` in scope) on rgb; return what it writes."""
    for module in ("preprocess.js", "locate.js", "image-file.js"):
        shutil.copy(REPO / "web" / "js" / module, workdir / module)
    (workdir / "package.json").write_text('{"type": "module"}\n')  # the copies are ES modules
    height, width = rgb.shape[:2]
    rgba = rgb if rgb.shape[2] == 4 else np.concatenate([rgb, np.full((height, width, 1), 255, np.uint8)], axis=2)
    (workdir / "pixels.rgba").write_bytes(rgba.tobytes())
    (workdir / "run.js").write_text(
        "import { readFileSync, writeFileSync } from 'node:fs';\n"
        "import { toModelInput } from './preprocess.js';\n"
        "import { cropBox } from './locate.js';\n"
        "const data = new Uint8ClampedArray(readFileSync(new URL('./pixels.rgba', import.meta.url)));\n"
        f"const image = {{ data, width: {width}, height: {height} }};\n"
        f"const spec = {json.dumps(spec)};\n"
        f"const out = {expression};\n"
        "writeFileSync(new URL('./out.bin', import.meta.url), out);\n"
    )
    subprocess.run(["node", str(workdir / "run.js")], check=True, capture_output=True, text=True)
    return (workdir / "out.bin").read_bytes()


def js_model_input(rgb: np.ndarray, spec: dict, workdir: Path) -> np.ndarray:
    """web/js/preprocess.js toModelInput() on the same decoded pixels Python used."""
    raw = run_js(workdir, rgb, spec, "Buffer.from(toModelInput(image, spec).buffer)")
    size = spec["input_size"]
    return np.frombuffer(raw, dtype="<f4").reshape(size[0], size[1], 3)


def js_crop_box(rgb: np.ndarray, locate_spec: dict, workdir: Path) -> tuple:
    """web/js/locate.js cropBox() on the same pixels."""
    return tuple(json.loads(run_js(workdir, rgb, locate_spec, "JSON.stringify(cropBox(image, spec))")))
