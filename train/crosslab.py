"""Cross-lab validation: does a recipe hold up on a lab it never saw?

python -m train.crosslab --model models/leukolens-cnn

For a model trained on several sources, trains the same recipe on each source alone (into
MODEL/cross-lab/only-<source>/) and scores each such twin on the other sources, on the classes they
share: on their validation parts (what recipes may be chosen by) and their TEST splits (reported,
never chosen by). Writes MODEL/cross_lab.json, which convert copies into metadata.json. Twins that
finished before with the same settings are kept, so an interrupted run continues where it stopped; a
twin of other settings (the model retrained another way into the same folder) is trained again.
"""
import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from core.cli import run_stage
from core.dataset import DatasetError
from core.artifacts import TrainedFolder
from core.files import write_json
from core.paths import DEFAULT_MODEL_NAME, MODELS
from train.checkpoint import ResumeError, finished, read_state
from train.config import TrainConfig
from train.sources import source_name



def twin_config(config: TrainConfig, model_dir: Path, source: str) -> TrainConfig:
    """The recipe on one source alone, trained on this machine as usual (--strategy none) however the model
    itself was spread: cross-lab runs where the model's folder is, on the chief."""
    twin = TrainedFolder(model_dir).cross_lab_twin(source_name(source))
    return dataclasses.replace(config, data=(source,), out=str(twin.parent), name=twin.name,
                               members=1, teacher=None, resume=False, strategy="none")


def trained_by_recipe(folder: Path, twin: TrainConfig) -> bool:
    """A finished twin of this very recipe. A model retrained another way into the same folder (more epochs,
    another augmentation) finds the twins of its old recipe there: they would be its cross-lab figures."""
    if not finished(folder):
        return False
    return TrainedFolder(folder).facts().get("config") == json.loads(json.dumps(twin.saved()))


def train_twin(twin: TrainConfig) -> Path:
    from train.run import train  # TensorFlow loads slowly; keep --help instant

    folder = Path(twin.out) / twin.name
    if trained_by_recipe(folder, twin):
        print(f"{twin.name}: already trained, kept", file=sys.stderr)
        return folder
    if finished(folder):
        print(f"{twin.name}: trained by another recipe, trained again", file=sys.stderr)
    print(f"training {twin.name} (the same recipe on {twin.data[0]} alone)", file=sys.stderr, flush=True)
    return train(dataclasses.replace(twin, resume=read_state(folder) is not None))


def cross_lab(model_dir: Path) -> dict:
    info = TrainedFolder(model_dir).facts()
    config = TrainConfig.from_saved(info["config"])
    if len(config.data) < 2:
        raise DatasetError(f"{model_dir} was trained on one source; cross-lab validation needs two or more")
    pairs = []
    for source in config.data:
        folder = train_twin(twin_config(config, model_dir, source))
        from train.evaluate import evaluate_model_dir

        metrics = evaluate_model_dir(folder, config.data)
        for lab, splits in metrics["other_labs"].items():
            pairs.append({"trained_on": source_name(source), "scored_on": lab, **splits})
    result = {"recipe": config.recipe(), "pairs": pairs, "summary": summary(pairs)}
    write_json(TrainedFolder(model_dir).cross_lab_file, result)
    return result


def summary(pairs: list) -> dict:
    """Mean balanced accuracy over the pairs, per part; "validation" (the twin answering with all its classes,
    as the page does) is what compare ranks recipes by. "shared_classes": answers limited to the classes
    the other lab has."""
    def mean(parts: list, part: str):
        return float(np.mean([p[part]["balanced_accuracy"] for p in parts])) if all(part in p for p in parts) else None

    shared = [pair.get("shared_classes", {}) for pair in pairs]
    found = {part: mean(pairs, part) for part in ("validation", "TEST")}
    found["shared_classes"] = {part: mean(shared, part) for part in ("validation", "TEST")}
    return found


def describe(result: dict) -> str:
    def figures(p: dict) -> str:
        return ", ".join(f"{part} {p[part]['balanced_accuracy']:.1%}" for part in ("validation", "TEST") if part in p)

    lines = [f"  {p['trained_on']} only -> {p['scored_on']}: balanced accuracy {figures(p)}; answers limited to "
             f"the shared classes: {figures(p.get('shared_classes', {}))}" for p in result["pairs"]]
    return "\n".join(["cross-lab:"] + lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.crosslab", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(MODELS / DEFAULT_MODEL_NAME),
                        help="a model trained on several sources (default: %(default)s)")
    options = parser.parse_args(argv)
    model_dir = Path(options.model)
    return run_stage(lambda: describe(cross_lab(model_dir)), (FileNotFoundError, DatasetError, ResumeError),
                     lambda text: f"{text}\nwrote {TrainedFolder(model_dir).cross_lab_file}")


if __name__ == "__main__":
    sys.exit(main())
