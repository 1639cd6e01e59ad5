"""What the bench commands that measure the page's default model share: the model rebuilt with its page
spec, and the command's end (the figures written atomically to OUT/NAME, described; a missing model or
folder a clear error, not a traceback)."""
from pathlib import Path

from bench.page_cells import page_spec
from core.cli import run_stage
from core.files import write_json
from core.model_index import NoModel, default_model


def published_model(web_root: Path) -> tuple:
    """(Keras model, metadata, page spec) of the page's default model."""
    from bench.published import rebuild_keras  # TensorFlow loads slowly; keep --help instant

    metadata, folder = default_model(Path(web_root) / "models")
    spec, _ = page_spec(metadata["preprocessing"])
    return rebuild_keras(folder), metadata, spec


def model_named(metadata: dict) -> dict:
    return {"model": {"name": metadata["name"], "version": metadata["version"]}}


def written(measure, out: Path, name: str, describe) -> int:
    """main()'s end: measure(), written to OUT/NAME and described."""
    def run():
        measured = measure()
        Path(out).mkdir(parents=True, exist_ok=True)
        write_json(Path(out) / name, measured)
        return measured

    return run_stage(lambda: describe(run()), (FileNotFoundError, ValueError, NoModel),
                     lambda text: f"{text}\nwrote {Path(out) / name}")
