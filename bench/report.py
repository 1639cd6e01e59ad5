"""results.md: the benchmark's figures as tables a person reads, each target next to what was measured."""

NOT_MEASURED = "—"


def pct(value) -> str:
    return NOT_MEASURED if value is None else f"{value:.1%}"


def num(value, digits=3) -> str:
    return NOT_MEASURED if value is None else f"{value:.{digits}f}"


def ms(value) -> str:
    return NOT_MEASURED if value is None else f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def size(count) -> str:
    if count is None:
        return NOT_MEASURED
    if count >= 1e9:
        return f"{count / 1e9:.2f} GB"
    return f"{count / 1e6:.2f} MB ({count:,} bytes)" if count >= 100_000 else f"{count / 1e3:.1f} kB"


def times(value) -> str:
    return NOT_MEASURED if value is None else f"{value:.3g}x"


def table(header: list, rows: list) -> list:
    return ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)] + \
           ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def header(results: dict, command: str) -> list:
    machine, versions, model = results["machine"], results["versions"], results["model"]
    browser = results.get("browser", {})
    ram = f"{machine['ram_bytes'] / 2**30:.0f} GiB RAM" if machine.get("ram_bytes") else "RAM unknown"
    load = machine.get("load_average_1min_at_start")
    lines = [
        "# Leukolens benchmark" + (" (quick: smoke run, not the published figures)" if results["mode"] == "quick" else ""),
        "",
        f"- **Date**: {machine['date']}; `{command}`",
        f"- **Machine**: {machine['cpu']}, {machine['cores']} cores, {ram}, {machine['system']}"
        + (f"; load average {load:.1f} when the run started (other work on the machine makes timings noisy)"
           if load is not None else ""),
        f"- **Browser**: headless Chromium {browser.get('chromium', '?')}, TensorFlow.js {browser.get('tfjs', '?')}"
        f"; the page chose the {browser.get('page_backend', '?')} backend (WASM SIMD "
        f"{'on' if browser.get('wasm_simd') else 'off'}, threads {'on' if browser.get('wasm_threads') else 'off'}); "
        f"WebGL renderer: {browser.get('webgl_renderer', '?')}",
        f"- **Python side**: TensorFlow {versions['tensorflow']}, tf_keras {versions['tf_keras']}, "
        f"tensorflowjs {versions['tensorflowjs']}, Python {versions['python']}",
        f"- **Model**: {model['name']} version {model['version']} ({model['arch']}, {model['parameters']:,} weights, "
        f"input {'x'.join(map(str, model['input_size']))}, quantization {model['quantization'] or 'none'}; "
        f"web/{model['folder']}/)",
        "",
    ]
    if results["mode"] == "quick":
        lines += ["*Quick run*: TEST_SIMPLE only, WASM only, few repetitions, untrained tutorial network. "
                  "Run `make bench` for the full figures.", ""]
    return lines


def targets_section(results: dict) -> list:
    verdict = {True: "met", False: "**not met**", None: "not measured"}
    rows = [[t["target"], t["goal"], t["shown"], verdict[t["met"]]] for t in results["targets"]]
    return ["## Targets", ""] + table(["target", "goal", "measured", "verdict"], rows) + [""]


