"""The benchmark as a story: the published model, its quality in Keras and in the page, its speed in the
browser, quantized variants, the tutorial baseline, and what training and serving it cost."""
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import browser, calibration, conversions, machine, previous, published, quality, sources, travel, tutorial
from bench.targets import target_rows
from bench.throughput import server_throughput
from core.artifacts import PUBLISHED_MODEL, load_keras_file
from core.calibration import page_probabilities
from core.metrics import compute_metrics
from core.model_index import default_model
from core.tfjs import save_h5
from headless.chromium import open_page, start_chromium
from headless.site_server import RunningServer

BACKENDS = {"full": ("wasm", "webgl", "cpu"), "quick": ("wasm",)}
SPEED = {"full": {"repeats": 100, "batchRepeats": 10, "budgetMs": 20_000},
         "quick": {"repeats": 20, "batchRepeats": 3, "budgetMs": 4_000}}
COLD_STARTS = {"full": 5, "quick": 3}
THROUGHPUT = {"full": {}, "quick": {"clients": 10, "rounds": 2}}
BATCH = 32
# No GPU here: WebGL runs on SwiftShader, Chromium's software renderer. Opt in to it by name, as
# Chromium is retiring the silent fallback; the report names the renderer the figures come from.
WEBGL_FLAGS = ["--enable-unsafe-swiftshader"]
TRAINING_COST = ("training_seconds", "peak_memory_mb", "epochs_run", "resumed", "parameters")


class Progress:
    """'bench [time so far]: <step>' lines on stderr, so long steps show they are alive."""

    def __init__(self):
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"bench [{time.monotonic() - self.started:4.0f} s]: {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    """What every step needs: the settings, the model's metadata, the photos and Keras's answers."""
    options: object
    metadata: dict
    splits: dict        # "source/SPLIT" -> bench.sources.HeldOutSplit
    datasets: dict      # "source/SPLIT" -> core.dataset.Dataset prepared for the model measured
    keras: dict         # "source/SPLIT" -> N x classes probabilities
    say: Progress
    site: Path = None   # the copy of the web root being served
    server: RunningServer = None
    results: dict = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return "quick" if self.options.quick else "full"

    def model_url(self, folder: Path) -> str:
        return self.server.url + Path(folder).relative_to(self.site).as_posix() + "/" + PUBLISHED_MODEL

    def now(self) -> dict:
        """Each split's photos and probabilities, as bench.previous compares them."""
        return {key: {"dataset": dataset, "keras": self.keras[key]} for key, dataset in self.datasets.items()}


def model_facts(metadata: dict, folder: Path, web_root: Path) -> dict:
    return {"name": metadata["name"], "version": metadata["version"], "arch": metadata["model"].get("arch"),
            "parameters": metadata["model"].get("parameters"), "quantization": metadata["model"].get("quantization"),
            "input_size": metadata["preprocessing"]["input_size"], "preprocessing": metadata["preprocessing"],
            "classes": metadata["classes"], "sources": metadata.get("training", {}).get("sources"),
            "folder": folder.relative_to(web_root).as_posix(), **conversions.model_sizes(folder)}


def make_site(web_root: Path, scratch: Path) -> Path:
    """A copy of the web root to serve: the real page and model, plus a bench/ folder for converted
    variants and raw inputs the page fetches (nothing is written into the real web/)."""
    site = scratch / "web"
    shutil.copytree(web_root, site, ignore=shutil.ignore_patterns(".*"))
    return site


def page_quality(run: Run, driver) -> dict:
    """Every photo through the page's file input, compared with Keras; returns the page's probabilities."""
    shown = {}
    run.results["quality"] = {}
    for key, dataset in run.datasets.items():
        run.say(f"classifying {len(dataset.files)} {key} photos in the page")
        shown[key], errors = browser.classify_in_page(driver, dataset.files, run.metadata["classes"], key)
        split = run.splits[key]
        run.results["quality"][key] = {
            "source": split.source, "split": split.split, "photos_in_split": split.photos, "sample": split.sampled,
            **quality.split_quality(dataset.labels, run.keras[key], shown[key], dataset.files,
                                    run.metadata["classes"], errors)}
        # The page shows calibrated probabilities (metadata "calibration"): compared with Keras's, calibrated alike.
        run.results["quality"][key]["browser_vs_keras"] = quality.agreement(
            page_probabilities(run.keras[key], run.metadata), shown[key], dataset.files)
    return shown


