"""Every training setting, defined once: TrainConfig's defaults are the shipped recipe.

The command line (`python -m train`) is generated from the fields, the Makefile passes only what
the user overrides, a resumed run is rebuilt from the saved fields, and the recipe recorded in
training.json and metadata.json is the fields marked as recipe.
"""
import argparse
import dataclasses
from dataclasses import dataclass, field

from core.networks import ARCHITECTURES, NORMALISATIONS
from core.paths import DEFAULT_MODEL_NAME, MODELS, default_dataset
from core.preprocess import SUPPORTED, crop_mode
from train.augment import LEVELS as AUGMENTATIONS
from train.distribute import STRATEGIES

SCHEDULES = ("cosine", "plateau")
TRAINABLE = ("head", "all")
# The tutorial network's 10-million-weight dense layer stays at chance at 1e-3 with our recipe.
DEFAULT_LEARNING_RATES = {name: 3e-4 if name == "tutorial" else 1e-3 for name in ARCHITECTURES}
# 20: the shipped recipe was chosen at 20 epochs (docs/experiments.md, 2026-12-07), where its
# pseudo-labels start at epoch 6; 40 epochs (measured in session 5, about 150 s an epoch here) moved
# validation by under half a point and tecom not at all.
DEFAULT_EPOCHS = 20
COLOUR_METHODS = ("background_white", "none")
# Whole fields of other labs whose boxed white cells the shipped recipe learns from without classes
# (bccd-smears is left out: it is the blood-cells lab, whose own labels say better).
UNLABELLED_LABS = ("deepbionet-fields", "raabin-fields", "bcd-fields")
# Fine-tuning: chosen on the new lab's validation part (bench/adaptation.md): a few dozen cells per
# class make an epoch one to five steps.
FINE_TUNING_RATE = 1e-3
FINE_TUNING_EPOCHS = 300


def setting(default, help: str, choices=None, recipe=False, metavar=None, default_factory=None):
    info = {"help": help, "choices": choices, "recipe": recipe, "metavar": metavar}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=info)
    return field(default=default, metadata=info)


