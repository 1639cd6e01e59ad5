"""Shared fixtures: synthetic datasets the tests draw themselves, and the real dataset when present."""
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import core.tf_env  # noqa: F401  (before anything imports TensorFlow)

# Preprocessed images of the tests' own datasets go to a temporary folder, not the repository's cache.
os.environ.setdefault("LEUKOLENS_CACHE", tempfile.mkdtemp(prefix="leukolens-test-cache-"))

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
REAL_DATA = SHARED_DATA / "blood-cells"
# Stain-like colours (blue well above green, as nuclei are), so the cell finder finds each blob, and red at
# least green, as in every stain, so the smear check takes a photo of one for a smear.
COLOURS = {"BLUE": (80, 60, 200), "GREEN": (140, 90, 230), "RED": (190, 30, 160)}


def draw_cell(rng, colour, size=(64, 48), background=(230, 190, 200)) -> Image.Image:
    """A pinkish field with one coloured blob, a crude stand-in for a stained smear."""
    pixels = rng.normal(background, 12, (size[1], size[0], 3))
    y, x = np.mgrid[: size[1], : size[0]]
    cy, cx, r = rng.uniform(15, size[1] - 15), rng.uniform(15, size[0] - 15), rng.uniform(7, 12)
    pixels[(y - cy) ** 2 + (x - cx) ** 2 < r**2] = colour
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def draw_smear(rng, size=(480, 640), white_cells=((240, 320),), platelets=6, nucleus_radius=22):
    """A crude stained smear: cream background, pink red cells with pale centres, purple nuclei of
    white cells (three lobes each, in a lilac cytoplasm) and a few small purple platelets."""
    height, width = size
    image = np.empty((height, width, 3), np.float64)
    image[:] = (232, 214, 214)
    yy, xx = np.mgrid[:height, :width]

    def disc(cy, cx, radius, colour):
        image[(yy - cy) ** 2 + (xx - cx) ** 2 < radius ** 2] = colour

    for _ in range(height * width // 2500):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        if min(np.hypot(cy - y, cx - x) for y, x in white_cells) > 3 * nucleus_radius:
            disc(cy, cx, 26, (214, 150, 160))
            disc(cy, cx, 9, (224, 178, 184))
    for cy, cx in white_cells:
        disc(cy, cx, 2 * nucleus_radius, (205, 185, 220))
        for dy, dx in ((-0.5, -0.4), (0.1, 0.5), (0.6, -0.3)):
            disc(cy + dy * nucleus_radius, cx + dx * nucleus_radius, 0.62 * nucleus_radius, (110, 50, 160))
    for _ in range(platelets):
        disc(rng.uniform(0, height), rng.uniform(0, width), 3, (130, 70, 170))
    return np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)


def write_split(root: Path, per_class: int, rng, smears: int = 3) -> None:
    for name, colour in COLOURS.items():
        folder = root / name
        folder.mkdir(parents=True)
        for index in range(per_class):
            draw_cell(rng, colour).save(folder / f"_{index % smears}_{index}.jpeg", quality=92)


def write_copies(root: Path, sources: int, copies: int, rng) -> dict:
    """Copies of each source image (turned and mirrored), named as the real dataset names them:
    _<position in one augmentation pass>_<serial>.jpeg, so the name does not reveal the source.
    Returns {file name: (class, source)}, the truth the names hide."""
    serial, truth = 0, {}
    for name, colour in COLOURS.items():
        folder = root / name
        folder.mkdir(parents=True)
        # Each source smear has its own staining and lighting.
        originals = [draw_cell(rng, colour, background=rng.uniform((215, 165, 185), (250, 200, 225)))
                     for _ in range(sources)]
        for _ in range(copies):
            for position, source in enumerate(rng.permutation(sources)):
                copy = originals[source].rotate(180 * int(rng.integers(2)))
                if rng.integers(2):
                    copy = copy.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                copy.save(folder / f"_{position}_{serial}.jpeg", quality=92)
                truth[f"_{position}_{serial}.jpeg"] = (name, int(source))
                serial += 1
    return truth


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory) -> Path:
    """Source "lab-a": TRAIN/TEST/TEST_SIMPLE with three easy classes, named like blood-cells' files
    (so validation holds out whole source smears)."""
    root = tmp_path_factory.mktemp("data") / "lab-a"
    rng = np.random.default_rng(7)
    write_copies(root / "TRAIN", sources=6, copies=4, rng=rng)
    write_copies(root / "TEST", sources=2, copies=4, rng=rng)
    write_copies(root / "TEST_SIMPLE", sources=4, copies=1, rng=rng)
    return root


SECOND_SOURCE = {"blue": COLOURS["BLUE"], "VIOLET": (170, 70, 210)}


@pytest.fixture(scope="session")
def second_source(tmp_path_factory) -> Path:
    """Source "lab-b", like pbc: TRAIN/VAL/TEST, another background, a class lab-a lacks (VIOLET), and
    one lab-a has in a folder named in lower case (blue)."""
    root = tmp_path_factory.mktemp("data") / "lab-b"
    rng = np.random.default_rng(8)
    for split, count in (("TRAIN", 10), ("VAL", 4), ("TEST", 4)):
        for name, colour in SECOND_SOURCE.items():
            (root / split / name).mkdir(parents=True)
            for index in range(count):
                draw_cell(rng, colour, background=(225, 195, 215)).save(root / split / name / f"{index}.png")
    return root


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not (REAL_DATA / "TEST_SIMPLE").is_dir():
        pytest.skip(f"real blood-cells dataset not found at {REAL_DATA} (see README: Data)")
    return REAL_DATA


@pytest.fixture(scope="session")
def trained_model(synthetic_data, second_source, tmp_path_factory) -> Path:
    """A tiny model trained by the real pipeline on both synthetic sources."""
    from train.config import parse_config
    from train.run import train

    out = tmp_path_factory.mktemp("models")
    options = parse_config(["--data", str(synthetic_data), "--data", str(second_source), "--out", str(out), "--name", "tiny",
                          "--epochs", "3", "--batch-size", "16", "--input-size", "32", "--unlabelled", "none"])
    return train(options)


@pytest.fixture(scope="session")
def published_site(trained_model, synthetic_data, tmp_path_factory) -> Path:
    """A copy of web/ (page and vendored tfjs) with the tiny model converted into its models/."""
    from convert.convert import convert_model

    site = tmp_path_factory.mktemp("site") / "web"
    shutil.copytree(REPO / "web", site, ignore=shutil.ignore_patterns("models"))
    convert_model(trained_model, site / "models", None, None, make_default=True)
    return site


# Tiers: `make test-fast` runs what needs neither a trained model nor Chromium nor a stage run as a
# command (-m "not training and not browser and not integration"); `make test` runs everything. Tests are
# marked by the fixtures they use, so a new test lands in the right tier by itself; tests that train or
# run a stage through the command line say so explicitly.
TRAINING_FIXTURES = {"trained_model", "cross_lab_model", "published_site", "ensemble", "interrupted", "quick_bench"}
BROWSER_FIXTURES = {"chromium", "site_server", "shipped_server", "browser", "page", "shipped", "stalled_wasm"}


def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "e2e" in item.path.parts or fixtures & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if fixtures & TRAINING_FIXTURES:
            item.add_marker(pytest.mark.training)
