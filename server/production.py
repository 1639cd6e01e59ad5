"""The production server: waitress (pure Python, so it runs the same on a Windows laptop).

waitress reads and writes every connection in one thread and runs the app in a pool of worker
threads. The app only finds the file and hands it back; waitress then sends it from its own thread,
so a few workers keep up with many browsers fetching the model at once (bench/loadtest.py).
"""
from __future__ import annotations

import logging
import socket
import ssl

from flask import Flask
from waitress.adjustments import Adjustments
from waitress.server import MultiSocketServer
from waitress.task import ThreadedTaskDispatcher

from server.app import SERVER_HEADER
from server.connections import GuardedServer
from server.tls import IDLE_SECONDS, TLSRelay

# Workers only pick the file and write the headers, so 8 are enough for 50 clients at once: the full
# load test (50 clients x 20 model fetches) passes without one failed or corrupted answer.
THREADS = 8
# A browser opens up to 6 connections to one site; 50 staff PCs at once would need 300. When all are
# open, the one waiting longest for a request makes room for a new one (server/connections.py).
CONNECTION_LIMIT = 300
# The whole request head (request line and headers). Above server.app's own limits, so the app
# answers 414 and 431 itself, with its security headers; waitress refuses anything larger unread.
MAX_REQUEST_HEAD_BYTES = 128 * 1024
# The site takes no uploads (GET and HEAD only), and waitress would buffer up to 1 GB of a request
# body before the app could refuse it; small bodies still reach the app, which answers 405.
MAX_REQUEST_BODY_BYTES = 64 * 1024
# How often idle connections and request heads past their deadline are looked for (waitress: 30 s).
CLEANUP_SECONDS = 5


def create_waitress(app: Flask, host: str, port: int, url_scheme: str = "http", **settings):
    """A waitress server bound to host:port, not yet running; OSError if it cannot listen there.

    waitress's create_server, with GuardedServer in place of its TcpWSGIServer; settings override
    waitress adjustments (the tests shorten cleanup_interval)."""
    adjustments = Adjustments(**{
        "host": host, "port": port, "url_scheme": url_scheme, "threads": THREADS,
        "connection_limit": CONNECTION_LIMIT, "channel_timeout": IDLE_SECONDS,
        "max_request_header_size": MAX_REQUEST_HEAD_BYTES, "max_request_body_size": MAX_REQUEST_BODY_BYTES,
        "ident": SERVER_HEADER,  # waitress would otherwise send "Server: waitress"
        "cleanup_interval": CLEANUP_SECONDS,
        **settings})
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adjustments.threads)
    connections = {}
    # "localhost" may listen on two sockets (127.0.0.1 and ::1), as create_server would.
    servers = [GuardedServer(app, connections, dispatcher=dispatcher, adj=adjustments, sockinfo=sockinfo)
               for sockinfo in adjustments.listen]
    if len(servers) == 1:
        return servers[0]
    return MultiSocketServer(connections, adjustments, [(s.effective_host, s.effective_port) for s in servers],
                             dispatcher, servers[0].log_info)


def start_server(app: Flask, host: str, port: int, tls: ssl.SSLContext | None = None):
    """Listens on host:port (https when tls is given) and returns the server to run().

    OSError if the address cannot be listened on (in use, not this machine's, a port below 1024)."""
    if tls is None:
        return create_waitress(app, host, port)
    # waitress on a private loopback port, behind the relay that speaks TLS on the public one.
    listener = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    server = create_waitress(app, "127.0.0.1", 0, url_scheme="https")
    TLSRelay(listener, tls, ("127.0.0.1", server.effective_port), CONNECTION_LIMIT).start()
    return server


def log_problems() -> None:
    """waitress logs through `logging`: show its warnings and errors (a failing request's traceback),
    but not "Task queue depth", which a burst of requests waiting a moment for a worker is by design."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
