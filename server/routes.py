"""The URLs: files under WEB_ROOT (GET and HEAD only) and /healthz."""
from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, request, send_file
from werkzeug.security import safe_join

from server.conditional import answer_conditionally
from server.model_status import read_model_status

# Explicit, so the answer never depends on the host's mime database.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".bin": "application/octet-stream",
    ".wasm": "application/wasm",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".ico": "image/x-icon",
}
FALLBACK_CONTENT_TYPE = "application/octet-stream"
READ_ONLY = {"methods": ["GET"], "provide_automatic_options": False}  # Flask adds HEAD itself

# models/<name>/<version>/<file>, where <version> is the hex content hash convert/publish.py names the
# folder by: such a URL always holds the same bytes, so browsers may keep it without asking again.
CONTENT_HASHED = re.compile(r"models/[^/]+/[0-9a-f]{12,64}/[^/]+")
ONE_YEAR = 365 * 24 * 3600

site = Blueprint("site", __name__)


@site.route("/healthz", **READ_ONLY)
def healthz() -> tuple[Response, int]:
    status = read_model_status(current_app.config["WEB_ROOT"])
    return jsonify(status), 200 if status["status"] == "ok" else 503


@site.route("/", **READ_ONLY)
@site.route("/<path:url_path>", **READ_ONLY)
def static_file(url_path: str = "index.html") -> Response:
    file_path = resolve_static_file(current_app.config["WEB_ROOT"], url_path)
    if file_path is None:
        abort(404)
    response = send_file(file_path, conditional=False, etag=True)
    response = answer_conditionally(request, response, file_path.stat().st_size)
    if CONTENT_HASHED.fullmatch(url_path):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    # Set after send_file, which would append a second charset to a type that has one.
    response.headers["Content-Type"] = CONTENT_TYPES.get(file_path.suffix.lower(), FALLBACK_CONTENT_TYPE)
    return response


def resolve_static_file(web_root: Path, url_path: str) -> Path | None:
    """The regular file under web_root that url_path names, or None if it must not be served.

    Refused: empty segments, "." and "..", dotfiles and dot-folders, backslashes, NUL bytes,
    directories, and anything (symlinks included) that resolves outside web_root.
    """
    segments = url_path.split("/")
    if "\\" in url_path or "\0" in url_path or any(not s or s.startswith(".") for s in segments):
        return None
    joined = safe_join(str(web_root), url_path)
    if joined is None:
        return None
    # realpath, unlike Path.resolve, does not raise on symlink loops or over-long names.
    real_path = Path(os.path.realpath(joined))
    if not real_path.is_relative_to(web_root) or not os.path.isfile(real_path):
        return None
    return real_path
