"""https, so other PCs on the clinic network get a secure context (offline use needs one).

waitress speaks plain HTTP only. Rather than a second HTTP server that would answer differently
(headers, limits, errors), a small relay accepts TLS connections with Python's ssl module and passes
the decrypted bytes to the same waitress server on a private loopback port: an https answer is the
http answer, byte for byte. Standard library only, so it runs wherever Python does, Windows included.
"""
from __future__ import annotations

import logging
import re
import select
import socket
import ssl
import threading
import time
from pathlib import Path

from server.app import SERVER_HEADER

logger = logging.getLogger(__name__)

# How long an idle connection is kept open, by the relay and by waitress behind it (its channel_timeout).
IDLE_SECONDS = 120
# A browser finishes its handshake in milliseconds; a connection that does not is let go sooner.
HANDSHAKE_SECONDS = 15
BUFFER_BYTES = 64 * 1024
TLS_HANDSHAKE = 0x16  # the first byte a TLS client sends; anything else is someone speaking http


class CertificateProblem(Exception):
    """--cert or --key cannot be used; the message says which and what to do."""


class _EncryptedKey(Exception):
    """ssl asked for a passphrase: the key is encrypted (a service cannot type one)."""


def _refuse_passphrase() -> str:
    raise _EncryptedKey


