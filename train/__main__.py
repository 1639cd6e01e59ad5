"""python -m train --data DATA --name NAME: fit a model and write models/NAME/."""
import sys

from core.artifacts import TrainedFolder
from core.cli import run_stage
from core.dataset import DatasetError
from train.checkpoint import ResumeError
from train.cluster import ClusterError
from train.config import parse_config
from train.distill import TeacherError
from train.distribute import DistributeError
from train.start import StartError


def main(argv=None) -> int:
    config = parse_config(argv)
    from train.run import train  # only after the command line has been accepted

    expected = (DatasetError, ResumeError, TeacherError, StartError, ClusterError, DistributeError)
    return run_stage(lambda: train(config), expected, done_message)


def done_message(out_dir) -> str:
    folder = TrainedFolder(out_dir)
    if folder.facts_file.exists():
        return f"wrote {out_dir}/ ({folder.model_file.name}, {folder.metrics_file.name}, {folder.facts_file.name}, pictures)"
    return f"wrote {folder.model_file}: this worker's copy of the weights (the chief writes the model and its figures)"


if __name__ == "__main__":
    sys.exit(main())
