"""python -m train --data DATA --name NAME: fit a model and write models/NAME/."""
import argparse
import sys
from pathlib import Path

from train.checkpoint import ResumeError
from train.cli import run_stage
from train.dataset import DatasetError
from train.distill import TeacherError
from train.model import ARCHITECTURES, DEFAULT_LEARNING_RATES, NORMALISATIONS


def default_data() -> str:
    shared = Path("../shared/data/blood-cells")
    return str(shared) if shared.is_dir() else "data/blood-cells"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m train", description="Train a white-blood-cell classifier.")
    parser.add_argument("--data", default=default_data(), help="dataset folder with TRAIN/<CLASS>/ (and TEST/, TEST_SIMPLE/)")
    parser.add_argument("--name", default="leukolens-cnn", help="model name; output goes to OUT/NAME/")
    parser.add_argument("--out", default="models", help="folder for trained models")
    parser.add_argument("--arch", default="compact", choices=sorted(ARCHITECTURES))
    parser.add_argument("--epochs", type=int, default=40, help="most epochs; early stopping usually ends sooner")
    parser.add_argument("--patience", type=int, default=8, help="epochs without validation improvement before stopping")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float,
                        help="peak learning rate (default: 0.001; 0.0003 for --arch tutorial)")
    parser.add_argument("--input-size", type=int, default=80, help="side of the square model input, in pixels")
    parser.add_argument("--crop", default="cell_centred", choices=["cell_centred", "full_frame"],
                        help="classify a square crop centred on the located white cell, or the whole frame")
    parser.add_argument("--val-fraction", type=float, default=0.15, help="share of source smears held out for validation")
    parser.add_argument("--seed", type=int, default=42, help="seed for weights, batch order and augmentation")
    parser.add_argument("--split-seed", type=int, default=42,
                        help="seed for choosing the validation smears (the same for every member of an ensemble)")
    parser.add_argument("--members", type=int, default=1,
                        help="train this many models (seeds SEED, SEED+1, ...) and ship their average as one model")
    parser.add_argument("--augment", default="stain", choices=["basic", "stain"],
                        help="training-time colour changes: mild, or as strong as stains differ between smears")
    parser.add_argument("--normalise", default="none", choices=NORMALISATIONS,
                        help="per_image: standardise each colour channel over the crop inside the network, so "
                             "stain strength and colour cast between smears matter less")
    parser.add_argument("--mixup", type=float, default=0.0, metavar="ALPHA",
                        help="blend training images and their labels pairwise by a Beta(ALPHA, ALPHA) share; 0 is off")
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW's decoupled weight decay")
    parser.add_argument("--schedule", default="cosine", choices=["cosine", "plateau"],
                        help="learning rate: warm-up then cosine decay over all epochs, or halve on plateaus "
                             "with early stopping")
    parser.add_argument("--teacher", metavar="FOLDER",
                        help="a trained model folder (e.g. models/leukolens-cnn) whose answers this network also learns "
                             "from; it must share this run's preprocessing and validation smears")
    parser.add_argument("--teacher-weight", type=float, default=0.5,
                        help="share of each target taken from the teacher's probabilities rather than the label")
    parser.add_argument("--resume", action="store_true",
                        help="continue the unfinished run in OUT/NAME/checkpoint/ with the settings it started with")
    options = parser.parse_args(argv)
    if not 0.0 <= options.teacher_weight <= 1.0:
        parser.error(f"--teacher-weight must be between 0 and 1, not {options.teacher_weight}")
    if options.learning_rate is None:
        options.learning_rate = DEFAULT_LEARNING_RATES[options.arch]
    return options


def main(argv=None) -> int:
    options = parse_args(argv)
    from train.fit import train  # TensorFlow loads slowly; keep --help instant

    return run_stage(lambda: train(options), (DatasetError, ResumeError, TeacherError),
                     lambda out_dir: f"wrote {out_dir}/ (model.h5, metrics.json, training.json, pictures)")


if __name__ == "__main__":
    sys.exit(main())
