"""What the figures were measured on: the machine, how busy it was, and the software versions."""
import datetime
import os
import platform
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def ram_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system that reports it
        return None


def load_average() -> float | None:
    # Other work on the machine (someone training, say) slows every timing: say how busy it was.
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def machine_facts() -> dict:
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "cpu": cpu_model(), "cores": os.cpu_count(), "ram_bytes": ram_bytes(),
            "system": f"{platform.system()} {platform.release()}", "load_average_1min_at_start": load_average()}


def tool_version(command: list) -> str | None:
    if not shutil.which(command[0]):
        return None
    done = subprocess.run(command, capture_output=True, text=True)
    return done.stdout.strip() or None


def python_versions() -> dict:
    return {"python": platform.python_version(), "tensorflow": version("tensorflow"), "tf_keras": version("tf_keras"),
            "tensorflowjs": version("tensorflowjs"), "selenium": version("selenium"),
            "node": tool_version(["node", "--version"])}
