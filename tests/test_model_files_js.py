"""The page's model checks under Node: web/js/sha256.js against hashlib, web/js/model-files.js against
convert/publish.py, and the messages a damaged, short or unlisted file gets."""
import hashlib
import json

import numpy as np
import pytest

from convert.publish import content_version
from tests.conftest import REPO
from tests.js_runner import run_module_script

SHIPPED = REPO / "web" / "models" / "leukolens-cnn"


def run_node(workdir, script: str, data: bytes = b"") -> object:
    """Runs script beside the page's modules, with `data` in data.bin; returns its JSON output."""
    return json.loads(run_module_script(workdir, (
        "import { readFileSync } from 'node:fs';\n"
        "import { sha256Hex, sha256HexInJs } from './sha256.js';\n"
        "import { contentVersion, fileProblem, versionProblem } from './model-files.js';\n"
        "const data = new Uint8Array(readFileSync(new URL('./data.bin', import.meta.url)));\n"
        f"{script}\n"), {"data.bin": data}))


def shipped_shard():
    return next(SHIPPED.glob("*/group1-shard1of1.bin"))


def test_javascript_sha256_equals_hashlib(tmp_path):
    rng = np.random.default_rng(3)
    # Every length across the padding boundaries (55/56 and 63/64 bytes), a large odd one, a real shard.
    pieces = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in range(0, 130)]
    pieces += [rng.integers(0, 256, 1_000_003, dtype=np.uint8).tobytes(), shipped_shard().read_bytes()]
    spans, offset = [], 0
    for piece in pieces:
        spans.append([offset, len(piece)])
        offset += len(piece)
    script = (f"const spans = {json.dumps(spans)};\n"
              "const pieces = spans.map(([start, length]) => data.subarray(start, start + length));\n"
              "const pure = pieces.map((piece) => sha256HexInJs(piece));\n"
              "const native = await Promise.all(pieces.map((piece) => sha256Hex(piece)));\n"
              "process.stdout.write(JSON.stringify({ pure, native }));")
    result = run_node(tmp_path, script, b"".join(pieces))
    want = [hashlib.sha256(piece).hexdigest() for piece in pieces]
    assert result["pure"] == want
    assert result["native"] == want


def files_listing(metadata_path) -> dict:
    return json.loads(metadata_path.read_text())["files"]


@pytest.mark.parametrize("files", [
    files_listing(next(SHIPPED.glob("*/metadata.json"))),
    {"model.json": {"sha256": "a" * 64, "bytes": 1}, "group10-shard1of2.bin": {"sha256": "b" * 64, "bytes": 2},
     "group2-shard2of2.bin": {"sha256": "c" * 64, "bytes": 3}, "learning_curves.png": {"sha256": "d" * 64, "bytes": 4}},
], ids=["shipped", "several-shards-and-pictures"])
def test_content_version_is_the_one_convert_publish_computes(tmp_path, files):
    script = f"process.stdout.write(JSON.stringify(await contentVersion({json.dumps(files)})));"
    assert run_node(tmp_path, script) == content_version(files)


def test_the_shipped_model_passes_its_own_checks(tmp_path):
    metadata_path = next(SHIPPED.glob("*/metadata.json"))
    metadata = json.loads(metadata_path.read_text())
    script = (f"const metadata = {json.dumps(metadata)};\n"
              "process.stdout.write(JSON.stringify({\n"
              "  version: await versionProblem(metadata, metadata.version),\n"
              "  shard: await fileProblem('group1-shard1of1.bin', data, metadata.files),\n"
              "}));")
    assert run_node(tmp_path, script, shipped_shard().read_bytes()) == {"version": None, "shard": None}


def test_damaged_short_and_unlisted_files_are_named_in_their_messages(tmp_path):
    good = b"model weights" * 10
    files = {"group1-shard1of1.bin": {"sha256": hashlib.sha256(good).hexdigest(), "bytes": len(good)}}
    damaged = bytearray(good)
    damaged[5] ^= 1
    script = (f"const files = {json.dumps(files)};\n"
              "const good = data.subarray(0, 130), damaged = data.subarray(130, 260);\n"
              "process.stdout.write(JSON.stringify([\n"
              "  await fileProblem('group1-shard1of1.bin', good, files),\n"
              "  await fileProblem('group1-shard1of1.bin', damaged, files),\n"
              "  await fileProblem('group1-shard1of1.bin', good.subarray(0, 100), files),\n"
              "  await fileProblem('group9-shard1of1.bin', good, files),\n"
              "]));")
    ok, wrong, short, unlisted = run_node(tmp_path, script, good + bytes(damaged))
    assert ok is None
    assert wrong.startswith("The model file group1-shard1of1.bin is damaged (its checksum does not match); it was not used.")
    assert short.startswith("The model file group1-shard1of1.bin is incomplete or damaged (100 bytes instead of 130)")
    assert unlisted.startswith("The model file group9-shard1of1.bin is not listed in the model's metadata.json")


def test_metadata_of_another_version_or_without_checksums_is_refused(tmp_path):
    files = files_listing(next(SHIPPED.glob("*/metadata.json")))
    version = content_version(files)
    script = (f"const files = {json.dumps(files)};\n"
              "process.stdout.write(JSON.stringify([\n"
              f"  await versionProblem({{ version: '{version}', files }}, '000000000000'),\n"
              f"  await versionProblem({{ version: '000000000000', files }}, '000000000000'),\n"
              "  await versionProblem({ version: '000000000000' }, '000000000000'),\n"
              "]));")
    asked_for_another, claims_another, no_checksums = run_node(tmp_path, script)
    assert asked_for_another == claims_another == (
        f"The model's metadata.json does not belong to version 000000000000 (it describes version {version}); "
        "the model was not used. Please publish the model again (`make convert` on the server machine).")
    assert no_checksums.startswith("The model's metadata.json records no checksums")