def quality_section(results: dict) -> list:
    lines = ["## Quality on held-out splits", "",
             "Keras: the model rebuilt from the published files, on photos prepared by `core/preprocess.py`. "
             "Browser: the real page in headless Chromium, photos picked through its file input.", ""]
    rows = []
    for split, q in results["quality"].items():
        for side in ("keras", "browser"):
            m = q[side]
            rows.append([split, side, f"{m['images']:,}", pct(m["accuracy"]), num(m["macro_f1"]), num(m["mcc"]),
                         num(m["min_recall"]), num(m["macro_roc_auc"])])
    lines += table(["split", "run by", "images", "accuracy", "macro-F1", "MCC", "lowest recall", "macro ROC AUC"], rows)
    for split, q in results["quality"].items():
        lines += ["", f"Per class on {split} (Keras / browser):", ""]
        rows = [[name, f"{k['support']:,}", f"{num(k['precision'])} / {num(b['precision'])}",
                 f"{num(k['recall'])} / {num(b['recall'])}", f"{num(k['f1'])} / {num(b['f1'])}"]
                for name, k, b in zip(q["keras"]["classes"], q["keras"]["per_class"].values(),
                                      q["browser"]["per_class"].values())]
        lines += table(["class", "photos", "precision", "recall", "F1"], rows)
    lines += ["", "Browser against Keras, photo by photo:", ""]
    rows = [[split, f"{a['images']:,}", f"{a['max_abs_difference']:.1e}" if a["max_abs_difference"] is not None
             else NOT_MEASURED, a["top_class_differs"], len(q["browser_errors"])]
            for split, q in results["quality"].items() for a in [q["browser_vs_keras"]]]
    lines += table(["split", "photos", "max abs probability difference", "top class differs", "refused by the page"], rows)
    checks = results.get("rebuilt_model_check", {})
    if checks:
        shown = "; ".join(f"{split} {pct(c['rebuilt'])} (training recorded {pct(c['published'])})"
                          for split, c in checks.items())
        lines += ["", f"The rebuilt Keras model scores {shown}."]
    pictures = results.get("confusion_matrices", {})
    lines += [""] + [f"![confusion matrix on {split}]({png})" for split, png in pictures.items()]
    return lines + [""]


def speed_section(results: dict) -> list:
    size_label = "x".join(map(str, results["model"]["input_size"]))
    batch = next((s["batch_size"] for s in results["speed"].values() if s.get("available")), NOT_MEASURED)
    rows = []
    for backend, s in results["speed"].items():
        if not s.get("available"):
            rows.append([backend] + [f"not available: {s.get('reason')}"] + [""] * 5)
            continue
        rows.append([backend, ms(s["load_ms"]), ms(s["first_inference_ms"]), ms(s["single_median_ms"]),
                     ms(s["single_p95_ms"]), ms(s["batch_per_image_median_ms"]),
                     f"{len(s['single_ms'])} single, {len(s['batch_ms'])} batches"])
    lines = ["## Speed in headless Chromium", "",
             f"TensorFlow.js timed inside the page (`bench/harness.js`): `tf.loadLayersModel` from the server on "
             f"loopback (the page had just fetched the same files, so they are revalidated, not downloaded again), "
             f"then one {size_label} input at a time, predict + dataSync, and per-image time in a batch of {batch}. "
             "The page had already warmed up its own copy of the model on wasm, so wasm's first inference "
             "finds its kernels ready.", ""]
    lines += table(["backend", "model load", "first inference", "median per image", "p95 per image",
                    "per image in a batch", "runs"], rows)
    if "webgl" in results["speed"]:
        lines += ["", f"WebGL ran on {results.get('browser', {}).get('webgl_renderer')}: with no GPU in this machine "
                  "that is a software renderer, so its figures say nothing about a laptop's GPU."]
    cold = results["cold_start"]
    lines += ["", f"**Cold start** (fresh browser profile, navigate, pick one photo at once; median of {cold['runs']}): "
              f"first result {ms(cold['first_result_median_ms'])} after navigation start "
              f"(each: {', '.join(f'{t:.0f}' for t in cold['first_result_ms'])} ms); model ready at "
              f"{ms(cold['model_ready_median_ms'])}, photo picked at {ms(cold['photo_picked_median_ms'])}.", "",
              "Bytes a first visit transferred (Performance API resource entries):", ""]
    parts = cold["transferred"]
    lines += table(["part", "files", "transferred (with headers)", "bodies"],
                   [[name, len(p["files"]), size(p["transfer_bytes"]), size(p["body_bytes"])]
                    for name, p in parts.items()])
    return lines + [""]


