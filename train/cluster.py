"""Where this process stands in a multi-worker training cluster: TF_CONFIG read with errors that
say what is wrong, and where each worker saves.

TF_CONFIG is TensorFlow's standard way to describe a cluster: every machine gets the same "cluster"
(the host:port of every worker) and its own "task" (its type and index in that list). No TensorFlow
is needed to read it, so a mistake is reported before TensorFlow starts.
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path

TF_CONFIG_EXAMPLE = '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}'
# The task types MultiWorkerMirroredStrategy trains with; parameter servers and evaluators belong to other engines.
TRAINING_TASKS = ("chief", "worker")


class ClusterError(ValueError):
    """TF_CONFIG is missing or malformed; the message names what is wrong."""


@dataclass(frozen=True)
class Task:
    """This process's place in a multi-worker cluster, as TF_CONFIG gives it."""
    kind: str          # "worker" or "chief"
    index: int
    tasks: int         # how many train in all, the chief included
    is_chief: bool     # the chief writes the model; TensorFlow's rule: the "chief" task, else worker 0

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.index}"


def read_task(tf_config: str | None) -> Task:
    """Parse TF_CONFIG, naming what is missing or wrong."""
    if not tf_config:
        raise ClusterError("--strategy multi-worker needs the TF_CONFIG environment variable to say where every "
                           f"worker is and which one this is, e.g. TF_CONFIG='{TF_CONFIG_EXAMPLE}' "
                           "(README: Training on several machines)")
    try:
        spec = json.loads(tf_config)
    except json.JSONDecodeError as error:
        raise ClusterError(f"TF_CONFIG is not valid JSON ({error}): {tf_config!r}; "
                           f"expected e.g. {TF_CONFIG_EXAMPLE}") from error
    if not isinstance(spec, dict):
        raise ClusterError(f"TF_CONFIG must be a JSON object like {TF_CONFIG_EXAMPLE}, not {tf_config!r}")
    cluster = cluster_of(spec)
    return task_of(spec, cluster)


def cluster_of(spec: dict) -> dict:
    cluster = spec.get("cluster")
    if not isinstance(cluster, dict) or not cluster.get("worker") and not cluster.get("chief"):
        raise ClusterError('TF_CONFIG has no "cluster" with a "worker" list of host:port addresses, '
                           f"e.g. {TF_CONFIG_EXAMPLE}")
    others = sorted(set(cluster) - set(TRAINING_TASKS))
    if others:
        raise ClusterError(f"TF_CONFIG's cluster names {', '.join(others)}: multi-worker training runs only "
                           '"worker" tasks (and at most one "chief")')
    for kind, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            raise ClusterError(f'TF_CONFIG\'s cluster "{kind}" must be a list of host:port addresses, '
                               f"not {addresses!r}")
        for number, address in enumerate(addresses):
            host, _, port = str(address).rpartition(":")
            if not isinstance(address, str) or not host or not port.isdigit():
                raise ClusterError(f"TF_CONFIG's cluster {kind}[{number}] is {address!r}: give host:port, "
                                   "e.g. host1:12345")
    if len(cluster.get("chief", [])) > 1:
        raise ClusterError(f"TF_CONFIG's cluster has {len(cluster['chief'])} chiefs; there can be one")
    return cluster


def task_of(spec: dict, cluster: dict) -> Task:
    task = spec.get("task")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ClusterError('TF_CONFIG has no "task" saying which worker this is, e.g. '
                           '"task": {"type": "worker", "index": 0} (0 on the first machine, 1 on the second, ...)')
    kind, index = task["type"], task["index"]
    if kind not in cluster:
        raise ClusterError(f'TF_CONFIG\'s task type is {kind!r}, which its cluster does not list '
                           f"(it lists {', '.join(sorted(cluster))})")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(cluster[kind]):
        count = len(cluster[kind])
        raise ClusterError(f"TF_CONFIG's task index is {index!r}: the cluster has {count} \"{kind}\" "
                           f"address{'es' if count > 1 else ''}, so give 0 to {count - 1}")
    is_chief = kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)
    return Task(kind, index, sum(len(addresses) for addresses in cluster.values()), is_chief)


def task_for(strategy: str) -> Task | None:
    """This process's task when training multi-worker (from TF_CONFIG), else None."""
    return read_task(os.environ.get("TF_CONFIG")) if strategy == "multi-worker" else None


def output_folder(model_dir: Path, task: Task | None) -> Path:
    """Where this process saves: the model folder, or (a worker other than the chief) its own folder inside it,
    named by its place in the cluster, so that a restarted worker finds its checkpoint there again."""
    return Path(model_dir) if task is None or task.is_chief else Path(model_dir) / task.name