def load_certificate(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side TLS context for cert and key (PEM files), or CertificateProblem saying why not."""
    for flag, path in (("--cert", cert), ("--key", key)):
        _check_readable(flag, Path(path))
    try:
        ssl.create_default_context(cafile=str(cert))  # parses the certificate(s) alone
    except ssl.SSLError:
        raise CertificateProblem(f"--cert {cert} holds no PEM certificate "
                                 "(a file starting -----BEGIN CERTIFICATE-----)") from None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert), str(key), password=_refuse_passphrase)
    except _EncryptedKey:
        raise CertificateProblem(f"--key {key} is protected by a passphrase, which a server cannot type at boot; "
                                 "make the key without one (openssl req ... -nodes)") from None
    except ssl.SSLError as error:
        if error.reason == "KEY_VALUES_MISMATCH":
            raise CertificateProblem(f"--key {key} does not match --cert {cert}: "
                                     "use the key made together with that certificate") from None
        raise CertificateProblem(f"--key {key} holds no PEM private key (a file starting -----BEGIN PRIVATE KEY-----)") from None
    return context


def _check_readable(flag: str, path: Path) -> None:
    try:
        with path.open("rb"):
            pass
    except FileNotFoundError:
        raise CertificateProblem(f"{flag} {path} does not exist") from None
    except OSError as error:
        raise CertificateProblem(f"{flag} {path} cannot be read ({error.strerror})") from None


class Tracked:
    """One relayed connection: its socket (the TLS one once the handshake is done) and since when it
    has waited without an answer from waitress (accepted, or the last byte waitress sent)."""

    def __init__(self, connection: socket.socket):
        self.socket = connection
        self.idle_since = time.monotonic()

    def cut(self) -> None:
        """Ends it from another thread: its own thread's select and recv then return at once.
        socket.socket's shutdown, not SSLSocket's, which would tear down the TLS state under it."""
        try:
            socket.socket.shutdown(self.socket, socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


class TLSRelay:
    """Accepts TLS connections on listener and relays each, decrypted, to backend (host, port).

    When max_connections are open, the one that has waited longest for an answer (still in its
    handshake, idle, or trickling a request) is cut to make room, as waitress behind it does
    (server/connections.py): otherwise 300 idle connections would lock every new client out."""

    def __init__(self, listener: socket.socket, context: ssl.SSLContext, backend: tuple, max_connections: int):
        self.listener = listener
        self.context = context
        self.backend = backend
        self.max_connections = max_connections
        self.open: set[Tracked] = set()
        self.lock = threading.Lock()
        # A thread per connection: a hard bound, reached only if cut connections were slow to end.
        self.slots = threading.BoundedSemaphore(2 * max_connections)

    def start(self) -> None:
        threading.Thread(target=self.serve_forever, name="tls-accept", daemon=True).start()

    def serve_forever(self) -> None:
        while True:
            self.slots.acquire()
            try:
                connection, _ = self.listener.accept()
            except OSError:
                self.slots.release()
                if self.listener.fileno() == -1:
                    return  # closed: shutting down
                continue
            tracked = self.make_room_for(connection)
            threading.Thread(target=self.handle, args=(tracked,), name="tls-connection", daemon=True).start()

    def make_room_for(self, connection: socket.socket) -> Tracked:
        tracked = Tracked(connection)
        with self.lock:
            if len(self.open) >= self.max_connections:
                victim = min(self.open, key=lambda entry: entry.idle_since)
                self.open.discard(victim)
                victim.cut()
            self.open.add(tracked)
        return tracked

    def handle(self, tracked: Tracked) -> None:
        connection = tracked.socket
        try:
            connection.settimeout(HANDSHAKE_SECONDS)
            first = connection.recv(1, socket.MSG_PEEK)
            if first == bytes([TLS_HANDSHAKE]):
                self.relay_tls(tracked)
            elif first:
                redirect_to_https(connection, self.listener.getsockname()[1])
        except OSError:
            pass  # a client that went away, failed the handshake or stalled: nothing to tell anyone
        finally:
            with self.lock:
                self.open.discard(tracked)
            connection.close()
            self.slots.release()

    def relay_tls(self, tracked: Tracked) -> None:
        with self.context.wrap_socket(tracked.socket, server_side=True) as client:
            tracked.socket = client
            client.settimeout(IDLE_SECONDS)
            try:
                backend = socket.create_connection(self.backend, timeout=IDLE_SECONDS)
            except OSError as error:
                logger.warning("https: the web server behind the TLS relay does not answer (%s)", error)
                return
            with backend:
                relay(client, backend, tracked)


def relay(client: ssl.SSLSocket, backend: socket.socket, tracked: Tracked) -> None:
    """Copies bytes both ways until either side closes or both stay idle for IDLE_SECONDS.

    One thread does both directions: an SSL connection must not be read and written from two
    threads at once."""
    while True:
        # Bytes ssl has already decrypted do not show up as readable on the socket.
        readable = [client] if client.pending() else select.select([client, backend], [], [], IDLE_SECONDS)[0]
        if not readable:
            return
        for source in readable:
            data = source.recv(BUFFER_BYTES)
            if not data:
                return
            if source is backend:
                tracked.idle_since = time.monotonic()
            (backend if source is client else client).sendall(data)


# What may be echoed from a Host header into the redirect: a name or address (the port is ours).
HOST_HEADER = re.compile(r"(?im)^host:[ \t]*([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]+)?[ \t]*\r?$")


def redirect_to_https(connection: socket.socket, port: int) -> None:
    """Someone typed http:// for this https address: send their browser to https:// instead."""
    host = HOST_HEADER.search(connection.recv(8192).decode("latin-1"))
    if host is None:
        send_answer(connection, "400 Bad Request", body=b"This server speaks https only.\n")
    else:
        # 302, not 301: a browser keeps a permanent redirect, and the clinic may go back to http one day.
        send_answer(connection, "302 Found", location=f"https://{host.group(1)}:{port}/")


def send_answer(connection: socket.socket, status: str, body: bytes = b"", location: str = "") -> None:
    headers = [f"HTTP/1.1 {status}", f"Server: {SERVER_HEADER}", "Connection: close", f"Content-Length: {len(body)}"]
    if body:
        headers.append("Content-Type: text/plain; charset=utf-8")
    if location:
        headers.append(f"Location: {location}")
    connection.sendall("\r\n".join(headers).encode("ascii") + b"\r\n\r\n" + body)
