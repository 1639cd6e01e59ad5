"""Training on several devices or machines with TensorFlow's own engine (tf.distribute).

- none (the default): one device and nothing of tf.distribute in the way, so a run gives the very
  weights it always gave (the shipped model is reproduced bit for bit).
- mirrored: every local device (each GPU, else the CPU) holds a copy of the network and takes a
  share of every batch; gradients are summed across them after each batch.
- multi-worker: the same over several machines (MultiWorkerMirroredStrategy). Every machine runs
  the same command; TF_CONFIG tells each its place in the cluster (train/cluster.py).

Training is synchronous, so every replica holds the same weights after every batch. Every worker
must also run the same program: reading a BatchNorm statistic (an ON_READ variable) all-reduces it
across the workers, so saving a model or a checkpoint is itself a step all of them take together.
Every worker therefore saves alike and only the folder differs: the chief (worker 0, or the task of
type "chief") into the model folder, every other worker into its own folder inside it, worker-<i>/.
"""
import contextlib
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf
import tf_keras as keras

from train.cluster import Task, task_for

STRATEGIES = ("none", "mirrored", "multi-worker")


class DistributeError(ValueError):
    """A distributed run cannot go on as asked (a batch smaller than the replicas, workers whose checkpoints
    disagree, a worker lost mid-run); the message says what to do."""


@dataclass
class Distribution:
    """How one training run is spread: a tf.distribute strategy (None: TensorFlow's default, untouched) and,
    when multi-worker, this process's task."""
    name: str = "none"
    strategy: object = None
    task: Task | None = None

    @property
    def is_chief(self) -> bool:
        return self.task is None or self.task.is_chief

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync if self.strategy else 1

    def scope(self):
        """Where the model and its optimizer must be built, so that their variables are mirrored."""
        return self.strategy.scope() if self.strategy else contextlib.nullcontext()

    def facts(self) -> dict:
        """What training.json records: how the run was spread (its results do not depend on it, but for
        multi-worker's shares of each batch, fixed by the number of replicas)."""
        return {"strategy": self.name, "replicas": self.replicas, "workers": self.task.tasks if self.task else 1}

    def check_batch(self, batch_size: int) -> None:
        if batch_size < self.replicas:
            raise DistributeError(f"--batch-size {batch_size} cannot be shared by {self.replicas} replicas: "
                                  f"give at least {self.replicas} images per batch")

    def training_input(self, make_batches):
        """What fit trains on. make_batches(replicas, count) -> tf.data.Dataset: with replicas None, the whole
        batches (the default engine); else the shares of each batch of the replicas `replicas` (a range) of
        `count`. Each worker builds its own replicas' shares, so none reads or augments what another trains on:
        a generator-fed dataset cannot be split by file, and splitting finished batches would make every
        worker augment every image."""
        if self.strategy is None:
            return make_batches(None, 1)

        def for_this_worker(context):
            local = context.num_replicas_in_sync // context.num_input_pipelines
            first = context.input_pipeline_id * local
            return make_batches(range(first, first + local), context.num_replicas_in_sync)

        return self.strategy.distribute_datasets_from_function(for_this_worker)

    def validation_input(self, streamed, in_memory):
        """The default engine reads validation from disk a batch at a time (streamed()); a strategy is
        given arrays (in_memory()), which Keras distributes itself (a generator-fed dataset cannot be split)."""
        return streamed() if self.strategy is None else in_memory()

    def everyones(self, value: int) -> list:
        """value as every replica has it, in cluster order, on every worker. A collective step: every worker
        must take it, so callers decide on what it returns (the same everywhere), never before it."""
        if self.strategy is None:
            return [value]

        def summed_slots():
            context = tf.distribute.get_replica_context()
            own_slot = tf.one_hot(context.replica_id_in_sync_group, self.replicas) * float(value)
            return context.all_reduce(tf.distribute.ReduceOp.SUM, own_slot)

        # In a tf.function, as TensorFlow asks of collective steps (eagerly they are slow and say so).
        summed = self.strategy.experimental_local_results(tf.function(self.strategy.run)(summed_slots))[0]
        return [int(round(found)) for found in summed.numpy()]

    def check_checkpoints_agree(self, epochs_done: int | None, model_dir: Path) -> None:
        """Every worker resumes from the same epoch, or none does: a worker ahead or behind would wait forever
        for the others at its first step. A worker killed while it wrote its checkpoint can be an epoch behind
        the others; every worker holds the same weights, so the chief's checkpoint will do for any of them."""
        if self.task is None:
            return
        found = self.everyones(-1 if epochs_done is None else epochs_done)
        if len(set(found)) > 1:
            described = ", ".join("none" if epochs < 0 else f"epoch {epochs}" for epochs in found)
            raise DistributeError(
                f"the workers' checkpoints disagree (in cluster order: {described}): every worker must continue "
                f"from the same epoch. Copy the chief's {model_dir}/checkpoint/ over the other workers' "
                f"{model_dir}/worker-<index>/checkpoint/ (or delete them all to start over), then start every "
                "worker again")

    def callbacks(self) -> list:
        """What fit needs besides: with several replicas, BatchNorm statistics they all validate with."""
        return [SharedBatchNormStatistics()] if self.replicas > 1 else []

    @contextlib.contextmanager
    def explaining_lost_workers(self):
        """A worker that stops mid-run stops the others at their next collective step, with an error from deep
        in TensorFlow's runtime; say instead what happened and what to do."""
        try:
            yield
        except (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.DeadlineExceededError) as error:
            if self.task is None:
                raise
            cause = next((line for line in str(error.message).splitlines() if "aborted" in line.lower()),
                         type(error).__name__)
            raise DistributeError(f"another worker stopped during training ({cause.strip()}); every worker kept its "
                                  "checkpoint of the last finished epoch: start every worker again with the same "
                                  "command and --resume") from error


class SharedBatchNormStatistics(keras.callbacks.Callback):
    """Before each validation, every replica's BatchNorm moving statistics become their mean over the replicas.
    Each replica moves its own from its own share of the batches (ON_READ variables: averaged only when read,
    as saving reads them), so without this each replica would validate with its own statistics and val_loss,
    which picks the best epoch, would not quite be what the saved model gives. Training itself normalises by
    each batch's own statistics, so it is unchanged."""

    def on_train_begin(self, logs=None):
        moving = [weight for weight in self.model.non_trainable_weights
                  if weight.synchronization == tf.VariableSynchronization.ON_READ]

        @tf.function  # reading them is a collective step; TensorFlow runs those in a graph
        def share():
            for variable in moving:
                variable.assign(variable.read_value())

        self.share = share

    def on_test_begin(self, logs=None):
        self.share()


def make_distribution(strategy: str) -> Distribution:
    """The Distribution --strategy asks for. Call it before TensorFlow runs anything: a multi-worker strategy
    configures the runtime's collective operations, which only a fresh runtime accepts."""
    if strategy not in STRATEGIES:
        raise DistributeError(f"unknown --strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    if strategy == "none":
        return Distribution()
    if strategy == "mirrored":
        return Distribution(strategy, tf.distribute.MirroredStrategy())
    task = task_for(strategy)
    return Distribution(strategy, tf.distribute.MultiWorkerMirroredStrategy(), task)
