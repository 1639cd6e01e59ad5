"""Recover which training images are copies of one source smear, so validation holds out whole sources.

Kaggle's blood-cells files are named _<n>_<m>.jpeg, but <n> is only an image's position within
one augmentation pass: copies of one cell carry many different <n>, and one <n> holds many
cells. What <n> does tell is how many source images a class has (its distinct values).

The copies differ by rotation, shift, shear and flips, never by colour, so the colour
distribution of a frame (quantiles over its non-black pixels, and over its strongly stained
nucleus pixels) identifies the source. Ward clustering per class into half as many groups as
there are sources keeps each source inside one group; checked against TEST, whose originals are
known (TEST_SIMPLE), 1% of copies fell outside their source's group, against 8% when clustering
into exactly as many groups as sources. Without that file naming, every image is its own group.
"""
import re
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.cluster.hierarchy import fcluster, linkage

from core.dataset import DatasetError

AUGMENTATION_PASS_NAME = re.compile(r"^_(\d+)_\d+$")
QUANTILES = np.linspace(0.05, 0.95, 19)
# Rotated copies are padded with black; stained nuclei have blue well above green.
FILL_MAX = 30
NUCLEUS_BLUE_OVER_GREEN = 40
MIN_NUCLEUS_PIXELS = 20


def read_small(path: Path) -> np.ndarray:
    """The frame at about 160 pixels wide: enough for colour statistics, and fast to decode."""
    with Image.open(path) as image:
        image.draft("RGB", (160, 120))
        image = image.convert("RGB")
        if image.width > 200:
            image = image.reduce(max(1, image.width // 160))
        return np.asarray(image)


def frame_signature(rgb: np.ndarray) -> np.ndarray:
    pixels = rgb.reshape(-1, 3).astype(np.float32)
    visible = pixels[pixels.max(axis=1) > FILL_MAX]
    if len(visible) < MIN_NUCLEUS_PIXELS:
        visible = pixels
    score = visible[:, 2] - visible[:, 1]
    nucleus = visible[score > NUCLEUS_BLUE_OVER_GREEN]
    if len(nucleus) < MIN_NUCLEUS_PIXELS:
        nucleus = visible[np.argsort(score)[-MIN_NUCLEUS_PIXELS:]]
    return np.concatenate([np.quantile(visible, QUANTILES, axis=0).ravel(),
                           np.quantile(nucleus, QUANTILES, axis=0).ravel(),
                           [10 * np.log(len(nucleus))]])


def readable_signature(path: Path):
    try:
        return frame_signature(read_small(path))
    except Exception:  # Pillow raises many kinds for damaged files; reading the file later names the reason
        return None


def source_count(files: list) -> int | None:
    """Number of source images behind one class's files, when the files use the augmentation-pass naming."""
    matches = [AUGMENTATION_PASS_NAME.match(Path(f).stem) for f in files]
    if not files or not all(matches):
        return None
    return len({m.group(1) for m in matches})


def cluster_copies(signatures: np.ndarray, groups: int) -> np.ndarray:
    if len(signatures) <= groups:
        return np.arange(len(signatures))
    if groups == 1:
        return np.zeros(len(signatures), dtype=int)
    scaled = (signatures - signatures.mean(0)) / (signatures.std(0) + 1e-6)
    return fcluster(linkage(scaled, method="ward"), groups, criterion="maxclust")


def recover_groups(files: list, labels: np.ndarray, classes: list, progress=True) -> list:
    """A group key per file; files sharing a key are (probably) copies of one source image."""
    labels = np.asarray(labels)
    keys = [""] * len(files)
    for index, name in enumerate(classes):
        members = np.flatnonzero(labels == index)
        class_files = [files[i] for i in members]
        sources = source_count(class_files)
        if sources is None:
            for i in members:
                keys[i] = f"{name}/{Path(files[i]).name}"
            continue
        signatures = [readable_signature(Path(f)) for f in class_files]
        readable = [k for k, signature in enumerate(signatures) if signature is not None]
        clusters = cluster_copies(np.stack([signatures[k] for k in readable]), max(1, -(-sources // 2))) \
            if readable else []
        for k, cluster in zip(readable, clusters):
            keys[members[k]] = f"{name}/group{cluster}"
        for k in set(range(len(members))) - set(readable):  # unreadable: skipped later, with the reason
            keys[members[k]] = f"{name}/{Path(files[members[k]]).name}"
        if progress:
            print(f"  {name}: {len(class_files)} images from about {sources} source images, "
                  f"clustered into {len(set(clusters))} groups", file=sys.stderr, flush=True)
    return keys


def group_split(groups: list, labels: np.ndarray, fraction: float, seed: int) -> tuple:
    """Hold out whole groups per class, so copies of one source never straddle train and validation."""
    rng = np.random.default_rng(seed)
    groups, labels = np.array(groups), np.asarray(labels)
    held_out = np.zeros(len(groups), dtype=bool)
    for index in np.unique(labels):
        names = np.unique(groups[labels == index])
        rng.shuffle(names)
        count = min(max(1, round(fraction * len(names))), len(names) - 1)
        held_out |= np.isin(groups, names[:count]) & (labels == index)
    if not held_out.any() or held_out.all():
        raise DatasetError("every class needs at least two source images to hold some out for validation")
    return np.flatnonzero(~held_out), np.flatnonzero(held_out)
