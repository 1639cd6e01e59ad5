"""The page's modules (web/js/) under Node, on inputs Python hands over, to compare JS with Python directly."""
import json
import shutil
from pathlib import Path

import numpy as np

from core.node import run_node

WEB_JS = Path(__file__).resolve().parent.parent / "web" / "js"


def run_module_script(workdir: Path, script: str, files: dict = None) -> str:
    """Run `script` (an ES module) beside copies of every web/js module and JSON file, with `files`
    ({name: bytes}) written next to it; returns what it prints."""
    for module in [*WEB_JS.glob("*.js"), *WEB_JS.glob("*.json")]:
        shutil.copy(module, workdir / module.name)
    (workdir / "package.json").write_text('{"type": "module"}\n')  # the copies are ES modules
    for name, data in (files or {}).items():
        (workdir / name).write_bytes(data)
    (workdir / "run.js").write_text(script)
    return run_node(workdir / "run.js", timeout=300)


def run_js(workdir: Path, rgb: np.ndarray, spec: dict, expression: str) -> bytes:
    """Evaluate `expression` (with `image` and `spec` in scope) on rgb; return the bytes it gives."""
    height, width = rgb.shape[:2]
    rgba = rgb if rgb.shape[2] == 4 else np.concatenate([rgb, np.full((height, width, 1), 255, np.uint8)], axis=2)
    run_module_script(workdir, (
        "import { readFileSync, writeFileSync } from 'node:fs';\n"
        "import { toModelInput } from './preprocess.js';\n"
        "import { cropBox } from './locate.js';\n"
        "const data = new Uint8ClampedArray(readFileSync(new URL('./pixels.rgba', import.meta.url)));\n"
        f"const image = {{ data, width: {width}, height: {height} }};\n"
        f"const spec = {json.dumps(spec)};\n"
        f"const out = {expression};\n"
        "writeFileSync(new URL('./out.bin', import.meta.url), out);\n"), {"pixels.rgba": rgba.tobytes()})
    return (workdir / "out.bin").read_bytes()


def js_model_input(rgb: np.ndarray, spec: dict, workdir: Path) -> np.ndarray:
    """web/js/preprocess.js toModelInput() on the same decoded pixels Python used."""
    raw = run_js(workdir, rgb, spec, "Buffer.from(toModelInput(image, spec).buffer)")
    size = spec["input_size"]
    return np.frombuffer(raw, dtype="<f4").reshape(size[0], size[1], 3)


def js_crop_box(rgb: np.ndarray, locate_spec: dict, workdir: Path) -> tuple:
    """web/js/locate.js cropBox() on the same pixels."""
    return tuple(json.loads(run_js(workdir, rgb, locate_spec, "JSON.stringify(cropBox(image, spec))")))


def run_on_images(workdir: Path, images: list, spec, imports: str, body: str) -> list:
    """Run `body` (JavaScript statements that return an answer, with `image` (RGBA, opaque), `number` and
    `spec` in scope) on each of `images` in one Node run, after `imports`; returns the answers."""
    files, shapes = {}, []
    for number, rgb in enumerate(images):
        alpha = np.full(rgb.shape[:2] + (1,), 255, np.uint8)
        files[f"image{number}.rgba"] = np.concatenate([rgb, alpha], axis=2).tobytes()
        shapes.append(rgb.shape[:2])
    script = (
        "import { readFileSync } from 'node:fs';\n"
        f"{imports}"
        f"const spec = {json.dumps(spec)};\n"
        f"const shapes = {json.dumps(shapes)};\n"
        "const answers = shapes.map(([height, width], number) => {\n"
        "  const data = new Uint8ClampedArray(readFileSync(new URL(`./image${number}.rgba`, import.meta.url)));\n"
        "  const image = { data, width, height };\n"
        f"{body}"
        "});\n"
        "process.stdout.write(JSON.stringify(answers));\n")
    return json.loads(run_module_script(workdir, script, files))
