"""Node.js, the one way Python runs JavaScript: the vendored TensorFlow.js for convert's check, and
the page's own modules for the tests that compare them with Python."""
import subprocess
from pathlib import Path


class NodeError(RuntimeError):
    """A Node script failed; the message is what it wrote to stderr."""


def run_node(script: Path, *args, timeout: float = 600) -> str:
    """stdout of `node script args...`; NodeError with its stderr if it fails."""
    done = subprocess.run(["node", str(script), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise NodeError(done.stderr.strip())
    return done.stdout
