"""Serve the Leukolens page: python -m server [--host H] [--port P] [--cert FILE --key FILE] [--web-root DIR] ..."""
from __future__ import annotations

import argparse
import errno
import socket
import sys
from pathlib import Path

from server.app import create_app
from server.model_status import read_model_status
from server.production import log_problems, start_server
from server.tls import CertificateProblem, load_certificate

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Windows reports socket errors by their WSA numbers.
IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)}
NOT_ALLOWED = {errno.EACCES, getattr(errno, "WSAEACCES", errno.EACCES)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m server", description="Serve the Leukolens web page (static files only).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; 0.0.0.0 lets other computers in (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    parser.add_argument("--cert", type=Path, metavar="FILE", help="serve https with this certificate (PEM); needs --key")
    parser.add_argument("--key", type=Path, metavar="FILE", help="the certificate's private key (PEM, no passphrase)")
    parser.add_argument("--web-root", type=Path, metavar="DIR", help="folder to serve (default: the repository's web/)")
    parser.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                        help="origin allowed to fetch files cross-origin, e.g. https://example.org (repeatable)")
    args = parser.parse_args(argv)
    if (args.cert is None) != (args.key is None):
        parser.error("--cert and --key go together: https needs the certificate and its private key")
    return args


def describe_model(web_root: Path) -> str:
    status = read_model_status(web_root)
    if status["status"] == "ok":
        return f"Model: {status['model']['name']} (version {status['model']['version']})"
    if status["status"] == "broken-model":
        return f"Warning: {status['problem']}"
    return f"Warning: {status['problem']} The page will say the same until then."


def url(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}/"


def describe_addresses(scheme: str, host: str, port: int) -> list[str]:
    """Where to open the page from, and what other computers get over http."""
    if host in LOOPBACK:
        return [f"Leukolens: open {url(scheme, host, port)} (on this computer only)"]
    lines = [f"Leukolens: open {url(scheme, socket.gethostname(), port)} from other computers, "
             f"{url(scheme, 'localhost', port)} on this one (listening on {url(scheme, host, port)})"]
    if scheme == "http":
        lines.append("Other computers get the page, but not offline use: that needs https (--cert, --key; "
                     "see the README, Run it in a clinic).")
    return lines


def listen_problem(error: OSError, host: str, port: int) -> str:
    if error.errno in IN_USE:
        return f"Port {port} is already in use: is Leukolens already running? Stop it, or choose another with --port."
    if error.errno in NOT_ALLOWED:
        return f"Not allowed to listen on port {port}: ports below 1024 need administrator rights; choose another with --port."
    return f"Cannot listen on {host}:{port} ({error.strerror or error}): --host must be an address of this computer."


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = {"CORS_ORIGINS": args.cors_origin}
    if args.web_root is not None:
        config["WEB_ROOT"] = args.web_root
    app = create_app(config)
    web_root = app.config["WEB_ROOT"]
    if not web_root.is_dir():
        sys.exit(f"--web-root {web_root} is not a folder")
    try:
        tls = None if args.cert is None else load_certificate(args.cert, args.key)
    except CertificateProblem as problem:
        sys.exit(f"Cannot serve https: {problem}")
    log_problems()
    try:
        server = start_server(app, args.host, args.port, tls)
    except OSError as error:
        sys.exit(listen_problem(error, args.host, args.port))
    for line in describe_addresses("http" if tls is None else "https", args.host, args.port):
        print(line, flush=True)
    print(f"Serving {web_root}", flush=True)
    print(describe_model(web_root), flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    server.run()  # until Ctrl+C (waitress then closes its sockets) or the process is ended


if __name__ == "__main__":
    main()