def calibration_figures(options, metadata: dict, folder: Path, say) -> dict:
    """ECE, share flagged and accuracy of unflagged cells per training source's validation part and per
    validation-only lab (tecom), with the published temperature and review rule (bench/calibration.py)."""
    if options.quick:
        return {"not_measured": "not in a quick run"}
    return calibration.measure(metadata, folder, options.data, say)


def backend_speed(run: Run, driver, model_url: str, backends: tuple, input_size: list) -> dict:
    height, width = input_size
    speed = {}
    for backend in backends:
        run.say(f"timing TensorFlow.js on {backend} ({model_url.split('/models/', 1)[-1]})")
        speed[backend] = browser.run_harness(driver, task="speed", url=model_url, backend=backend, height=height,
                                             width=width, batch=BATCH, **SPEED[run.mode])
    return speed


def variant_quality(run: Run, driver, model_url: str, input_urls: dict) -> dict:
    """A converted variant's probabilities on wasm for the inputs Keras had, against Keras's."""
    height, width = run.metadata["preprocessing"]["input_size"]
    measured = {}
    for key, urls in input_urls.items():
        answer = browser.run_harness(driver, task="predict", url=model_url, inputUrls=urls, backend="wasm",
                                     height=height, width=width, batch=64)
        if not answer.get("available"):
            raise RuntimeError(f"the wasm backend could not run {model_url}: {answer.get('reason')}")
        dataset = run.datasets[key]
        metrics = quality.metrics_of(dataset.labels, answer["probabilities"], run.metadata["classes"])
        measured[key] = {"accuracy": metrics["accuracy"], "balanced_accuracy": metrics["balanced_accuracy"],
                         "macro_f1": metrics["macro_f1"], "min_recall": metrics["min_recall"],
                         **quality.agreement(run.keras[key], answer["probabilities"], dataset.files)}
    return measured


def tutorial_folder(run: Run) -> Path | None:
    """The source the tutorial baseline is trained and scored on: blood-cells, as the tutorial was."""
    return next((split.folder.parent for split in run.splits.values() if split.source == tutorial.SOURCE), None)


def untrained_baseline(run: Run, scratch: Path, why: str) -> dict:
    h5, parameters = tutorial.untrained_tutorial(run.metadata, scratch / "tutorial.h5")
    return {"h5": h5, "trained": False, "parameters": parameters, "classes": len(run.metadata["classes"]),
            "input_size": run.metadata["preprocessing"]["input_size"],
            "note": f"untrained (random weights) at our input size: {why}, so only its size and speed are measured, "
                    "which do not depend on weight values"}


def untrained_on_request(run: Run) -> bool:
    """--tutorial-epochs 0 with no baseline trained before: its size and speed only, not an hour of training."""
    return run.options.tutorial_epochs == 0 and not tutorial.is_trained(run.options.models)


def tutorial_baseline(run: Run, scratch: Path) -> dict:
    """The baseline's .h5 and its Keras quality and training cost (a trained one, in full runs)."""
    data = tutorial_folder(run)
    if run.options.quick or data is None or untrained_on_request(run):
        return untrained_baseline(run, scratch, "--quick does not train it" if run.options.quick
                                  else "--tutorial-epochs 0 asked not to train it" if untrained_on_request(run)
                                  else f"no {tutorial.SOURCE} source was measured, the one it is trained on")
    h5, info = tutorial.trained_tutorial(data, run.options.models, run.options.tutorial_epochs)
    run.say(f"evaluating the tutorial baseline {h5} in Keras")
    model = load_keras_file(h5)  # TensorFlow loads slowly; only full runs need the trained baseline in Keras
    measured = {}
    for key, split in run.splits.items():
        dataset = sources.read_split(split, info["classes"], info["preprocessing"]) \
            if split.source == tutorial.SOURCE else None
        if dataset is not None:
            measured[key] = compute_metrics(dataset.labels, quality.keras_probabilities(model, dataset.images),
                                            info["classes"])
    return {"h5": h5, "trained": True, "note": f"{h5.parent}, trained by python -m train on {data.name} alone "
            f"(crop {info['preprocessing']['crop']}, epochs run: {info['epochs_run']})",
            "parameters": info["parameters"], "classes": len(info["classes"]),
            "input_size": info["preprocessing"]["input_size"], "quality": measured,
            "training": {key: info.get(key) for key in TRAINING_COST}}


