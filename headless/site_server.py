"""`python -m server` on a free loopback port, as a child process, for as long as it is needed.

The one launcher of the real server (the production one, waitress, as `make serve` runs it): the
browser tests, the server tests and the benchmark use it.
"""
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    """tls=(certificate, key) serves https; self.tls_context then trusts that certificate alone."""

    def __init__(self, web_root: Path, extra_args=(), tls=None):
        self.port = free_port()
        self.url = f"{'http' if tls is None else 'https'}://127.0.0.1:{self.port}/"
        self.tls_context = None if tls is None else ssl.create_default_context(cafile=str(tls[0]))
        tls_args = () if tls is None else ("--cert", str(tls[0]), "--key", str(tls[1]))
        # A file, not a pipe: a pipe nobody reads fills up and then blocks the server, whatever it logs.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "--port", str(self.port), "--web-root", str(web_root), *tls_args, *extra_args],
            cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.wait_until_up()
        except RuntimeError:
            self.stop()
            raise

    def wait_until_up(self, seconds=30):
        """Until /healthz answers at all: 503 (no model) is an answer too."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_text()}")
            try:
                with urllib.request.urlopen(self.url + "healthz", timeout=1, context=self.tls_context):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not answer /healthz in time")

    def log_text(self) -> str:
        """What the server has printed so far (its address, its model, any warning or error)."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        """Stop the server (a test may stop it early, to go offline; stopping twice is harmless)."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
