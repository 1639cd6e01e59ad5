"""Many clients fetching the whole default model at once: python -m bench.loadtest URL [--clients N] [--rounds M]

Each client fetches metadata.json, model.json and every weight shard of the default model, `rounds`
times over, all clients at the same moment, and hashes every body it gets. Used by the tests (small)
and by the benchmark (large); prints the result as JSON when run as a command. An https URL is
fetched over TLS; --cafile trusts a self-signed certificate (the server's --cert).
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse

from core.artifacts import INDEX, METADATA
from core.model_index import default_entry

MAX_LISTED_ERRORS = 20


def get(connection: http.client.HTTPConnection, path: str) -> bytes:
    """The body of a 200 answer to GET path; raises OSError or HTTPException otherwise."""
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise http.client.HTTPException(f"HTTP {response.status}")
    return body


def connect(base_url: str, timeout: float, tls: ssl.SSLContext | None = None) -> http.client.HTTPConnection:
    """A connection to the URL's host and port, over TLS for https (verified with tls, or the system's
    certificates when tls is None); it connects on the first request."""
    url = urllib.parse.urlsplit(base_url)
    if url.scheme == "https":
        return http.client.HTTPSConnection(url.hostname, url.port, timeout=timeout, context=tls or ssl.create_default_context())
    return http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)


def model_files(base_url: str, tls: ssl.SSLContext | None = None) -> dict:
    """{URL path: SHA-256 the server says it has} for the default model's files, from index.json and
    metadata.json; metadata.json itself maps to None (it records no hash of itself)."""
    url = urllib.parse.urlsplit(base_url)
    root = url.path if url.path.endswith("/") else url.path + "/"
    connection = connect(base_url, 30, tls)
    try:
        index = json.loads(get(connection, f"{root}models/{INDEX}"))
        entry = default_entry(index)
        folder = f"{root}models/{entry['path']}"
        metadata = json.loads(get(connection, folder + METADATA))
        manifest = json.loads(get(connection, folder + metadata["model"]["file"]))["weightsManifest"]
    finally:
        connection.close()
    names = [metadata["model"]["file"]] + [path for group in manifest for path in group["paths"]]
    return {folder + METADATA: None, **{folder + name: metadata["files"][name]["sha256"] for name in names}}


def fetch_model_concurrently(base_url: str, clients: int, rounds: int, timeout: float = 60,
                             tls: ssl.SSLContext | None = None) -> dict:
    """Every client fetches every model file `rounds` times. Returns counts, bytes, errors (the first
    few described), seconds, throughput and, per file, every distinct SHA-256 received."""
    expected = model_files(base_url, tls)
    lock = threading.Lock()
    totals = {"requests": 0, "bytes": 0, "error_count": 0}
    errors: list[str] = []
    digests: dict[str, set] = {path: set() for path in expected}
    start = threading.Barrier(clients + 1)

    def record(path: str, body: bytes | None, problem: str | None) -> None:
        with lock:
            totals["requests"] += 1
            if body is not None:
                totals["bytes"] += len(body)
                digests[path].add(hashlib.sha256(body).hexdigest())
            if problem:
                totals["error_count"] += 1
                if len(errors) < MAX_LISTED_ERRORS:
                    errors.append(f"GET {path}: {problem}")

    def client() -> None:
        connection = connect(base_url, timeout, tls)
        start.wait()
        try:
            for _ in range(rounds):
                for path, sha256 in expected.items():
                    try:
                        body = get(connection, path)
                    except (OSError, http.client.HTTPException) as error:
                        connection.close()  # reconnects on the next request
                        record(path, None, f"{type(error).__name__}: {error}")
                        continue
                    wrong = sha256 is not None and hashlib.sha256(body).hexdigest() != sha256
                    record(path, body, "body differs from the published file (SHA-256)" if wrong else None)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return {
        "clients": clients, "rounds": rounds, **totals, "errors": errors, "seconds": seconds,
        "requests_per_second": totals["requests"] / seconds,
        "megabytes_per_second": totals["bytes"] / 1e6 / seconds,
        "sha256": {path: sorted(seen) for path, seen in digests.items()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the page's address, e.g. http://127.0.0.1:8000/")
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="times each client fetches the model (default: %(default)s)")
    parser.add_argument("--cafile", metavar="FILE",
                        help="for https: trust this certificate (e.g. the server's self-signed --cert)")
    args = parser.parse_args(argv)
    tls = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    result = fetch_model_concurrently(args.url, args.clients, args.rounds, tls=tls)
    print(json.dumps(result, indent=2))
    sys.exit(1 if result["error_count"] else 0)


if __name__ == "__main__":
    main()