def quantization_section(results: dict) -> list:
    splits = list(results["quality"])
    rows = []
    for name, q in results["quantization"].items():
        rows.append([name, size(q["weight_bytes"]), size(q["model_json_bytes"])]
                    + [pct(q[split]["accuracy"]) for split in splits]
                    + [f"{max(q[s]['max_abs_difference'] for s in splits):.1e}",
                       sum(q[s]["top_class_differs"] for s in splits)])
    lines = ["## Quantization", "",
             "The rebuilt Keras model converted again by `tensorflowjs_converter` (`--quantize_float16`, "
             "`--quantize_uint8`), run on WASM in the page on the same inputs as Keras.", ""]
    lines += table(["quantization", "weights", "model.json"] + [f"{s} accuracy" for s in splits]
                   + ["max abs difference vs Keras", "top class differs vs Keras"], rows)
    return lines + [""]


def tutorial_section(results: dict) -> list:
    t, ours = results["tutorial"], results
    r = t["ours_over_theirs"]
    rows = [[f"{split} accuracy (Keras)", pct(q["keras"]["accuracy"]),
             pct(t.get("quality", {}).get(split, {}).get("accuracy")), times(r["accuracy"][split])]
            for split, q in ours["quality"].items()]
    rows += [["weights", size(ours["model"]["weight_bytes"]), size(t["weight_bytes"]), times(r["weight_bytes"])],
             ["parameters", f"{ours['model']['parameters']:,}",
              f"{t['parameters']:,}" if t.get("parameters") else NOT_MEASURED, ""],
             ["WASM median per image", ms(ours["speed"]["wasm"].get("single_median_ms")),
              ms(t["wasm"].get("single_median_ms")), times(r["wasm_median_ms"])]]
    lines = ["## Against the tutorial baseline", "",
             f"The widely copied Kaggle network (`--arch tutorial`, whole frame): {t['note']}.", ""]
    return lines + table(["", "ours", "tutorial", "ours / tutorial"], rows) + [""]


def cost_row(name: str, cost) -> list:
    if not cost:
        return [name, NOT_MEASURED, NOT_MEASURED, NOT_MEASURED]
    seconds, memory = cost.get("training_seconds"), cost.get("peak_memory_mb")
    return [name, f"{seconds / 60:.1f} min" if seconds else "not recorded",
            f"{memory:,} MB" if memory else "not recorded", cost.get("epochs_run") or NOT_MEASURED]


def cost_section(results: dict) -> list:
    cost = results["training_cost"]
    lines = ["## Training cost", "", "From the published metadata.json (ours) and the baseline's training.json: "
             "wall time of `python -m train` and its peak resident memory.", ""]
    return lines + table(["model", "wall time", "peak memory", "epochs"],
                         [cost_row("ours", cost["ours"]), cost_row("tutorial", cost["tutorial"])]) + [""]


def throughput_section(results: dict) -> list:
    t = results["server_throughput"]
    distinct = {path: len(hashes) for path, hashes in t["sha256"].items()}
    verdict = ("every body was byte-identical to its file (one SHA-256 per file)" if set(distinct.values()) == {1}
               else f"bodies differed: {distinct} distinct SHA-256 per file")
    lines = ["## Server throughput", "",
             f"{t['clients']} clients on loopback each fetched the whole default model ({len(distinct)} files) "
             f"{t['rounds']} times at once (`server/loadtest.py`); {verdict}.", ""]
    row = [f"{t['requests']:,}", size(t["bytes"]), f"{t['seconds']:.1f} s", f"{t['requests_per_second']:.0f}",
           f"{t['megabytes_per_second']:.0f} MB/s", str(t["error_count"])]
    return lines + table(["requests", "data", "wall time", "requests per second", "throughput",
                          "errors (incl. wrong bytes)"], [row]) + [""]


def render(results: dict, command: str) -> str:
    sections = [header(results, command), targets_section(results), quality_section(results), speed_section(results),
                quantization_section(results), tutorial_section(results), cost_section(results),
                throughput_section(results)]
    return "\n".join(line for section in sections for line in section).rstrip() + "\n"