def ratio(ours, theirs):
    return ours / theirs if ours is not None and theirs else None


def ours_over_theirs(results: dict, baseline: dict) -> dict:
    """Ours divided by the tutorial's: accuracy per split, weight bytes, WASM median latency."""
    accuracy = {key: ratio(results["quality"][key]["keras"]["accuracy"], theirs["accuracy"])
                for key, theirs in baseline.get("quality", {}).items()}
    return {"accuracy": accuracy, "weight_bytes": ratio(results["model"]["weight_bytes"], baseline["weight_bytes"]),
            "wasm_median_ms": ratio(results["speed"]["wasm"].get("single_median_ms"),
                                    baseline["wasm"].get("single_median_ms"))}


def training_cost(metadata: dict, baseline: dict) -> dict:
    ours = {key: metadata.get("training", {}).get(key) for key in TRAINING_COST}
    ours["parameters"] = ours["parameters"] or metadata["model"].get("parameters")
    return {"ours": ours, "tutorial": baseline.get("training")}


def published_accuracy_check(metadata: dict, measured: dict) -> dict:
    """The rebuilt Keras model against the figures its training run recorded, on whole splits (a sample
    scores otherwise): equal means the same model."""
    return {key: {"published": (quality.published_figures(metadata, q["source"], q["split"]) or {}).get("accuracy"),
                  "rebuilt": q["keras"]["accuracy"]} for key, q in measured.items() if not q["sample"]}


MANY_SMEARS = {"full": 50, "quick": 5}


def many_smears(run: Run, driver) -> dict:
    """The time the page takes for 50 whole smear photos (640x480) picked at once."""
    photos = sorted((Path(run.options.smears) / "JPEGImages").glob("*.jpg"))[:MANY_SMEARS[run.mode]]
    if not photos:
        return {"not_measured": f"no smear photos in {run.options.smears} (--smears)"}
    run.say(f"{len(photos)} whole smear photos picked at once")
    return browser.many_smears(driver, run.server.url, photos)


def in_the_browser(run: Run, converted: dict, inputs: dict, baseline: dict) -> dict:
    """Quality through the page, TensorFlow.js timings, quantized variants and the baseline's latency,
    in one headless Chromium; returns the page's probabilities."""
    driver = start_chromium(run.site.parent / "profile", extra_flags=WEBGL_FLAGS)
    try:
        open_page(driver, run.server.url)
        run.results["browser"] = browser.browser_facts(driver)
        shown = page_quality(run, driver)
        run.results["many_smears"] = many_smears(run, driver)
        open_page(driver, run.server.url)  # a fresh page for the timings
        ours = run.model_url(run.site / run.results["model"]["folder"])
        run.results["speed"] = backend_speed(run, driver, ours, BACKENDS[run.mode],
                                             run.metadata["preprocessing"]["input_size"])
        input_urls = {key: [f"{run.server.url}bench/inputs/{name}" for name in names]
                      for key, names in inputs.items()}
        run.results["quantization"] = {}
        for name in conversions.QUANTIZATIONS:
            run.say(f"quantization {name}: the converted model's accuracy on wasm")
            measured = variant_quality(run, driver, run.model_url(converted[name]), input_urls)
            run.results["quantization"][name] = {**conversions.model_sizes(converted[name]), **measured}
        baseline.update(conversions.model_sizes(converted["tutorial"]))
        baseline["wasm"] = backend_speed(run, driver, run.model_url(converted["tutorial"]), ("wasm",),
                                         baseline["input_size"])["wasm"]
    finally:
        driver.quit()
    return shown


