"""`python -m server` on a free loopback port, as a child process, for as long as it is needed."""
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    def __init__(self, web_root: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # A file, not a pipe: the server logs every request to stderr, and a pipe nobody reads fills
        # up after a few hundred requests and then blocks the server.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "--port", str(self.port), "--web-root", str(web_root)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            self.wait_until_up()
        except RuntimeError:
            self.stop()
            raise

    def wait_until_up(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"server exited: {self.log.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(self.url + "healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not answer /healthz in time")

    def stop(self):
        """Stop the server (a test may stop it early, to go offline; stopping twice is harmless)."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
