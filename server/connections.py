"""waitress, kept from being locked out by connections that hold a slot and never finish a request.

Stock waitress stops accepting once `connection_limit` connections are open, and closes one only after
`channel_timeout` seconds without a byte: 300 idle connections shut everyone out for two minutes,
and one byte every 30 s on each keeps them out for good (tried on a242a9d: README, Reliability).

Here a full server does what nginx does with its keep-alive connections: it makes room by closing
the connection that has waited longest for a request (an idle keep-alive one, or one still
trickling its request head), never one whose request is being answered. A browser whose idle
connection is closed just opens another. And a request head must arrive whole within HEAD_SECONDS,
however slowly its bytes come.

No cap per client address: every https client reaches waitress from the TLS relay's 127.0.0.1, and a
clinic's PCs may share one address behind a router; a cap per address would lock them out together.
"""
from __future__ import annotations

import time

from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask

from server.app import SECURITY_HEADERS

# A browser sends a whole request head in one packet; 20 s is generous on any clinic network.
HEAD_SECONDS = 20


class PlainErrorTask(ErrorTask):
    """waitress's own answers (400, 413, 431, ...) with the app's headers and a body that echoes nothing.

    Stock waitress writes its parser's message, which quotes the request (the method of a malformed
    request line, for one), and none of the security headers."""

    extra_headers = (*SECURITY_HEADERS.items(), ("Cache-Control", "no-cache"))

    def execute(self):
        error = self.request.error
        self.status = f"{error.code} {error.reason}"
        body = f"{self.status}\n".encode("ascii")
        self.response_headers.extend([("Content-Type", "text/plain; charset=utf-8"), *self.extra_headers])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class GuardedChannel(HTTPChannel):
    """One connection, remembering since when it has been waiting for a whole request."""

    error_task_class = PlainErrorTask

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.idle_since = self.creation_time
        self.head_started = None  # when the bytes of a request head still incomplete began to arrive

    def received(self, data):
        if self.request is None and data:
            self.head_started = time.time()
        result = super().received(data)
        if self.request is None:
            self.head_started = None
        return result

    def service(self):
        super().service()
        self.idle_since = time.time()  # answered: from now on it waits for the next request

    def answering(self) -> bool:
        return bool(self.requests or self.total_outbufs_len or self.will_close or self.close_when_flushed)

    def waiting_since(self) -> float:
        return self.head_started if self.head_started is not None else self.idle_since


class GuardedServer(TcpWSGIServer):
    channel_class = GuardedChannel
    head_seconds = HEAD_SECONDS

    def longest_waiting(self) -> GuardedChannel | None:
        waiting = [channel for channel in self.active_channels.values() if not channel.answering()]
        return min(waiting, key=GuardedChannel.waiting_since, default=None)

    def full(self) -> bool:
        return len(self.active_channels) >= self.adj.connection_limit

    def readable(self):
        """waitress's own, but for the limit: a full server still accepts while it can make room (and
        does not log that it stopped accepting, which it did not)."""
        now = time.time()
        if now >= self.next_channel_cleanup:
            self.next_channel_cleanup = now + self.adj.cleanup_interval
            self.maintenance(now)
        # Only when every open connection is being answered does a new one wait for a free slot.
        return self.accepting and (not self.full() or self.longest_waiting() is not None)

    def handle_accept(self):
        if self.full():
            victim = self.longest_waiting()
            if victim is None:
                return
            victim.handle_close()  # safe here: no worker thread holds a connection that is not answering
        super().handle_accept()

    def maintenance(self, now):
        super().maintenance(now)
        for channel in list(self.active_channels.values()):
            if channel.head_started is not None and now - channel.head_started > self.head_seconds:
                channel.will_close = True
