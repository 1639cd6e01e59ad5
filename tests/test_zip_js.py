"""web/js/zip.js under Node: the .zip the page exports is one Python's zipfile reads, and the page reads a
folder zipped again by the operating system (deflated), checking every file's CRC-32."""
import io
import json
import zipfile

import pytest

from core.node import NodeError
from tests.js_runner import run_module_script

FILES = {"metadata.json": b'{"name": "x"}', "model.json": b"{}" * 500, "group1-shard1of1.bin": bytes(range(256)) * 40}

WRITE = """
import { writeFileSync } from 'node:fs';
import { writeZip } from './zip.js';
const files = new Map(Object.entries(%s).map(([name, values]) => [name, Uint8Array.from(values)]));
writeFileSync(new URL('./out.zip', import.meta.url), Buffer.from(await writeZip('my-model', files).arrayBuffer()));
"""

READ = """
import { readFileSync } from 'node:fs';
import { readZip } from './zip.js';
const files = await readZip(new Uint8Array(readFileSync(new URL('./in.zip', import.meta.url))));
console.log(JSON.stringify(Object.fromEntries([...files].map(([name, bytes]) => [name, Array.from(bytes)]))));
"""


def test_the_exported_zip_holds_the_folder_for_python(tmp_path):
    run_module_script(tmp_path, WRITE % json.dumps({name: list(data) for name, data in FILES.items()}))
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.testzip() is None
        assert {name: archive.read(name) for name in archive.namelist()} == {f"my-model/{n}": d for n, d in FILES.items()}


def deflated(files) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("my-model/", "")
        for name, data in files.items():
            archive.writestr(f"my-model/{name}", data)
    return buffer.getvalue()


def test_a_deflated_zip_is_read_and_a_damaged_one_refused(tmp_path):
    read = json.loads(run_module_script(tmp_path, READ, {"in.zip": deflated(FILES)}))
    assert {name: bytes(values) for name, values in read.items()} == FILES
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w") as archive:
        archive.writestr("my-model/model.json", FILES["model.json"])
    damaged = bytearray(stored.getvalue())
    damaged[damaged.index(b"{}") + 1] ^= 1
    with pytest.raises(NodeError, match="model.json is damaged"):
        run_module_script(tmp_path, READ, {"in.zip": bytes(damaged)})
