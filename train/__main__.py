"""python -m train --data DATA --name NAME: fit a model and write models/NAME/."""
import sys

from core.cli import run_stage
from core.dataset import DatasetError
from train.checkpoint import ResumeError
from train.config import parse_config
from train.distill import TeacherError
from train.start import StartError


def main(argv=None) -> int:
    config = parse_config(argv)
    from train.run import train  # only after the command line has been accepted

    return run_stage(lambda: train(config), (DatasetError, ResumeError, TeacherError, StartError),
                     lambda out_dir: f"wrote {out_dir}/ (model.h5, metrics.json, training.json, pictures)")


if __name__ == "__main__":
    sys.exit(main())
