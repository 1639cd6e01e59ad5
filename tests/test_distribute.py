"""--strategy: TF_CONFIG read with clear errors, batches shared out by replica, and the default engine untouched."""
import json

import numpy as np
import pytest

from train.cluster import ClusterError, Task, output_folder, read_task

TWO_WORKERS = {"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 1}}


def tf_config(**changes) -> str:
    return json.dumps({**TWO_WORKERS, **changes})


def test_tf_config_gives_this_workers_place_and_the_chief():
    assert read_task(tf_config()) == Task("worker", 1, 2, is_chief=False)
    assert read_task(tf_config(task={"type": "worker", "index": 0})).is_chief
    with_chief = {"chief": ["host0:1"], "worker": ["host1:1", "host2:1"]}
    assert read_task(tf_config(cluster=with_chief, task={"type": "chief", "index": 0})) == Task("chief", 0, 3, True)
    assert not read_task(tf_config(cluster=with_chief, task={"type": "worker", "index": 0})).is_chief


@pytest.mark.parametrize("value, says", [
    (None, "needs the TF_CONFIG environment variable"),
    ("", "needs the TF_CONFIG environment variable"),
    ("{cluster: 1}", "TF_CONFIG is not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    (json.dumps({"task": {"type": "worker", "index": 0}}), 'no "cluster" with a "worker" list'),
    (tf_config(cluster={"worker": ["host1:12345", "host2"]}), "cluster worker[1] is 'host2': give host:port"),
    (tf_config(cluster={"worker": "host1:12345"}), 'cluster "worker" must be a list of host:port addresses'),
    (tf_config(cluster={"worker": ["h:1"], "ps": ["h:2"]}), 'names ps: multi-worker training runs only "worker"'),
    (json.dumps({"cluster": TWO_WORKERS["cluster"]}), 'no "task" saying which worker this is'),
    (tf_config(task={"type": "chief", "index": 0}), "task type is 'chief', which its cluster does not list"),
    (tf_config(task={"type": "worker", "index": 2}), 'index is 2: the cluster has 2 "worker" addresses, so give 0 to'),
    (tf_config(task={"type": "worker", "index": "1"}), "task index is '1'"),
])
def test_a_missing_or_malformed_tf_config_says_what_is_wrong(value, says):
    with pytest.raises(ClusterError) as error:
        read_task(value)
    assert says in str(error.value)


def test_the_command_line_reports_a_missing_tf_config_as_one_line(tmp_path, monkeypatch, capsys):
    from train.__main__ import main

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert main(["--data", str(tmp_path), "--out", str(tmp_path), "--strategy", "multi-worker"]) == 2
    message = capsys.readouterr().err
    assert message.startswith("error: --strategy multi-worker needs the TF_CONFIG environment variable")
    assert '"task": {"type": "worker", "index": 0}' in message


def test_only_the_chief_saves_into_the_model_folder(tmp_path):
    assert output_folder(tmp_path, None) == tmp_path
    assert output_folder(tmp_path, Task("worker", 0, 2, is_chief=True)) == tmp_path
    assert output_folder(tmp_path, Task("worker", 1, 2, is_chief=False)) == tmp_path / "worker-1"


def test_workers_whose_checkpoints_disagree_all_stop_and_say_how_to_mend_it(tmp_path, monkeypatch):
    from train.distribute import DistributeError, Distribution

    worker = Distribution("multi-worker", None, Task("worker", 1, 2, is_chief=False))
    monkeypatch.setattr(Distribution, "everyones", lambda self, value: [3, value])
    worker.check_checkpoints_agree(3, tmp_path)
    with pytest.raises(DistributeError, match="disagree .in cluster order: epoch 3, epoch 2.") as error:
        worker.check_checkpoints_agree(2, tmp_path)
    assert f"{tmp_path}/checkpoint/" in str(error.value) and "--resume" not in str(error.value)
    with pytest.raises(DistributeError, match="epoch 3, none"):
        worker.check_checkpoints_agree(None, tmp_path)


def test_multi_worker_training_keeps_to_one_network():
    from train.config import parse_config

    with pytest.raises(SystemExit):
        parse_config(["--strategy", "multi-worker", "--members", "3"])


def test_the_replicas_shares_are_the_batch_and_one_replica_gets_the_whole_batch():
    from train.augment import batch_shares, replica_batches, training_batches
    from train.config import TrainConfig

    batch = (np.arange(10), np.arange(10) % 3, np.array([42, 7]))
    shares = list(batch_shares(iter([batch]), range(3), 3))
    assert [list(share[0]) for share in shares] == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert [int(share[3]) for share in shares] == [0, 1, 2] and all(list(s[2]) == [42, 7] for s in shares)
    assert [list(s[0]) for s in batch_shares(iter([batch]), range(1, 2), 2)] == [[1, 3, 5, 7, 9]]

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (32, 11, 11, 3)).astype(np.uint8), rng.integers(0, 3, 32)
    config = TrainConfig(batch_size=16, seed=42, augment="stain", epochs=1, input_size=8)
    whole = training_batches(images, labels, np.ones(32), config, 0, 3, context=1.4)
    alone = replica_batches(images, labels, np.ones(32), config, 0, 3, 1.4, range(1), 1)
    for (inputs, targets), (share_inputs, share_targets) in zip(whole, alone):
        np.testing.assert_array_equal(inputs.numpy(), share_inputs.numpy())
        np.testing.assert_array_equal(targets.numpy(), share_targets.numpy())
    first, second = (next(iter(replica_batches(images, labels, np.ones(32), config, 0, 3, 1.4, range(k, k + 1), 2)))
                     for k in (0, 1))
    assert len(first[0]) == len(second[0]) == 8  # each replica augments its own half


def model_weights(path) -> list:
    import tf_keras as keras

    return keras.models.load_model(path, compile=False).get_weights()


@pytest.mark.training
def test_strategy_none_and_mirrored_on_one_device_train_the_very_weights_of_no_flag(synthetic_data, tmp_path):
    """The default engine is untouched: --strategy none is today's run, and mirrored on one device gives the
    same batches to the same single replica."""
    import tensorflow as tf

    from train.config import parse_config
    from train.run import train

    def run(name, *flags):
        options = ["--data", str(synthetic_data), "--out", str(tmp_path), "--name", name, "--epochs", "2",
                   "--batch-size", "16", "--input-size", "32", "--unlabelled", "none", *flags]
        folder = train(parse_config(options))
        return model_weights(folder / "model.h5"), json.loads((folder / "training.json").read_text())

    plain, plain_facts = run("plain")
    runs = {"none": run("none", "--strategy", "none")}
    if len(tf.config.list_logical_devices("GPU")) <= 1:
        runs["mirrored"] = run("mirrored", "--strategy", "mirrored")
    assert plain_facts["distribution"] == {"strategy": "none", "replicas": 1, "workers": 1}
    for name, (weights, facts) in runs.items():
        assert facts["history"] == plain_facts["history"], name
        assert len(weights) == len(plain) and all(np.array_equal(w, p) for w, p in zip(weights, plain)), name
        assert facts["config"]["strategy"] == name and "strategy" not in facts["recipe"]
