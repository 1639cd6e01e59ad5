"""Serve the Leukolens page: python -m server [--host H] [--port P] [--web-root DIR] [--cors-origin URL]..."""
import argparse
import sys
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler

from server.app import create_app
from server.model_status import read_model_status


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's, minus the software versions it would announce in every Server header,
    and with one Date header: http.server adds its own after the one Werkzeug sends."""

    def version_string(self) -> str:
        return "Leukolens"

    def send_response_only(self, code, message=None) -> None:
        self._date_sent = False
        super().send_response_only(code, message)

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "date":
            if getattr(self, "_date_sent", False):
                return
            self._date_sent = True
        super().send_header(keyword, value)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m server", description="Serve the Leukolens web page (static files only).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    parser.add_argument("--web-root", type=Path, metavar="DIR", help="folder to serve (default: the repository's web/)")
    parser.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                        help="origin allowed to fetch files cross-origin, e.g. https://example.org (repeatable)")
    return parser.parse_args(argv)


def describe_model(web_root: Path) -> str:
    status = read_model_status(web_root)
    if status["status"] == "ok":
        return f"Model: {status['model']['name']} (version {status['model']['version']})"
    return f"Warning: {status['problem']} The page will say the same until then."


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = {"CORS_ORIGINS": args.cors_origin}
    if args.web_root is not None:
        config["WEB_ROOT"] = args.web_root
    app = create_app(config)
    web_root = app.config["WEB_ROOT"]
    if not web_root.is_dir():
        sys.exit(f"--web-root {web_root} is not a folder")
    print(f"Leukolens: open http://{args.host}:{args.port}/ (serving {web_root})", flush=True)
    print(describe_model(web_root), flush=True)
    # One thread per connection (Flask's default, spelled out): many browsers may fetch the model at
    # once, and server/loadtest.py checks that every one of them gets every byte right.
    app.run(host=args.host, port=args.port, debug=False, threaded=True, request_handler=RequestHandler)


if __name__ == "__main__":
    main()
