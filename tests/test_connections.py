"""Connections that hold a slot without finishing a request never lock new clients out (server/connections.py).

Bounded: 300 connections (the server's whole limit), on 127.0.0.1, each new client given 5 s."""
import http.client
import shutil
import socket
import threading
from contextlib import ExitStack, contextmanager

import pytest

from headless.site_server import RunningServer
from server import create_app
from server.production import CONNECTION_LIMIT, create_waitress
from tests.test_server import make_site, self_signed

NEW_CLIENT_SECONDS = 5
BIG_FILE_BYTES = 8 * 1024 * 1024
PARTIAL_HEAD = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture(scope="module")
def web_root(tmp_path_factory):
    web = make_site(tmp_path_factory.mktemp("site"))
    (web / "big.bin").write_bytes(bytes(range(256)) * (BIG_FILE_BYTES // 256))
    return web


@pytest.fixture(scope="module")
def server(web_root):
    with RunningServer(web_root) as running:
        yield running


def held_connections(stack: ExitStack, port: int, count: int, first_bytes: bytes = b"") -> list[socket.socket]:
    held = []
    for _ in range(count):
        connection = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        if first_bytes:
            connection.sendall(first_bytes)
        held.append(connection)
    return held


def new_client_status(port: int, tls=None) -> int:
    """A fresh client's GET /healthz; raises (socket.timeout) if it is not answered within the bound."""
    connection = (http.client.HTTPConnection("127.0.0.1", port, timeout=NEW_CLIENT_SECONDS) if tls is None else
                  http.client.HTTPSConnection("127.0.0.1", port, timeout=NEW_CLIENT_SECONDS, context=tls))
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def trickle(connections: list[socket.socket]) -> int:
    """One more byte of the request head on each; returns how many the server had closed."""
    closed = 0
    for connection in connections:
        try:
            connection.sendall(b"x")
        except OSError:
            closed += 1
    return closed


def test_new_clients_are_served_while_the_limit_is_held_by_idle_connections(server):
    with ExitStack() as stack:
        held_connections(stack, server.port, CONNECTION_LIMIT)
        assert [new_client_status(server.port) for _ in range(5)] == [200] * 5
    assert "warning" not in server.log_text().lower()  # making room is normal work, not a problem


def test_new_clients_are_served_while_every_connection_trickles_its_request_head(server):
    with ExitStack() as stack:
        held = held_connections(stack, server.port, CONNECTION_LIMIT, PARTIAL_HEAD)
        for _ in range(3):
            trickle(held)
            assert new_client_status(server.port) == 200


def test_a_download_in_progress_is_never_closed_to_make_room(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as download, ExitStack() as stack:
        download.sendall(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        first = download.recv(65536)  # the answer has begun, and waits for this client to read on
        held_connections(stack, server.port, CONNECTION_LIMIT)
        assert new_client_status(server.port) == 200
        answer = first
        while chunk := download.recv(1 << 20):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == bytes(range(256)) * (BIG_FILE_BYTES // 256)


@pytest.fixture(scope="module")
def https_server(web_root, tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    with RunningServer(web_root, tls=self_signed(tmp_path_factory.mktemp("tls"), "server")) as running:
        yield running


def test_https_clients_are_served_while_the_limit_is_held_by_stalled_handshakes_and_idle_connections(https_server):
    with ExitStack() as stack:
        held_connections(stack, https_server.port, CONNECTION_LIMIT // 2)  # never start their handshake
        for _ in range(CONNECTION_LIMIT // 2):  # handshake done, then idle
            raw = socket.create_connection(("127.0.0.1", https_server.port), timeout=10)
            stack.enter_context(https_server.tls_context.wrap_socket(raw, server_hostname="127.0.0.1"))
        assert [new_client_status(https_server.port, https_server.tls_context) for _ in range(5)] == [200] * 5


@contextmanager
def in_process_server(web_root, head_seconds: float):
    """The production server in a thread of this process, with a short request-head deadline."""
    server = create_waitress(create_app({"WEB_ROOT": web_root}), "127.0.0.1", 0, cleanup_interval=1)
    server.head_seconds = head_seconds
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        # Closed from the server's own thread, which then leaves its loop.
        server.trigger.pull_trigger(lambda: [channel.close() for channel in list(server._map.values())])
        thread.join(10)
        server.task_dispatcher.shutdown()


def test_a_request_head_that_never_completes_is_closed_after_its_deadline(web_root):
    with in_process_server(web_root, head_seconds=1) as server, \
            socket.create_connection(("127.0.0.1", server.effective_port), timeout=10) as slow:
        slow.sendall(PARTIAL_HEAD)
        slow.settimeout(1.5)
        closed = False
        for _ in range(10):  # a byte every 1.5 s: under stock waitress, that kept it open for good
            try:
                slow.sendall(b"x")
                closed = slow.recv(1) == b""
            except socket.timeout:
                continue
            except OSError:
                closed = True
            if closed:
                break
        assert closed
        assert new_client_status(server.effective_port) == 200
