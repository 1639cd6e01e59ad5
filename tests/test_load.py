"""Concurrent clients fetching the whole default model from the real server on loopback.

Kept small here (10 clients x 3 rounds); the benchmark calls the same function with more.
"""
import json
import shutil

import pytest

from bench.loadtest import fetch_model_concurrently
from convert.publish import sha256_file
from core.model_index import default_model
from headless.site_server import RunningServer
from tests.conftest import REPO
from tests.test_server import self_signed


def model_files(web_root):
    """{URL path: file} for the default model's metadata.json, model.json and weight shards."""
    _, folder = default_model(web_root / "models")
    path = folder.relative_to(web_root).as_posix()
    manifest = json.loads((folder / "model.json").read_text())["weightsManifest"]
    names = ["metadata.json", "model.json"] + [path for group in manifest for path in group["paths"]]
    return {f"/{path}/{name}": folder / name for name in names}


def load(web_root, clients, rounds, tls=None):
    with RunningServer(web_root, tls=tls) as server:
        return fetch_model_concurrently(server.url, clients=clients, rounds=rounds, tls=server.tls_context)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_concurrent_clients_get_every_byte_of_the_shipped_model(tmp_path, scheme):
    if scheme == "https" and shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    clients, rounds = 10, 3
    files = model_files(REPO / "web")
    result = load(REPO / "web", clients, rounds, tls=self_signed(tmp_path, "server") if scheme == "https" else None)
    assert result["errors"] == [] and result["error_count"] == 0
    assert result["requests"] == clients * rounds * len(files)
    assert result["bytes"] == clients * rounds * sum(path.stat().st_size for path in files.values())
    # Every one of the 30 answers for each file hashed exactly like the file on disk.
    assert result["sha256"] == {url: [sha256_file(path)] for url, path in files.items()}
    assert result["seconds"] > 0 and result["megabytes_per_second"] > 0


def test_a_body_that_differs_from_the_published_file_is_counted_as_an_error(tmp_path):
    web_root = tmp_path / "web"
    shutil.copytree(REPO / "web" / "models", web_root / "models")
    shard = next(path for url, path in model_files(web_root).items() if url.endswith(".bin"))
    damaged = bytearray(shard.read_bytes())
    damaged[100] ^= 0xFF
    shard.write_bytes(bytes(damaged))
    result = load(web_root, clients=3, rounds=2)
    assert result["error_count"] == 6
    assert all(shard.name in error and "differs from the published file" in error for error in result["errors"])
