"""What one training run is, resolved once before anything is fitted: its settings, where it writes,
the checkpoint it continues and the model it starts from. train/fit.py then fits and records the plan."""
import sys
from dataclasses import dataclass
from pathlib import Path

import tf_keras as keras

from train import checkpoint
from train.cluster import output_folder
from train.config import TrainConfig
from train.distribute import Distribution, make_distribution
from train.start import StartingModel, load_start


@dataclass(frozen=True)
class RunPlan:
    config: TrainConfig            # as the run uses it: a resumed run's saved settings, a start's preprocessing
    distribution: Distribution
    model_dir: Path                # OUT/NAME/
    out_dir: Path                  # what this process writes: the model folder, or a worker's own folder in it
    state: dict | None             # the checkpoint a resumed run continues
    start: StartingModel | None    # the model fine-tuning starts from


def plan_run(asked: TrainConfig) -> RunPlan:
    """The run `asked` names, with the saved settings of the run it resumes and the preprocessing of the
    model it starts from; the random seed is set, so what follows draws the same numbers on a resume."""
    distribution = make_distribution(asked.strategy)  # first: it configures a fresh TensorFlow runtime
    model_dir = Path(asked.out) / asked.name
    out_dir = output_folder(model_dir, distribution.task)
    distribution.check_checkpoints_agree(checkpoint.epochs_done(out_dir), model_dir)
    config, state = resumed_run(asked, out_dir) if asked.resume else (asked, checkpoint.refuse_to_overwrite(out_dir))
    keras.utils.set_random_seed(config.seed + (state or {}).get("epochs_done", 0))
    with distribution.scope():  # a start's weights become the run's variables
        start = load_start(Path(config.init_from)) if config.init_from else None
    if start is None:
        return RunPlan(config, distribution, model_dir, out_dir, state, None)
    tuned = config.starting_from(start)
    print(f"fine-tuning {start.name} ({tuned.trainable} layers learn), with its preprocessing and classes",
          file=sys.stderr, flush=True)
    return RunPlan(tuned, distribution, model_dir, out_dir, state, start)


def resumed_run(config: TrainConfig, out_dir: Path) -> tuple:
    """With --resume, the saved settings win: a continued run must be the run it continues.
    Returns (the saved config, the saved state)."""
    state = checkpoint.read_state(out_dir)
    if state is None:
        raise checkpoint.ResumeError(f"nothing to resume: no checkpoint in "
                                     f"{checkpoint.checkpoint_dir(out_dir)}; train without --resume")
    saved = TrainConfig.from_saved(state["options"], resume=True)
    if saved.strategy != config.strategy:
        # Multi-worker runs share each batch out by replica; another engine would continue another run.
        raise checkpoint.ResumeError(f"{saved.name} started with --strategy {saved.strategy}: resume it with "
                                     f"--strategy {saved.strategy} --resume")
    print(f"resuming {saved.name} after epoch {state['epochs_done']} of {saved.epochs}", file=sys.stderr)
    return saved, state
