"""The static server: what it serves, with which headers, and what it never gives away."""
import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server import create_app

REPO = Path(__file__).resolve().parent.parent
SECRET = "TOP-SECRET-d41d8cd9"
ALLOWED_ORIGIN = "https://allowed.example"
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "connect-src 'self'; img-src 'self' blob: data:; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
TRAVERSALS = [
    "/../secret.txt",
    "/js/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/js/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/..%2fsecret.txt",
    "/.%2e/secret.txt",
    "/%252e%252e/secret.txt",
    "/%252e%252e%252fsecret.txt",
    "/..\\secret.txt",
    "/..%5csecret.txt",
    "/js\\..\\..\\secret.txt",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "//" + "{outside}/secret.txt",
    "/index.html%00.js",
    "/%00",
    "/" + "a/" * 2000 + "index.html",
    "/" + "b" * 5000,
    "/.env",
    "/.git/config",
    "/js/.hidden.js",
    "/escape.txt",
    "/outside/secret.txt",
]


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def make_site(base: Path) -> Path:
    """base/secret.txt next to base/web/, a small page with a published model "m"."""
    (base / "secret.txt").write_text(SECRET)
    web = base / "web"
    (web / "js").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>Leukolens</title>")
    (web / "js" / "app.js").write_text("export const answer = 42;")
    (web / "js" / "worker.mjs").write_text("self.onmessage = () => {};")
    (web / "js" / ".hidden.js").write_text(SECRET)
    (web / "style.css").write_text("body { margin: 0; }")
    (web / "tfjs.wasm").write_bytes(b"\0asm\1\0\0\0")
    (web / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (web / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (web / "app.webmanifest").write_text("{}")
    (web / "README.md").write_text("# web")
    (web / "favicon.ico").write_bytes(b"\0\0\1\0")
    (web / ".env").write_text(SECRET)
    (web / ".git").mkdir()
    (web / ".git" / "config").write_text(SECRET)
    (web / "escape.txt").symlink_to(base / "secret.txt")
    (web / "outside").symlink_to(base, target_is_directory=True)
    write_json(web / "models" / "index.json", {"default": "m", "models": [{"name": "m", "version": "v1", "path": "m/"}]})
    write_json(web / "models" / "m" / "metadata.json", {"name": "m", "version": "v1", "classes": ["NEUTROPHIL"]})
    (web / "models" / "m" / "group1-shard1of1.bin").write_bytes(bytes(range(256)))
    return web


@pytest.fixture(scope="module")
def web_root(tmp_path_factory) -> Path:
    return make_site(tmp_path_factory.mktemp("site"))


@pytest.fixture
def client(web_root):
    return create_app({"WEB_ROOT": web_root, "CORS_ORIGINS": [ALLOWED_ORIGIN]}).test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET the path exactly as written: http.client neither normalises nor re-encodes it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest("GET", path, skip_host=False)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def start_server(web_root: Path, log_path: Path) -> tuple[subprocess.Popen, int]:
    """`python -m server` on a free port, once /healthz answers (with 200 or 503)."""
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", str(port), "--web-root", str(web_root)],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early:\n{log_path.read_text()}")
        try:
            raw_get(port, "/healthz")
            return process, port
        except ConnectionRefusedError:
            time.sleep(0.1)
    process.terminate()
    pytest.fail(f"server did not answer /healthz within 15 s:\n{log_path.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def live_server(web_root):
    log_path = web_root.parent / "server.log"
    process, port = start_server(web_root, log_path)
    yield port, log_path
    stop_server(process)


# What is served, and as what.

def test_root_serves_index_html(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.data == b"<!doctype html><title>Leukolens</title>"
    assert response.content_type == "text/html; charset=utf-8"


@pytest.mark.parametrize(("path", "content_type"), [
    ("/index.html", "text/html; charset=utf-8"),
    ("/js/app.js", "text/javascript; charset=utf-8"),
    ("/js/worker.mjs", "text/javascript; charset=utf-8"),
    ("/style.css", "text/css; charset=utf-8"),
    ("/models/index.json", "application/json"),
    ("/models/m/group1-shard1of1.bin", "application/octet-stream"),
    ("/tfjs.wasm", "application/wasm"),
    ("/icon.png", "image/png"),
    ("/logo.svg", "image/svg+xml"),
    ("/app.webmanifest", "application/manifest+json"),
    ("/README.md", "text/plain; charset=utf-8"),
    ("/favicon.ico", "image/x-icon"),
])
def test_content_types_are_explicit(client, path, content_type):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type


def test_binary_shard_is_served_byte_for_byte(client):
    assert client.get("/models/m/group1-shard1of1.bin").data == bytes(range(256))


def test_head_sends_headers_without_body(client):
    response = client.head("/js/app.js")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == str(len("export const answer = 42;"))


def test_default_web_root_is_the_repositorys_web_folder():
    assert create_app().config["WEB_ROOT"] == REPO / "web"


# Headers and caching.

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/tfjs.wasm"), ("GET", "/healthz"), ("GET", "/missing.js"), ("POST", "/"),
])
def test_security_headers_on_every_response(client, method, path):
    headers = client.open(path, method=method).headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-cache"


def test_etag_revalidation_returns_304(client):
    first = client.get("/models/m/group1-shard1of1.bin")
    assert first.headers["ETag"]
    again = client.get("/models/m/group1-shard1of1.bin", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert client.get("/models/m/group1-shard1of1.bin", headers={"If-None-Match": '"stale"'}).status_code == 200


# Read-only, and errors say little.

@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/index.html", "/healthz", "/upload"])
def test_only_get_and_head_are_allowed(client, method, path):
    response = client.open(path, method=method, data=b"payload")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}


@pytest.mark.parametrize("path", ["/js", "/js/", "/models", "/models/m/", "/outside"])
def test_directories_are_not_listed(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"app.js" not in response.data


def test_errors_are_short_plain_text(client):
    response = client.get("/missing.js")
    assert response.status_code == 404
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.data == b"404 Not Found\n"
    assert client.delete("/").data == b"405 Method Not Allowed\n"


# Nothing outside the web root, and no dotfiles, ever.

def short_id(path: str) -> str:
    return path if len(path) < 60 else f"{path[:20]}...({len(path)} chars)"


@pytest.mark.parametrize("path", TRAVERSALS, ids=short_id)
def test_traversal_is_404_through_flask(client, web_root, path):
    response = client.get(path.format(outside=web_root.parent.as_posix().lstrip("/")))
    assert response.status_code == 404
    assert SECRET.encode() not in response.data


@pytest.mark.parametrize("path", TRAVERSALS, ids=short_id)
def test_traversal_is_404_over_raw_http(live_server, web_root, path):
    port, _ = live_server
    status, headers, body = raw_get(port, path.format(outside=web_root.parent.as_posix().lstrip("/")))
    assert status == 404
    assert SECRET.encode() not in body
    assert b"root:" not in body
    assert SECRET not in json.dumps(headers)


# /healthz and the published model.

def test_healthz_reports_the_default_model(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "model": {"name": "m", "version": "v1"}}


def remove_index(models: Path) -> None:
    (models / "index.json").unlink()


def corrupt_index(models: Path) -> None:
    (models / "index.json").write_text('{"default": "m",')


def unlist_default(models: Path) -> None:
    write_json(models / "index.json", {"default": "gone", "models": [{"name": "m", "version": "v1", "path": "m/"}]})


def remove_metadata(models: Path) -> None:
    (models / "m" / "metadata.json").unlink()


def corrupt_metadata(models: Path) -> None:
    (models / "m" / "metadata.json").write_text("not json")


@pytest.mark.parametrize(("break_models", "problem"), [
    (remove_index, "models/index.json does not exist"),
    (corrupt_index, "models/index.json is not valid JSON"),
    (unlist_default, 'the default model "gone" is not listed in models/index.json'),
    (remove_metadata, "models/m/metadata.json does not exist"),
    (corrupt_metadata, "models/m/metadata.json is not valid JSON"),
])
def test_healthz_explains_a_missing_or_broken_model(tmp_path, break_models, problem):
    web_root = make_site(tmp_path)
    break_models(web_root / "models")
    response = create_app({"WEB_ROOT": web_root}).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "no-model"
    assert problem in body["problem"]
    assert "`make train convert`" in body["problem"]


# Cross-origin access only for configured origins.

def test_cors_allows_a_configured_origin(client):
    response = client.get("/models/index.json", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_cors_refuses_other_origins(client):
    response = client.get("/models/index.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_no_cross_origin_access_by_default(web_root):
    response = create_app({"WEB_ROOT": web_root}).test_client().get("/", headers={"Origin": ALLOWED_ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


# The command line.

def test_help_exits_cleanly():
    result = subprocess.run([sys.executable, "-m", "server", "--help"], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "--web-root" in result.stdout and "--cors-origin" in result.stdout


def test_live_server_prints_url_and_model(live_server):
    port, log_path = live_server
    assert raw_get(port, "/")[0] == 200
    log = log_path.read_text()
    assert f"http://127.0.0.1:{port}/" in log
    assert "Model: m (version v1)" in log


def test_server_starts_without_a_model_and_says_how_to_fix_it(tmp_path):
    web_root = tmp_path / "web"
    web_root.mkdir()
    (web_root / "index.html").write_text("<!doctype html>")
    process, port = start_server(web_root, tmp_path / "server.log")
    try:
        status, _, body = raw_get(port, "/healthz")
        assert status == 503
        assert raw_get(port, "/")[0] == 200
    finally:
        stop_server(process)
    log = (tmp_path / "server.log").read_text()
    assert "models/index.json does not exist" in log
    assert "`make train convert`" in log
