"""Cross-origin access for the origins given with --cors-origin, as the Fetch standard asks.

Written out rather than left to flask-cors, which (6.0.5) sent Access-Control-Allow-Origin without
`Vary: Origin` when one origin was configured, so a shared cache could hand one origin's answer to
another (and these answers are immutable for a year), and advertised DELETE, PATCH, POST and PUT on a
site that answers GET and HEAD only.
"""
from __future__ import annotations

from flask import Flask, Response, request

METHODS = ("GET", "HEAD")
# What a cross-origin page may send on a GET: the conditional and range headers.
REQUEST_HEADERS = {"range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range"}
PREFLIGHT_SECONDS = 600


def allow_origins(app: Flask, origins: list[str]) -> None:
    allowed = frozenset(origins)

    def preflight() -> Response | None:
        """OPTIONS from an allowed origin, for GET or HEAD: 204 with the answer; any other falls through
        to the routes, which answer 405 with Allow: GET, HEAD."""
        if request.method != "OPTIONS" or request.headers.get("Origin") not in allowed:
            return None
        if request.headers.get("Access-Control-Request-Method") not in METHODS:
            return None
        asked = [name.strip().lower() for name in request.headers.get("Access-Control-Request-Headers", "").split(",")]
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(METHODS)
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_SECONDS)
        granted = [name for name in asked if name in REQUEST_HEADERS]
        if granted:
            response.headers["Access-Control-Allow-Headers"] = ", ".join(granted)
        return response

    def add_headers(response: Response) -> Response:
        # Every answer depends on the Origin once origins are configured: an allowed one gets the header.
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
        return response

    app.before_request(preflight)
    app.after_request(add_headers)