@dataclass(frozen=True)
class TrainConfig:
    data: tuple = setting(None, "a source: a dataset folder with TRAIN/<CLASS>/ (and VAL/, TEST/, TEST_SIMPLE/), "
                          "or an HDF5 file (README: HDF5 datasets); repeat --data to train on several labs at once",
                          default_factory=lambda: (default_dataset("blood-cells"), default_dataset("pbc")))
    name: str = setting(DEFAULT_MODEL_NAME, "model name; output goes to OUT/NAME/")
    out: str = setting(str(MODELS), "folder for trained models")
    arch: str = setting("vgg_s2", "network architecture", choices=tuple(ARCHITECTURES))
    crop: str = setting("cell_sized", "the square the network sees: sized from the located white cell "
                        "(cell_sized), half the frame's short side around it (cell_centred), or the whole frame",
                        choices=tuple(sorted(SUPPORTED["crop"])))
    padding: str = setting("replicate", "what fills a square that reaches past the photo's edge: the median "
                           "colour of the photo's border, or its edge pixels repeated",
                           choices=tuple(sorted(SUPPORTED["padding"])), recipe=True)
    colour: str = setting("background_white", "colour constancy before everything else: each photo's white point "
                          "(its brightest background) mapped to one canonical background (core/colour.py), or none",
                          choices=COLOUR_METHODS, recipe=True)
    input_size: int = setting(80, "side of the square model input, in pixels")
    members: int = setting(1, "train this many models (seeds SEED, SEED+1, ...) and ship their average as one model")
    epochs: int = setting(None, "most epochs (the cosine schedule runs them all; plateau may stop sooner) "
                          f"(default: {DEFAULT_EPOCHS}; {FINE_TUNING_EPOCHS} with --init-from, whose few cells make "
                          "short epochs)")
    batch_size: int = setting(64, "images per training step")
    learning_rate: float = setting(None, "peak learning rate (default: 0.001; 0.0003 for --arch tutorial; "
                                   f"{FINE_TUNING_RATE} with --init-from)")
    schedule: str = setting("cosine", "learning rate: warm-up then cosine decay over all epochs, or halve on "
                            "plateaus with early stopping", choices=SCHEDULES, recipe=True)
    patience: int = setting(8, "epochs without validation improvement before stopping (--schedule plateau)")
    augment: str = setting("lab", "training-time colour changes: mild (basic), as strong as smears of one lab "
                           "differ (stain), as labs, stains and cameras differ (lab), further (strong), or with the dyes' own "
                           "colours turned as well (any_stain)", choices=AUGMENTATIONS,
                           recipe=True)
    normalise: str = setting("none", "per_image: standardise each colour channel over the crop inside the network; "
                             "grey: the network sees luminance only",
                             choices=NORMALISATIONS, recipe=True)
    mixup: float = setting(0.0, "blend training images and their labels pairwise by a Beta(ALPHA, ALPHA) share; "
                           "0 is off", recipe=True, metavar="ALPHA")
    unlabelled: tuple = setting(None, "whole fields of another lab with their white cells boxed (JPEGImages/, "
                                "Annotations/), learnt from without classes: pseudo-labels with consistency "
                                "(train/pseudo.py); repeat for several labs; 'none' for none; none by default "
                                "when fine-tuning (--init-from), distilling (--teacher) or spreading training (--strategy)",
                                default_factory=lambda: default_unlabelled(),
                                recipe=True)
    unlabelled_batch: int = setting(32, "unlabelled cells added to each training step", recipe=True)
    unlabelled_weight: float = setting(1.0, "weight of a confident unlabelled cell against a labelled one",
                                       recipe=True)
    pseudo_threshold: float = setting(0.8, "an unlabelled cell becomes an example once the network's answer, "
                                      "aligned to a normal differential, is at least this sure", recipe=True)
    pseudo_start: float = setting(0.25, "share of the epochs trained on labels alone before pseudo-labels",
                                  recipe=True)
    restain: float = setting(0.0, "share of training cells given the colours (CIELAB mean and spread) of a cell of "
                             "another lab: the unlabelled fields' cells and each source's (train/restain.py); 0 is off",
                             recipe=True)
    label_smoothing: float = setting(0.1, "share of each target spread evenly over the classes", recipe=True)
    weight_decay: float = setting(1e-4, "AdamW's decoupled weight decay", recipe=True)
    init_from: str = setting(None, "fine-tune: start from this model's weights, preprocessing and classes "
                             "instead of random weights (models/NAME/, a published web/models/NAME/<version>/, or "
                             "web/models: the page's model); classes the data adds get new output rows",
                             recipe=True, metavar="FOLDER")
    trainable: str = setting("all", "with --init-from: which layers learn (head: the output layer only; all: "
                             "every layer but the BatchNorm statistics)", choices=TRAINABLE, recipe=True)
    teacher: str = setting(None, "a trained model folder whose answers this network also learns from; it must "
                           "share this run's preprocessing and validation smears", recipe=True, metavar="FOLDER")
    teacher_weight: float = setting(0.5, "share of each target taken from the teacher's probabilities rather than "
                                    "the label", recipe=True)
    val_fraction: float = setting(0.15, "share of source smears (of an HDF5 file's rows) held out for validation, "
                                  "for a source without a VAL split")
    seed: int = setting(42, "seed for weights, batch order and augmentation")
    split_seed: int = setting(42, "seed for choosing the validation smears (the same for every member of an ensemble)")
    strategy: str = setting("none", "how training is spread: one device as always (none), every local device "
                            "(mirrored), or several machines, each running the same command with its place in "
                            "TF_CONFIG (multi-worker; README: Training on several machines)", choices=STRATEGIES)
    resume: bool = setting(False, "continue the unfinished run in OUT/NAME/checkpoint/ with the settings it started "
                           "with")

    def __post_init__(self):
        object.__setattr__(self, "data", tuple(str(path) for path in self.data))
        unlabelled = tuple(str(path) for path in self.unlabelled if str(path) != "none")
        by_default = unlabelled == default_unlabelled()
        whole_frame = not crop_mode(self.crop).widens  # a whole-frame model sees no cell square to learn from
        if (self.init_from or self.teacher or self.strategy != "none" or whole_frame) and by_default:
            unlabelled = ()  # the shipped recipe's fields: for training from scratch, on one device, on cells
        object.__setattr__(self, "unlabelled", unlabelled)
        if unlabelled and whole_frame:
            raise ValueError(f"--unlabelled learns from the white cells found in whole fields, which --crop {self.crop} "
                             "has none of: choose a cell crop, or train without: --unlabelled none")
        if not 0.0 <= self.teacher_weight <= 1.0:
            raise ValueError(f"--teacher-weight must be between 0 and 1, not {self.teacher_weight}")
        if self.init_from and self.members > 1:
            raise ValueError("--init-from fine-tunes one model; leave --members at 1")
        if self.unlabelled and self.teacher:
            raise ValueError("--unlabelled and --teacher both set the targets: choose one")
        if self.unlabelled and self.strategy != "none":
            raise ValueError("--unlabelled trains on one device: leave --strategy at none")
        if self.strategy == "multi-worker" and self.members > 1:
            raise ValueError("--strategy multi-worker trains one network at a time; leave --members at 1")
        if self.learning_rate is None:
            rate = FINE_TUNING_RATE if self.init_from else DEFAULT_LEARNING_RATES[self.arch]
            object.__setattr__(self, "learning_rate", rate)
        if self.epochs is None:
            object.__setattr__(self, "epochs", FINE_TUNING_EPOCHS if self.init_from else DEFAULT_EPOCHS)

    def saved(self) -> dict:
        """The settings a resumed run must share with the run it continues."""
        return {key: value for key, value in dataclasses.asdict(self).items() if key != "resume"}

    def recipe(self) -> dict:
        """How the network was fitted; a teacher appears only when there was one."""
        facts = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.metadata["recipe"]}
        if not facts["teacher"]:
            del facts["teacher"], facts["teacher_weight"]
        else:
            facts["teacher"] = facts["teacher"].rstrip("/").rsplit("/", 1)[-1]
        if not facts["unlabelled"]:
            for name in ("unlabelled", "unlabelled_batch", "unlabelled_weight", "pseudo_threshold", "pseudo_start"):
                del facts[name]
        else:
            facts["unlabelled"] = [path.rstrip("/").rsplit("/", 1)[-1] for path in facts["unlabelled"]]
        if not facts["init_from"]:
            del facts["init_from"], facts["trainable"]
        else:
            facts["init_from"] = "/".join(facts["init_from"].rstrip("/").split("/")[-2:])
        return facts

    def starting_from(self, start) -> "TrainConfig":
        """A fine-tuning run sees its inputs exactly as the model it starts from was trained to, and names
        the very folder it started from (web/models' default may change before a resume)."""
        spec = start.preprocessing
        return dataclasses.replace(self, init_from=str(start.folder), arch=start.arch, crop=spec["crop"],
                                   input_size=spec["input_size"][0], padding=spec.get("padding", self.padding),
                                   colour=spec.get("colour", {}).get("method", "none"), normalise=start.normalise)

    @classmethod
    def from_saved(cls, saved: dict, **changes) -> "TrainConfig":
        """A run's saved settings; settings it predates keep their defaults (older runs had no mixup, ...)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in saved.items() if key in known}, **changes)


def default_unlabelled() -> tuple:
    return tuple(default_dataset(name) for name in UNLABELLED_LABS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m train", description="Train a white-blood-cell classifier.")
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        info = f.metadata
        if f.type in ("bool", bool):
            parser.add_argument(flag, action="store_true", help=info["help"])
            continue
        if f.type in ("tuple", tuple):
            shown = ", ".join(f.default_factory()) or "none"
            parser.add_argument(flag, action="append", help=f"{info['help']} (default: {shown})")
            continue
        kind = {"int": int, "float": float}.get(f.type if isinstance(f.type, str) else f.type.__name__, str)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        shown = "" if default is None else f" (default: {default})"
        parser.add_argument(flag, type=kind, default=default, choices=info["choices"], metavar=info["metavar"],
                            help=info["help"] + shown)
    return parser


def parse_config(argv=None) -> TrainConfig:
    parser = build_parser()
    given = {key: value for key, value in vars(parser.parse_args(argv)).items() if value is not None}
    try:
        return TrainConfig(**given)
    except ValueError as error:
        parser.error(str(error))
