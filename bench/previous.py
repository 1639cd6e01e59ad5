"""The previously shipped model side by side with the one measured now, in Keras.

It is read from git (REV:PATH, the published folder as that revision had it) or from a folder, rebuilt
from its own model.json and weight shards, and scored on every source's held-out splits over the
classes it knows, each photo prepared as its own metadata says (an older crop, say). Whatever keeps it
from being read (no git, a shallow clone without that revision) is a line in results.md, never a
failed bench.
"""
import io
import subprocess
import tarfile
from pathlib import Path, PurePosixPath

from bench import published, quality, sources
from core.artifacts import METADATA, PUBLISHED_MODEL, PublishedVersion, is_weight_shard
from core.metrics import compute_metrics
from core.paths import REPO


class Unavailable(Exception):
    """The previous model cannot be read; the message says why and, where it can, what to do."""


def is_model_file(name: str) -> bool:
    return name in (PUBLISHED_MODEL, METADATA) or is_weight_shard(name)


def from_git(where: str, scratch: Path, repo: Path) -> Path:
    """model.json, the weight shards and metadata.json of REV:PATH, extracted under scratch."""
    revision, path = where.split(":", 1)
    try:
        archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", revision, "--", path],
                                 capture_output=True, check=True).stdout
    except FileNotFoundError as error:
        raise Unavailable("git is not installed, so no earlier revision can be read") from error
    except subprocess.CalledProcessError as error:
        reason = error.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no reason given"]
        raise Unavailable(f"git cannot read {where} in {repo} ({reason[0]}); a shallow clone lacks older "
                          "revisions: `git fetch --unshallow` fetches them") from error
    out = scratch / "previous-model"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and is_model_file(PurePosixPath(m.name).name)]
        tar.extractall(out, members=members, filter="data")
    return out / path


def model_folder(where: str, scratch: Path, repo: Path = REPO) -> Path:
    """The folder holding the previous model's files: `where` itself, or REV:PATH read from git."""
    if Path(where).is_dir():
        folder = Path(where)
    elif ":" in where:
        folder = from_git(where, scratch, repo)
    else:
        raise Unavailable(f"{where} is neither a folder nor REV:PATH")
    missing = [name for name in (PUBLISHED_MODEL, METADATA) if not (folder / name).is_file()]
    if missing:
        raise Unavailable(f"{where} has no {' or '.join(missing)}: not a published model folder")
    return folder


def on_same_photos(now: dict, files: list) -> dict:
    """The model measured now, on the photos the previous one was scored on (its classes' photos)."""
    wanted = set(files)
    kept = [i for i, path in enumerate(now["dataset"].files) if path in wanted]
    if not kept:  # the previous model's classes are all unknown to the one measured now
        return None
    return compute_metrics(now["dataset"].labels[kept], now["keras"][kept], now["dataset"].classes)


def score_splits(model, metadata: dict, splits: list, now: dict, say) -> tuple:
    """({split key: {"previous", "now"}} on the same photos, {split key: why it was not scored})."""
    scored, not_scored = {}, {}
    for split in splits:
        say(f"previous model: {split.key} prepared with its own preprocessing ({metadata['preprocessing']['crop']})")
        dataset = sources.read_split(split, metadata["classes"], metadata["preprocessing"])
        if dataset is None:
            not_scored[split.key] = f"none of its classes ({', '.join(metadata['classes'])})"
            continue
        probabilities = quality.keras_probabilities(model, dataset.images)
        scored[split.key] = {"previous": compute_metrics(dataset.labels, probabilities, metadata["classes"]),
                             "now": on_same_photos(now[split.key], dataset.files)}
    return scored, not_scored


def compare(where: str, scratch: Path, splits: list, now: dict, say, repo: Path = REPO) -> dict:
    """The previous model's facts and its figures beside now's; {"from", "skipped"} when unreadable.
    `now` maps each split key to {"dataset", "keras"}: the photos and probabilities of the model measured now."""
    try:
        folder = model_folder(where, scratch, repo)
        metadata = PublishedVersion(folder).metadata("the previous model's metadata")
        say(f"previous model {metadata['name']} version {metadata['version']}: rebuilding it in Keras")
        model = published.rebuild_keras(folder)
        scored, not_scored = score_splits(model, metadata, splits, now, say)
    except (Unavailable, OSError, ValueError, KeyError, tarfile.TarError) as error:
        say(f"previous model skipped: {error}")
        return {"from": where, "skipped": str(error)}
    return {"from": where, "name": metadata["name"], "version": metadata["version"], "classes": metadata["classes"],
            "preprocessing": metadata["preprocessing"], "parameters": metadata.get("model", {}).get("parameters"),
            "weight_bytes": published.weight_bytes(folder), "quality": scored, "not_scored": not_scored}
