"""The application factory: one static-only site, locked down by headers."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response, abort, request
from werkzeug.exceptions import HTTPException

from server.cors import allow_origins
from server.routes import site

DEFAULT_WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

# Same-origin everything, plus what TensorFlow.js needs: compiling its WASM backend
# ('wasm-unsafe-eval') and blob:/data: images. No blob: workers: the page uses the single-threaded
# WASM build (web/js/model.js says why and what was measured); the threaded one would need blob: in
# both worker-src and script-src.
# Offline use needs nothing more: worker-src 'self' admits the service worker (web/sw.js), whose
# fetches are same-origin (connect-src 'self'), and default-src 'self' admits the manifest.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
    "connect-src 'self'; img-src 'self' blob: data:; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

# COOP + COEP make the page cross-origin isolated: the single-threaded WASM build the page runs does not
# need it, but it is kept as defence in depth (no other origin's window or resource can reach into the page).
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}


# Every answer's Server header: it names no software and no version.
SERVER_HEADER = "Leukolens"

# Limits on what a request may carry, checked here so that every server answers alike (waitress
# itself only bounds the whole request head, at server.production.MAX_REQUEST_HEAD_BYTES). A browser
# asking for this site sends about 20 headers, well under 2 KB in all, and URLs under 200 bytes.
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADER_COUNT = 100
MAX_URL_BYTES = 8 * 1024


def create_app(config: Mapping | None = None) -> Flask:
    """Build the server; config may set WEB_ROOT (folder to serve) and CORS_ORIGINS (list)."""
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(WEB_ROOT=DEFAULT_WEB_ROOT, CORS_ORIGINS=[])
    if config is not None:
        app.config.from_mapping(config)
    app.config["WEB_ROOT"] = Path(app.config["WEB_ROOT"]).resolve()
    app.register_blueprint(site)
    app.before_request(refuse_oversized_request)
    app.register_error_handler(HTTPException, plain_text_error)
    app.after_request(add_security_headers)
    if app.config["CORS_ORIGINS"]:
        allow_origins(app, list(app.config["CORS_ORIGINS"]))
    return app


def refuse_oversized_request() -> None:
    headers = request.headers
    if len(headers) > MAX_HEADER_COUNT or sum(len(name) + len(value) + 4 for name, value in headers.items()) > MAX_HEADER_BYTES:
        abort(431)
    # The URL as sent (percent-escapes included) where the server passes it on, as waitress does.
    raw_url = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or request.full_path
    if len(raw_url) > MAX_URL_BYTES:
        abort(414)


def add_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    # Revalidate everything (ETags make that cheap) unless a route knows better: only content-hashed
    # model files (see routes.CONTENT_HASHED) may be kept without asking.
    if "Cache-Control" not in response.headers:
        response.cache_control.no_cache = True
    return response


def plain_text_error(error: HTTPException) -> Response:
    """A one-line body such as "404 Not Found"; keeps headers like Allow on a 405."""
    response = error.get_response()
    response.set_data(f"{error.code} {error.name}\n")
    response.mimetype = "text/plain"
    return response