def read_held_out(options, metadata: dict, keras_model, say: Progress) -> tuple:
    """(splits, datasets, Keras probabilities, facts per source) for every source's held-out splits."""
    folders = sources.source_folders(options.data, metadata)
    splits, missing = sources.held_out_splits(folders, options.quick)
    datasets = {}
    for split in splits:
        say(f"preparing {split.key} ({f'{len(split.chosen)} of ' if split.sampled else ''}{split.photos:,} photos) "
            "for the model")
        dataset = sources.read_split(split, metadata["classes"], metadata["preprocessing"])
        if dataset is None:
            missing[split.key] = f"none of the model's classes in {split.folder}"
        else:
            datasets[split.key] = dataset
    if not datasets:
        raise FileNotFoundError("no held-out photo of the model's classes: " + "; ".join(missing.values()))
    keras = {key: quality.keras_probabilities(keras_model, dataset.images) for key, dataset in datasets.items()}
    facts = {"folders": [str(folder) for folder in folders], "not_measured": missing}
    return {split.key: split for split in splits if split.key in datasets}, datasets, keras, facts


def run_bench(options) -> tuple:
    """(results, predictions): every figure for results.json, and each photo's probabilities."""
    say = Progress()
    metadata, folder = default_model(options.web_root / "models")
    say(f"{'quick' if options.quick else 'full'} run on {metadata['name']} version {metadata['version']}")
    say(f"rebuilding the Keras model from the published {PUBLISHED_MODEL} and weights")
    keras_model = published.rebuild_keras(folder)
    splits, datasets, keras, held_out = read_held_out(options, metadata, keras_model, say)
    run = Run(options, metadata, splits, datasets, keras, say)
    run.results.update(mode=run.mode, machine=machine.machine_facts(), versions=machine.python_versions(),
                       model=model_facts(metadata, folder, Path(options.web_root)), held_out=held_out,
                       cross_lab=quality.cross_lab_figures(metadata))
    with tempfile.TemporaryDirectory(prefix="leukolens-bench-") as scratch:
        scratch = Path(scratch)
        run.results["previous"] = previous.compare(options.previous, scratch, list(splits.values()), run.now(), say)
        baseline = tutorial_baseline(run, scratch)
        run.site = make_site(Path(options.web_root), scratch)
        ours = save_h5(keras_model, scratch / "ours.h5")
        jobs = {name: (ours, run.site / "bench" / "models" / name, q) for name, q in conversions.QUANTIZATIONS.items()}
        jobs["tutorial"] = (baseline.pop("h5"), run.site / "bench" / "models" / "tutorial", None)
        converted = conversions.convert_models(jobs)
        inputs = {key: conversions.write_inputs(dataset.images, run.site / "bench" / "inputs", sources.file_stem(key))
                  for key, dataset in datasets.items()}
        with RunningServer(run.site) as run.server:
            shown = in_the_browser(run, converted, inputs, baseline)
            say(f"{COLD_STARTS[run.mode]} cold starts, each in a fresh browser profile")
            photo = Path(next(iter(datasets.values())).files[0])
            run.results["cold_start"] = browser.cold_starts(run.server.url, photo, COLD_STARTS[run.mode])
            say("server throughput")
            run.results["server_throughput"] = server_throughput(run.server.url, **THROUGHPUT[run.mode])
        run.results.update(travel.measure(options, keras_model, metadata, run.mode, scratch, say))
    baseline["ours_over_theirs"] = ours_over_theirs(run.results, baseline)
    run.results.update(tutorial=baseline, training_cost=training_cost(metadata, baseline),
                       rebuilt_model_check=published_accuracy_check(metadata, run.results["quality"]))
    run.results["calibration"] = calibration_figures(options, metadata, folder, say)
    run.results["targets"] = target_rows(run.results)
    predictions = {key: {"classes": metadata["classes"], "files": dataset.files, "labels": dataset.labels.tolist(),
                         "keras": keras[key].tolist(), "browser": shown[key]} for key, dataset in datasets.items()}
    return run.results, predictions
