"""Two workers on loopback train one model together (--strategy multi-worker): one is killed mid-run,
both are started again with --resume, and the chief alone writes the model, with the same weights as
its peer's and the validation figures its saved model really gives."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from core.tf_env import subprocess_environment
from tests.conftest import REPO

pytestmark = pytest.mark.integration

EPOCHS = 6
NAME = "together"
WAIT = 240  # seconds for a whole run of two workers on a loaded machine; about 20 on an idle one


def free_ports(count: int) -> list:
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("localhost", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


def start_workers(data, out, logs, *extra) -> list:
    """Two `python -m train --strategy multi-worker` processes, each told its place by TF_CONFIG; each writes
    its log into `logs`, a folder of this run's own."""
    addresses = [f"localhost:{port}" for port in free_ports(2)]
    workers = []
    for index in range(2):
        env = {**subprocess_environment(), "CUDA_VISIBLE_DEVICES": "",
               "TF_CONFIG": json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})}
        command = [sys.executable, "-m", "train", "--strategy", "multi-worker", "--data", str(data), "--out", str(out),
                   "--name", NAME, "--epochs", str(EPOCHS), "--batch-size", "16", "--input-size", "32", *extra]
        with open(logs / f"worker-{index}.log", "w") as log:
            workers.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))
    return workers


def finish(workers, logs) -> list:
    """[(exit code, log)] of each worker; a worker still running after WAIT seconds is killed and fails the test."""
    deadline = time.monotonic() + WAIT
    results = []
    for index, worker in enumerate(workers):
        try:
            code = worker.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for each in workers:
                each.kill()
                each.wait()
            pytest.fail(f"worker {index} still running after {WAIT} s:\n{log_of(logs, index)[-3000:]}")
        results.append((code, log_of(logs, index)))
    return results


def log_of(logs, index: int) -> str:
    return (logs / f"worker-{index}.log").read_text()


def epochs_saved(folder) -> int:
    try:
        return json.loads((folder / "checkpoint" / "state.json").read_text())["epochs_done"]
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def kill_worker_between_epochs(workers, model_dir) -> int:
    """SIGKILL worker 1 once both workers saved the same epoch (at least the first). It is frozen first and
    killed only if neither is half-way through saving, so that both checkpoints hold the same epoch."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and all(worker.poll() is None for worker in workers):
        if epochs_saved(model_dir) >= 1:
            os.kill(workers[1].pid, signal.SIGSTOP)
            time.sleep(0.3)  # the chief finishes whatever it was writing, then waits for its frozen peer
            chief, other = epochs_saved(model_dir), epochs_saved(model_dir / "worker-1")
            if chief == other < EPOCHS:
                os.kill(workers[1].pid, signal.SIGKILL)
                return chief
            os.kill(workers[1].pid, signal.SIGCONT)
        time.sleep(0.05)
    pytest.fail("the workers ended before one of them could be killed mid-run")


@pytest.fixture(scope="module")
def cluster_run(synthetic_data, tmp_path_factory):
    out, first_logs, second_logs = (tmp_path_factory.mktemp(name) for name in ("cluster", "first", "resumed"))
    first = start_workers(synthetic_data, out, first_logs)
    killed_after = kill_worker_between_epochs(first, out / NAME)
    stopped = finish(first, first_logs)
    resumed = finish(start_workers(synthetic_data, out, second_logs, "--resume"), second_logs)
    return out / NAME, killed_after, stopped, resumed


def test_a_killed_worker_stops_the_chief_with_a_clear_error(cluster_run):
    _, _, ((chief_code, chief_log), (worker_code, _)), _ = cluster_run
    assert worker_code == -signal.SIGKILL
    assert chief_code == 2, chief_log[-3000:]
    assert "error: another worker stopped during training" in chief_log and "--resume" in chief_log
    assert "Traceback" not in chief_log


def test_restarted_workers_resume_from_their_own_checkpoints(cluster_run):
    model_dir, killed_after, _, resumed = cluster_run
    for code, log in resumed:
        assert code == 0, log[-3000:]
        assert f"resuming {NAME} after epoch {killed_after} of {EPOCHS}" in log
        assert f"epoch {EPOCHS}/{EPOCHS} " in log and f"epoch {killed_after}/{EPOCHS} " not in log
    info = json.loads((model_dir / "training.json").read_text())
    assert info["resumed"] is True and info["epochs_run"] == EPOCHS
    assert info["distribution"] == {"strategy": "multi-worker", "replicas": 2, "workers": 2}
    assert info["config"]["strategy"] == "multi-worker" and "strategy" not in info["recipe"]
    assert not (model_dir / "checkpoint").exists() and not (model_dir / "worker-1" / "checkpoint").exists()


def test_only_the_chief_writes_the_model_and_its_figures(cluster_run):
    model_dir, _, _, resumed = cluster_run
    for name in ("model.h5", "training.json", "metrics.json", "learning_curves.png",
                 "confusion_matrix_lab-a_validation.png"):
        assert (model_dir / name).stat().st_size > 0, name
    assert sorted(path.name for path in (model_dir / "worker-1").iterdir()) == ["model.h5"]
    assert "this worker's copy of the weights" in resumed[1][1]


def test_every_worker_ends_with_the_same_weights(cluster_run):
    import tf_keras as keras

    model_dir = cluster_run[0]
    chief = keras.models.load_model(model_dir / "model.h5", compile=False).get_weights()
    other = keras.models.load_model(model_dir / "worker-1" / "model.h5", compile=False).get_weights()
    assert len(chief) == len(other) and all(np.array_equal(a, b) for a, b in zip(chief, other))


def test_the_saved_model_gives_the_validation_figures_the_chief_reported(cluster_run):
    """The distributed validation of the best epoch, recomputed from model.h5 on one machine."""
    import tf_keras as keras

    from core.paths import CACHE
    from train.config import TrainConfig
    from train.data import prepare_data

    model_dir = cluster_run[0]
    info = json.loads((model_dir / "training.json").read_text())
    images, labels, weights = prepare_data(TrainConfig.from_saved(info["config"]), CACHE).validation_set()
    probabilities = keras.models.load_model(model_dir / "model.h5", compile=False).predict(images, verbose=0)
    best = info["best_epoch"] - 1
    accuracy = np.sum(weights * (probabilities.argmax(axis=1) == labels)) / np.sum(weights)
    assert accuracy == pytest.approx(info["history"]["val_accuracy"][best], abs=1e-6)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=info["recipe"]["label_smoothing"], reduction="none")
    losses = loss(np.eye(len(info["classes"]))[labels], probabilities).numpy()
    # Exact but for float32 sums: before each validation the replicas share their BatchNorm statistics.
    assert np.sum(weights * losses) / len(labels) == pytest.approx(info["history"]["val_loss"][best], rel=1e-5)
