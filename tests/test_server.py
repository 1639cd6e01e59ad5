"""The static server: what it serves, with which headers, and what it never gives away."""
import hashlib
import http.client
import json
import re
import shutil
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker

from core.model_files import content_version
from headless.site_server import RunningServer
from server import create_app
from server.__main__ import describe_addresses
from server.production import MAX_REQUEST_BODY_BYTES, MAX_REQUEST_HEAD_BYTES
from tests.metadata_samples import shipped_metadata

REPO = Path(__file__).resolve().parent.parent
SECRET = "TOP-SECRET-d41d8cd9"
ALLOWED_ORIGIN = "https://allowed.example"
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
    "connect-src 'self'; img-src 'self' blob: data:; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HASHED_VERSION = "0123456789ab"
IMMUTABLE = "public, max-age=31536000, immutable"
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


# Model "m": its files recorded in metadata.json as convert/publish.py records them, so the server's
# check (core/model_files.py) passes until a test breaks one.
M_SHARD = bytes(range(256))
M_MODEL_JSON = json.dumps({"modelTopology": {}, "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": []}]}).encode()
M_FILES = {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
           for name, data in (("model.json", M_MODEL_JSON), ("group1-shard1of1.bin", M_SHARD))}
M_VERSION = content_version(M_FILES)


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
    write_json(web / "models" / "index.json", {"default": "m", "models": [{"name": "m", "version": M_VERSION, "path": "m/"}]})
    write_json(web / "models" / "m" / "metadata.json", shipped_metadata(name="m", version=M_VERSION, files=M_FILES))
    (web / "models" / "m" / "model.json").write_bytes(M_MODEL_JSON)
    (web / "models" / "m" / "group1-shard1of1.bin").write_bytes(M_SHARD)
    # Published models live in folders named by their content hash (convert/publish.py).
    (web / "models" / "m" / HASHED_VERSION).mkdir()
    (web / "models" / "m" / HASHED_VERSION / "group1-shard1of1.bin").write_bytes(bytes(range(256)))
    (web / "models" / "m" / "latest").mkdir()
    (web / "models" / "m" / "latest" / "group1-shard1of1.bin").write_bytes(bytes(range(256)))
    (web / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    return web


@pytest.fixture(scope="module")
def web_root(tmp_path_factory) -> Path:
    return make_site(tmp_path_factory.mktemp("site"))


@pytest.fixture
def client(web_root):
    return create_app({"WEB_ROOT": web_root, "CORS_ORIGINS": [ALLOWED_ORIGIN]}).test_client()


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


@pytest.fixture(scope="module")
def live_server(web_root):
    with RunningServer(web_root) as server:
        yield server


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


def test_content_hashed_model_files_may_be_kept_for_a_year(client):
    path = f"/models/m/{HASHED_VERSION}/group1-shard1of1.bin"
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("path", [
    "/", "/index.html", "/sw.js", "/js/app.js", "/models/index.json", "/models/m/metadata.json",
    "/models/m/group1-shard1of1.bin",  # not in a content-hashed folder
    "/models/m/latest/group1-shard1of1.bin",  # a folder name that is not a content hash
    f"/models/m/{HASHED_VERSION}/missing.bin",  # a 404 may turn into a file once published
])
def test_everything_else_is_revalidated(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-cache"


def test_service_worker_is_served_as_javascript_and_revalidated(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"


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
    port = live_server.port
    status, headers, body = raw_get(port, path.format(outside=web_root.parent.as_posix().lstrip("/")))
    assert status == 404
    assert SECRET.encode() not in body
    assert b"root:" not in body
    assert SECRET not in json.dumps(headers)


# The repository's own files next to web/ are never served.

SOURCE_FILES = [
    "/server/app.py",
    "/../server/app.py",
    "/%2e%2e/server/app.py",
    "/..%2fserver%2fapp.py",
    "/web/../server/app.py",
    "/Makefile",
    "/../Makefile",
    "/requirements.txt",
    "/../requirements.txt",
    "/%2e%2e/requirements.txt",
    "/../README.md",
    "/../.gitignore",
]


@pytest.fixture(scope="module")
def repo_server():
    """`python -m server` on the repository's own web/, with server/, Makefile and the rest beside it."""
    with RunningServer(REPO / "web") as server:
        yield server.port


@pytest.mark.parametrize("path", SOURCE_FILES)
def test_server_source_is_404_through_flask(path):
    response = create_app().test_client().get(path)
    assert response.status_code == 404
    assert response.data == b"404 Not Found\n"


@pytest.mark.parametrize("path", SOURCE_FILES)
def test_server_source_is_404_over_raw_http(repo_server, path):
    status, _, body = raw_get(repo_server, path)
    assert status == 404
    assert body == b"404 Not Found\n"


# Oversized requests are refused, tell nothing, and the server keeps serving.

def raw_exchange(port: int, request: bytes) -> bytes:
    """Sends request bytes as they are; returns whatever the server answered before closing (a request
    that does not say "Connection: close" may be answered and kept open, as HTTP/1.1 allows)."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(request)
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass  # the server may reset once it has answered and not read the rest
    return answer


MARKER = b"HEADER-MARKER-5f2c"
CLOSING_GET = b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"


@pytest.mark.parametrize(("headers", "status"), [
    ([b"X-Big: " + MARKER + b"a" * 70_000], b"431"),  # one line of 70 KB
    ([b"X-Many-%d: %s" % (i, MARKER) for i in range(120)], b"431"),  # over 100 headers
    ([b"X-Part-%d: %s%s" % (i, MARKER, b"b" * 8000) for i in range(6)], b"431"),  # 48 KB in all: over 32 KB
], ids=["line-over-64KB", "over-100-headers", "over-32KB-in-all"])
def test_oversized_request_headers_are_refused(live_server, headers, status):
    port, log_text = live_server.port, live_server.log_text
    answer = raw_exchange(port, CLOSING_GET % b"/index.html" + b"\r\n".join(headers) + b"\r\n\r\n")
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == status, answer[:200]
    assert MARKER not in answer
    assert b"Traceback" not in answer and b"<title>Leukolens" not in answer
    assert raw_get(port, "/")[0] == 200
    assert "Traceback" not in log_text()


def test_request_line_over_64KB_is_refused(live_server):
    port = live_server.port
    answer = raw_exchange(port, CLOSING_GET % (b"/" + MARKER + b"c" * 70_000) + b"\r\n")
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"414"
    assert MARKER not in answer
    assert raw_get(port, "/")[0] == 200


def test_oversized_headers_refused_through_flask_keep_the_security_headers(client):
    response = client.get("/", headers={f"X-Part-{i}": "b" * 8000 for i in range(6)})
    assert response.status_code == 431
    assert response.data == b"431 Request Header Fields Too Large\n"
    assert response.headers["Content-Security-Policy"] == CSP


def test_too_many_headers_and_an_overlong_url_are_refused_through_flask(client):
    assert client.get("/", headers={f"X-Many-{i}": "x" for i in range(120)}).status_code == 431
    response = client.get("/" + "c" * 9000)
    assert response.status_code == 414
    assert response.data == b"414 Request URI Too Long\n"


def test_server_header_names_no_software_versions(live_server):
    port = live_server.port
    for path in ("/", "/missing"):
        _, headers, _ = raw_get(port, path)
        assert headers["Server"] == "Leukolens"


@pytest.mark.parametrize("path", ["/", "/missing"])
def test_each_response_has_one_date_header(live_server, path):
    port = live_server.port
    head = raw_exchange(port, CLOSING_GET % path.encode() + b"\r\n").split(b"\r\n\r\n", 1)[0].lower()
    assert head.count(b"\r\ndate:") == 1, head


# /healthz and the published model.

def test_healthz_reports_the_default_model(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "model": {"name": "m", "version": M_VERSION}}


def remove_index(models: Path) -> None:
    (models / "index.json").unlink()


def corrupt_index(models: Path) -> None:
    (models / "index.json").write_text('{"default": "m",')


def unlist_default(models: Path) -> None:
    write_json(models / "index.json", {"default": "gone", "models": [{"name": "m", "version": M_VERSION, "path": "m/"}]})


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


def flip_a_shard_byte(model: Path) -> None:
    shard = model / "group1-shard1of1.bin"
    data = bytearray(shard.read_bytes())
    data[100] ^= 0x01
    shard.write_bytes(bytes(data))


def truncate_the_shard(model: Path) -> None:
    shard = model / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:200])


def delete_the_shard(model: Path) -> None:
    (model / "group1-shard1of1.bin").unlink()


def change_model_json(model: Path) -> None:
    (model / "model.json").write_bytes(M_MODEL_JSON.replace(b"{}", b"{ }", 1))


def record_other_checksums(model: Path) -> None:
    metadata = json.loads((model / "metadata.json").read_text())
    metadata["files"]["group1-shard1of1.bin"]["sha256"] = "0" * 64
    write_json(model / "metadata.json", metadata)


@pytest.mark.parametrize(("break_model", "file", "problem"), [
    (flip_a_shard_byte, "models/m/group1-shard1of1.bin", "is damaged (its SHA-256 does not match metadata.json)"),
    (truncate_the_shard, "models/m/group1-shard1of1.bin", "is incomplete or damaged (200 bytes instead of 256)"),
    (delete_the_shard, "models/m/group1-shard1of1.bin", "does not exist"),
    (change_model_json, "models/m/model.json", "is incomplete or damaged"),
    (record_other_checksums, "models/m/metadata.json", f"does not belong to version {M_VERSION}"),
])
def test_healthz_names_the_model_file_the_page_would_refuse(tmp_path, break_model, file, problem):
    web_root = make_site(tmp_path)
    break_model(web_root / "models" / "m")
    response = create_app({"WEB_ROOT": web_root}).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["file"], body["model"]) == ("broken-model", file, {"name": "m", "version": M_VERSION})
    assert f"{file} {problem}" in body["problem"]
    assert "`make convert`" in body["problem"]


def test_the_start_up_line_names_a_broken_model_file(tmp_path):
    web_root = make_site(tmp_path)
    flip_a_shard_byte(web_root / "models" / "m")
    with RunningServer(web_root) as server:
        status, _, body = raw_get(server.port, "/healthz")
        log = server.log_text()
    assert status == 503 and json.loads(body)["file"] == "models/m/group1-shard1of1.bin"
    assert "Warning: The model m" in log and "models/m/group1-shard1of1.bin is damaged" in log
    assert "Model: m (version" not in log


def test_the_shipped_model_passes_the_check_the_page_makes():
    response = create_app().test_client().get("/healthz")
    assert response.status_code == 200, response.get_json()


def test_the_servers_version_hash_is_the_publishers():
    from convert.publish import content_version as published_version
    metadata = json.loads(next((REPO / "web" / "models").glob("*/*/metadata.json")).read_text())
    assert content_version(metadata["files"]) == published_version(metadata["files"]) == metadata["version"]


# Cross-origin access only for configured origins.

def test_cors_allows_a_configured_origin(client):
    response = client.get("/models/index.json", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Origin" in response.vary


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_cors_refuses_other_origins_and_says_the_answer_depends_on_it(client, origin):
    headers = {"Origin": origin} if origin else {}
    response = client.get(f"/models/m/{HASHED_VERSION}/group1-shard1of1.bin", headers=headers)
    assert "Access-Control-Allow-Origin" not in response.headers
    # Kept for a year by shared caches too: without Vary, one origin's answer would serve the other.
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert "Origin" in response.vary


def test_a_preflight_from_an_allowed_origin_is_answered_with_get_and_head_only(client):
    response = client.options("/models/index.json", headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range, x-custom"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert response.headers["Access-Control-Allow-Headers"] == "range"
    assert "Origin" in response.vary
    assert response.headers["Content-Security-Policy"] == CSP


@pytest.mark.parametrize(("origin", "method"), [
    ("https://evil.example", "GET"), (ALLOWED_ORIGIN, "DELETE"), (ALLOWED_ORIGIN, "PUT"), (None, None)])
def test_other_preflights_are_refused_and_advertise_nothing_but_get_and_head(client, origin, method):
    headers = {key: value for key, value in (("Origin", origin), ("Access-Control-Request-Method", method)) if value}
    response = client.options("/models/index.json", headers=headers)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}
    assert "Access-Control-Allow-Methods" not in response.headers


def test_no_cross_origin_access_by_default(web_root):
    response = create_app({"WEB_ROOT": web_root}).test_client().get("/", headers={"Origin": ALLOWED_ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


# The command line.

def test_help_exits_cleanly():
    result = subprocess.run([sys.executable, "-m", "server", "--help"], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "--web-root" in result.stdout and "--cors-origin" in result.stdout


def test_live_server_prints_url_and_model(live_server):
    port = live_server.port
    assert raw_get(port, "/")[0] == 200
    log = live_server.log_text()
    assert f"http://127.0.0.1:{port}/" in log
    assert f"Model: m (version {M_VERSION})" in log


def test_server_starts_without_a_model_and_says_how_to_fix_it(tmp_path):
    web_root = tmp_path / "web"
    web_root.mkdir()
    (web_root / "index.html").write_text("<!doctype html>")
    with RunningServer(web_root) as server:
        status, _, body = raw_get(server.port, "/healthz")
        assert status == 503
        assert raw_get(server.port, "/")[0] == 200
        log = server.log_text()
    assert "models/index.json does not exist" in log
    assert "`make train convert`" in log


# The production server (waitress): its own limits answer like the app's, and it names no software.

def test_the_production_server_runs_without_a_development_server_warning(live_server):
    assert raw_get(live_server.port, "/")[0] == 200
    log = live_server.log_text().lower()
    assert "development server" not in log and "warning" not in log


def test_a_request_head_over_the_servers_own_limit_is_refused_unread(live_server):
    headers = b"".join(b"X-Part-%d: %s%s\r\n" % (i, MARKER, b"d" * 8000) for i in range(MAX_REQUEST_HEAD_BYTES // 8000 + 1))
    answer = raw_exchange(live_server.port, CLOSING_GET % b"/index.html" + headers + b"\r\n")
    head = answer.partition(b"\r\n\r\n")[0]
    assert head.split(b" ")[1] == b"431", answer[:200]
    assert b"\r\nServer: Leukolens" in head
    assert MARKER not in answer and b"waitress" not in answer.lower()
    assert raw_get(live_server.port, "/")[0] == 200


def test_a_request_body_over_the_limit_is_refused_before_it_is_sent(live_server):
    request = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % (MAX_REQUEST_BODY_BYTES * 100)
    answer = raw_exchange(live_server.port, request)  # no body follows: the answer must not wait for it
    assert answer.split(b" ")[1] == b"413", answer[:200]
    assert b"\r\nServer: Leukolens" in answer and b"waitress" not in answer.lower()


def test_a_small_request_body_reaches_the_app_which_allows_no_post(live_server):
    answer = raw_exchange(live_server.port, b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                            b"Content-Length: 7\r\n\r\npayload")
    assert answer.startswith(b"HTTP/1.1 405 ")
    assert answer.endswith(b"405 Method Not Allowed\n")


SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
                    "Cross-Origin-Resource-Policy": "same-origin", "Cache-Control": "no-cache"}


def answer_head_and_body(answer: bytes) -> tuple[bytes, dict, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status.encode(), dict(line.split(": ", 1) for line in lines), body


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"G<script>" + MARKER + b"T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"400 Bad Request"),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-" + MARKER + b" bad header\r\n\r\n", b"400 Bad Request"),
    (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % (MAX_REQUEST_BODY_BYTES * 100),
     b"413 Request Entity Too Large"),
    (CLOSING_GET % b"/" + b"".join(b"X-Part-%d: %s%s\r\n" % (i, MARKER, b"d" * 8000)
                                  for i in range(MAX_REQUEST_HEAD_BYTES // 8000 + 1)) + b"\r\n",
     b"431 Request Header Fields Too Large"),
], ids=["400-method", "400-header", "413", "431"])
def test_waitress_own_answers_carry_the_security_headers_and_echo_nothing(live_server, request_bytes, status):
    head, headers, body = answer_head_and_body(raw_exchange(live_server.port, request_bytes))
    assert head.split(b" ", 1)[1] == status  # HTTP/1.0 when the request line itself is unreadable
    assert body == status + b"\n"
    assert {name: headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert headers["Server"] == "Leukolens"


@pytest.mark.parametrize("path", ["/", "/missing", "/healthz"])
def test_the_server_is_named_once_and_not_as_a_proxy(live_server, path):
    _, headers, _ = raw_get(live_server.port, path)
    assert headers["Server"] == "Leukolens"
    assert "Via" not in headers


def test_one_connection_serves_many_requests(live_server):
    connection = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    try:
        for path in ("/", "/js/app.js", "/missing", "/models/index.json", "/"):
            connection.request("GET", path)
            connection.getresponse().read()
        assert connection.sock is not None  # still the first connection: kept alive throughout
    finally:
        connection.close()


def run_server_command(*args: str) -> subprocess.CompletedProcess:
    """`python -m server ARGS` for a server that must refuse to start; its exit code and messages."""
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=REPO, capture_output=True, text=True, timeout=30)


def test_a_port_in_use_is_explained(live_server, web_root):
    result = run_server_command("--port", str(live_server.port), "--web-root", str(web_root))
    assert result.returncode == 1
    assert f"Port {live_server.port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_listening_on_the_network_says_where_to_open_it_and_that_offline_needs_https():
    lines = "\n".join(describe_addresses("http", "0.0.0.0", 8000))
    assert f"http://{socket.gethostname()}:8000/ from other computers" in lines
    assert "http://localhost:8000/ on this one" in lines
    assert "not offline use: that needs https" in lines
    assert "offline" not in "\n".join(describe_addresses("https", "0.0.0.0", 8000))


# https with a certificate the test makes (openssl), verified against that certificate alone.

def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, made as the README tells a clinic to."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", "30", "-nodes",
            "-keyout", f"{name}-key.pem", "-out", f"{name}-cert.pem", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=folder)
    return folder / f"{name}-cert.pem", folder / f"{name}-key.pem"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(folder, "server")
    _, other_key = self_signed(folder, "other")
    openssl("genpkey", "-algorithm", "RSA", "-aes256", "-pass", "pass:secret", "-out", "encrypted-key.pem", cwd=folder)
    (folder / "not-pem.txt").write_text("not a certificate")
    return {"cert": cert, "key": key, "other_key": other_key, "encrypted_key": folder / "encrypted-key.pem",
            "not_pem": folder / "not-pem.txt", "folder": folder}


@pytest.fixture(scope="module")
def https_server(web_root, certificates):
    with RunningServer(web_root, tls=(certificates["cert"], certificates["key"])) as server:
        yield server


def https_get(server: RunningServer, path: str) -> tuple[int, dict, bytes]:
    """GET over TLS, verifying the server's certificate and name against the test's certificate."""
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=10, context=server.tls_context)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_https_serves_the_page_with_a_verified_certificate(https_server):
    assert https_server.url.startswith("https://")
    status, headers, body = https_get(https_server, "/")
    assert status == 200
    assert body == b"<!doctype html><title>Leukolens</title>"
    assert headers["Content-Security-Policy"] == CSP
    assert headers["Server"] == "Leukolens"
    assert f"https://127.0.0.1:{https_server.port}/" in https_server.log_text()


def test_https_healthz_reports_the_model(https_server):
    status, _, body = https_get(https_server, "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "model": {"name": "m", "version": M_VERSION}}


def test_https_keeps_the_same_limits(https_server):
    status, _, body = https_get(https_server, "/../secret.txt")
    assert status == 404 and SECRET.encode() not in body
    connection = http.client.HTTPSConnection("127.0.0.1", https_server.port, timeout=10, context=https_server.tls_context)
    try:
        connection.request("GET", "/", headers={f"X-Part-{i}": "b" * 8000 for i in range(6)})
        assert connection.getresponse().status == 431
    finally:
        connection.close()


def test_a_client_that_does_not_trust_the_certificate_is_refused(https_server):
    with pytest.raises(ssl.SSLCertVerificationError):
        with socket.create_connection(("127.0.0.1", https_server.port), timeout=10) as sock:
            ssl.create_default_context().wrap_socket(sock, server_hostname="127.0.0.1")


def test_plain_http_to_the_https_port_is_sent_to_https(https_server):
    status, headers, body = raw_get(https_server.port, "/index.html")
    assert status == 302
    assert headers["Location"] == f"https://127.0.0.1:{https_server.port}/"
    assert body == b""
    assert https_get(https_server, "/")[0] == 200


def test_plain_http_without_a_usable_host_gets_a_short_answer(https_server):
    answer = raw_exchange(https_server.port, b"GET / HTTP/1.1\r\nHost: evil\"<x>\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ") and answer.endswith(b"This server speaks https only.\n")


@pytest.mark.parametrize(("cert", "key", "message"), [
    ("missing.pem", "key", "--cert {folder}/missing.pem does not exist"),
    ("cert", "missing.pem", "--key {folder}/missing.pem does not exist"),
    (".", "key", "--cert {folder} cannot be read"),
    ("not_pem", "key", "holds no PEM certificate"),
    ("cert", "not_pem", "holds no PEM private key"),
    ("cert", "other_key", "does not match --cert"),
    ("cert", "encrypted_key", "is protected by a passphrase"),
])
def test_certificate_problems_are_explained(certificates, web_root, cert, key, message):
    folder = certificates["folder"]
    paths = [str(certificates[name]) if name in certificates else str(folder / name) for name in (cert, key)]
    result = run_server_command("--port", "0", "--web-root", str(web_root), "--cert", paths[0], "--key", paths[1])
    assert result.returncode == 1
    assert result.stderr.startswith("Cannot serve https: ")
    assert message.format(folder=folder) in result.stderr
    assert "Traceback" not in result.stderr and not result.stdout


@pytest.mark.parametrize("given", [["--cert", "cert.pem"], ["--key", "key.pem"]])
def test_cert_and_key_go_together(given):
    result = run_server_command(*given)
    assert result.returncode == 2
    assert "--cert and --key go together" in result.stderr


# What `make serve` installs must be what the tests ran with.

def pins(path: Path) -> dict:
    """{package (lower case): version} for the lines of a requirements file that apply to Python 3.11."""
    found = {}
    for line in path.read_text().splitlines():
        requirement, _, marker = line.split("#")[0].partition(";")
        if "==" in requirement and (not marker.strip() or Marker(marker).evaluate({"python_version": "3.11"})):
            name, version = requirement.split("==")
            found[re.sub(r"[-_.]+", "-", name.strip().lower())] = version.strip()
    return found


def test_the_serve_requirements_pin_what_requirements_txt_pins():
    serve, everything = pins(REPO / "requirements-serve.txt"), pins(REPO / "requirements.txt")
    assert {"flask", "waitress", "werkzeug"} <= serve.keys()
    assert {name: everything.get(name) for name in serve} == serve
