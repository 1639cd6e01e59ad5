"""Training survives kill -9: --resume continues from the last finished epoch."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO

EPOCHS = 30


def train_command(data, out, *extra):
    return [sys.executable, "-m", "train", "--data", str(data), "--out", str(out), "--name", "resumable",
            "--epochs", str(EPOCHS), "--batch-size", "16", "--input-size", "32", "--unlabelled", "none", *extra]


def run_train(data, out, *extra):
    return subprocess.run(train_command(data, out, *extra), cwd=REPO, capture_output=True, text=True, timeout=600)


def kill_after_epochs(data, out, epochs: int) -> dict:
    """Start training, SIGKILL it once `epochs` epochs are on disk, return the state it left."""
    process = subprocess.Popen(train_command(data, out), cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    state_file = out / "resumable" / "checkpoint" / "state.json"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if state_file.exists() and json.loads(state_file.read_text())["epochs_done"] >= epochs:
                break
            time.sleep(0.02)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    return json.loads(state_file.read_text())


@pytest.fixture(scope="module")
def interrupted(synthetic_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("interrupted")
    state = kill_after_epochs(synthetic_data, out, 3)
    return out, state


def test_a_killed_run_leaves_its_checkpoint_and_no_model(interrupted):
    out, state = interrupted
    assert 3 <= state["epochs_done"] < EPOCHS
    assert (out / "resumable" / "checkpoint" / "best.h5").exists()
    assert not (out / "resumable" / "model.h5").exists()


def test_a_fresh_run_refuses_to_overwrite_an_unfinished_one(interrupted, synthetic_data):
    out, _ = interrupted
    result = run_train(synthetic_data, out)
    assert result.returncode == 2
    assert "unfinished training run" in result.stderr and "--resume" in result.stderr
    assert "Traceback" not in result.stderr


def test_resume_finishes_the_run_from_its_last_epoch(interrupted, synthetic_data):
    out, state = interrupted
    result = run_train(synthetic_data, out, "--resume")
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"resuming resumable after epoch {state['epochs_done']} of {EPOCHS}" in result.stderr
    assert f"epoch {state['epochs_done']}/{EPOCHS} " not in result.stderr
    assert f"epoch {state['epochs_done'] + 1}/{EPOCHS} " in result.stderr
    info = json.loads((out / "resumable" / "training.json").read_text())
    assert info["resumed"] is True and info["epochs_run"] == EPOCHS
    # The epochs before the kill are kept as they were, not re-run.
    assert info["history"]["loss"][:state["epochs_done"]] == state["history"]["loss"]
    metrics = json.loads((out / "resumable" / "metrics.json").read_text())
    assert metrics["sources"]["lab-a"]["TEST"]["accuracy"] >= 0.9
    assert not (out / "resumable" / "checkpoint").exists()


def test_resume_after_the_run_finished_keeps_the_model(interrupted, synthetic_data):
    out, _ = interrupted
    model = out / "resumable" / "model.h5"
    if not model.exists():  # the test that resumes it has not run (run alone, or in another order)
        assert run_train(synthetic_data, out, "--resume").returncode == 0
    before = model.stat().st_mtime_ns
    result = run_train(synthetic_data, out, "--resume")
    assert result.returncode == 0 and "finished training earlier: kept as it is" in result.stderr
    assert model.stat().st_mtime_ns == before


@pytest.mark.integration
def test_resume_with_nothing_to_resume_says_so(synthetic_data, tmp_path):
    result = run_train(synthetic_data, tmp_path, "--resume")
    assert result.returncode == 2
    assert "nothing to resume" in result.stderr and "Traceback" not in result.stderr
