"""results.md: the benchmark's figures as tables a person reads, each target next to what was measured."""
from bench.defaults import QUICK_SAMPLE
from core.artifacts import METADATA, PUBLISHED_MODEL, TRAINING_FACTS
from bench.targets import CROSS_LAB_TEST_ACCURACY
from bench.tutorial import SOURCE as TUTORIAL_SOURCE

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
        *trained_on_line(model.get("sources") or []),
        f"- **Held-out photos** (never trained on): {held_out_line(results)}",
        "",
    ]
    if results["mode"] == "quick":
        lines += ["*Quick run*: per source only its TEST_SIMPLE where it has one, otherwise a sample of its TEST "
                  f"(about {QUICK_SAMPLE} photos, the same share of every class folder, of which each model reads "
                  "the classes it knows); a sample's figures are shown but not judged against the targets. WASM "
                  "only, few repetitions, untrained tutorial network. Run `make bench` for the full figures.", ""]
    return lines


def trained_on_line(sources: list) -> list:
    """From metadata.training.sources: what each lab gave to training and to validation (model choice)."""
    if not sources:
        return []
    parts = [f"{source['name']} ({sum(source['images']['train'].values()):,} photos, validation "
             f"{sum(source['images']['validation'].values()):,} from {source['validation']})" for source in sources]
    return [f"- **Trained on**: {'; '.join(parts)}"]


def split_photos(q: dict) -> str:
    if q["sample"]:
        return f"{q['split']} (a sample of {q['images']:,} of its {q['photos_in_split']:,} photos)"
    return f"{q['split']} ({q['images']:,} photos)"


def held_out_line(results: dict) -> str:
    by_source = {}
    for q in results["quality"].values():
        by_source.setdefault(q["source"], []).append(split_photos(q))
    parts = [f"{source}: {', '.join(splits)}" for source, splits in by_source.items()]
    parts += [f"{name} not measured: {why}" for name, why in results["held_out"]["not_measured"].items()]
    return "; ".join(parts)


def targets_section(results: dict) -> list:
    rows = [[t["target"], t["goal"], t["shown"], t["verdict"]] for t in results["targets"]]
    return ["## Targets", ""] + table(["target", "goal", "measured", "verdict"], rows) + [""]


def metric_cells(m: dict | None) -> list:
    if m is None:  # the browser classified none of the split's photos (its errors say why)
        return ["0"] + ["-"] * 6
    return [f"{m['images']:,}", pct(m["accuracy"]), pct(m["balanced_accuracy"]), num(m["macro_f1"]), num(m["mcc"]),
            num(m["min_recall"]), num(m["macro_roc_auc"])]


def per_class_table(q: dict) -> list:
    """Precision and recall of each class the split has photos of, Keras / browser."""
    keras = q["keras"]["per_class"]
    browser = (q["browser"] or {}).get("per_class") or {name: {"precision": None, "recall": None, "f1": None}
                                                       for name in keras}
    rows = [[name, f"{k['support']:,}", f"{num(k['precision'])} / {num(browser[name]['precision'])}",
             f"{num(k['recall'])} / {num(browser[name]['recall'])}", f"{num(k['f1'])} / {num(browser[name]['f1'])}"]
            for name, k in keras.items() if k["support"]]
    return table(["class", "photos", "precision", "recall", "F1"], rows)


def called_absent_classes(metrics: dict) -> str | None:
    """Photos given a class this split has none of (another lab's class, say): errors no recall shows."""
    matrix, classes = metrics["confusion_matrix"], metrics["classes"]
    called = {name: sum(row[k] for row in matrix) for k, name in enumerate(classes)
              if not metrics["per_class"][name]["support"]}
    called = {name: count for name, count in called.items() if count}
    if not called:
        return None
    return (f"{sum(called.values()):,} photo(s) called a class this split has none of (Keras): "
            + ", ".join(f"{name} {count:,}" for name, count in called.items()) + ".")


def quality_section(results: dict) -> list:
    lines = ["## Quality on held-out splits", "",
             "Keras: the model rebuilt from the published files, on photos prepared by `core/preprocess.py`. "
             "Browser: the real page in headless Chromium, photos picked through its file input. Each split is "
             "scored over the classes it has photos of (the model may still answer any of its "
             f"{len(results['model']['classes'])} classes).", ""]
    rows = [[key, side, *metric_cells(q[side])]
            for key, q in results["quality"].items() for side in ("keras", "browser")]
    lines += table(["source/split", "run by", "images", "accuracy", "balanced accuracy", "macro-F1", "MCC",
                    "lowest recall", "macro ROC AUC"], rows)
    for key, q in results["quality"].items():
        lines += ["", f"Per class on {key} (Keras / browser):", ""] + per_class_table(q)
        absent = called_absent_classes(q["keras"])
        lines += ["", absent] if absent else []
    lines += ["", "Browser against Keras, photo by photo:", ""]
    rows = [[key, f"{a['images']:,}", f"{a['max_abs_difference']:.1e}" if a["max_abs_difference"] is not None
             else NOT_MEASURED, a["top_class_differs"], len(q["browser_errors"])]
            for key, q in results["quality"].items() for a in [q["browser_vs_keras"]]]
    lines += table(["source/split", "photos", "max abs probability difference", "top class differs",
                    "refused by the page"], rows)
    checks = results.get("rebuilt_model_check", {})
    if checks:
        shown = "; ".join(f"{key} {pct(c['rebuilt'])} (training recorded {pct(c['published'])})"
                          for key, c in checks.items())
        lines += ["", f"The rebuilt Keras model scores {shown}."]
    pictures = results.get("confusion_matrices", {})
    lines += [""] + [f"![confusion matrix on {key}]({png})" for key, png in pictures.items()]
    return lines + [""]


def cross_lab_section(results: dict) -> list:
    lines = ["## Across labs", ""]
    cross = results.get("cross_lab")
    if not cross:
        return lines + ["Not measured: the model's metadata has no cross-lab figures (`python -m train.crosslab "
                        "--model models/NAME` before `make convert` writes them).", ""]
    lines += ["From the published metadata (`python -m train.crosslab`; the bench does not retrain them): the same "
              "recipe trained on one lab alone, scored on another lab it never saw, on the photos of the classes the "
              "two share: with the twin answering any of its classes (as the page would), and with its answers "
              "limited to the shared classes (where it knows others the other lab lacks). Target: TEST accuracy "
              f">= {pct(CROSS_LAB_TEST_ACCURACY)} each way, over the shared classes.", ""]
    rows = []
    for pair in cross["pairs"]:
        for answers, parts in (("any of its classes", pair), ("the shared classes", pair.get("shared_classes") or {})):
            found = [parts.get(part) for part in ("validation", "TEST")]
            cells = [cell for part in found for cell in ([f"{part['images']:,}", pct(part["balanced_accuracy"]),
                                                          pct(part["accuracy"])] if part else [NOT_MEASURED] * 3)]
            shared = next((part["classes"] for part in found if part), [])
            rows.append([pair["trained_on"], pair["scored_on"], ", ".join(shared), answers, *cells])
    lines += table(["trained on (alone)", "scored on", "shared classes", "answers among", "validation photos",
                    "validation balanced accuracy", "validation accuracy", "TEST photos", "TEST balanced accuracy",
                    "TEST accuracy"], rows)
    summary = cross.get("summary") or {}
    if summary:
        means = [f"{part} {pct(value)}" for part, value in summary.items() if isinstance(value, float)]
        shared = [f"{part} {pct(value)}" for part, value in (summary.get("shared_classes") or {}).items()
                  if isinstance(value, float)]
        lines += ["", "Mean balanced accuracy over the pairs, answering any class: " + ", ".join(means)
                  + (f"; limited to the shared classes: {', '.join(shared)}" if shared else "")
                  + ". Recipes are ranked by the validation figure answering any class (`python -m train.compare`); "
                  "TEST is reported, never chosen by."]
    return lines + [""]


def previous_row(key: str, label: str, m: dict | None) -> list:
    if m is None:
        return [key, label] + [NOT_MEASURED] * 5
    return [key, label, f"{m['images']:,}", pct(m["accuracy"]), pct(m["balanced_accuracy"]), num(m["macro_f1"]),
            num(m["min_recall"])]


def crop(spec: dict) -> str:
    located = spec.get("locate")
    return f"crop {spec['crop']}" + (f" ({located['crop_fraction']} of the short side)" if located else "") + \
        f", input {'x'.join(map(str, spec['input_size']))}"


def previous_section(results: dict) -> list:
    before, model = results["previous"], results["model"]
    lines = ["## Previous model and now", ""]
    if "skipped" in before:
        return lines + [f"Not compared: {before['skipped']} (`--previous {before['from']}`).", ""]
    lines += [f"Previous: {before['name']} version {before['version']} (`{before['from']}`), "
              f"{len(before['classes'])} classes ({', '.join(before['classes'])}), {crop(before['preprocessing'])}, "
              f"weights {size(before['weight_bytes'])}. Now: {model['name']} version {model['version']}, "
              f"{len(model['classes'])} classes, {crop(model['preprocessing'])}, "
              f"weights {size(model['weight_bytes'])}. "
              "Both are rebuilt in Keras from their published files and each "
              "prepares every photo with its own metadata's preprocessing. The previous model is scored on the "
              "photos of the classes it knows; now is scored on those same photos (where it may still answer a "
              "class the previous model does not know) and on the whole split.", ""]
    rows = []
    for key, scored in before["quality"].items():
        now = results["quality"][key]["keras"]
        rows += [previous_row(key, f"previous ({before['version']})", scored["previous"]),
                 previous_row(key, "now, same photos", scored["now"])]
        if scored["now"] is None or now["images"] != scored["now"]["images"]:
            rows.append(previous_row(key, "now, the whole split", now))
    lines += table(["source/split", "model", "photos", "accuracy", "balanced accuracy", "macro-F1",
                    "lowest recall"], rows)
    not_scored = [f"Not scored on {key}: {why}." for key, why in before["not_scored"].items()]
    return lines + ([""] + not_scored if not_scored else []) + [""]


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
    many = results.get("many_smears") or {"not_measured": "not run"}
    if "not_measured" in many:
        lines += ["", f"**Many photos at once**: not measured ({many['not_measured']})."]
    else:
        lines += ["", f"**Many photos at once**: {many['photos']} whole smear photos picked together took "
                      f"{many['seconds']:.1f} s from the pick to the last result ({many['per_photo_ms']:.0f} ms a "
                      f"photo, finding and classifying {many['cells']} cells)."]
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
    keys = list(results["quality"])
    rows = []
    for name, q in results["quantization"].items():
        rows.append([name, size(q["weight_bytes"]), size(q["model_json_bytes"])]
                    + [pct(q[key]["accuracy"]) for key in keys]
                    + [f"{max(q[key]['max_abs_difference'] for key in keys):.1e}",
                       sum(q[key]["top_class_differs"] for key in keys)])
    lines = ["## Quantization", "",
             "The rebuilt Keras model converted again by `tensorflowjs_converter` (`--quantize_float16`, "
             "`--quantize_uint8`), run on WASM in the page on the same inputs as Keras (every split above).", ""]
    lines += table(["quantization", "weights", PUBLISHED_MODEL] + [f"{key} accuracy" for key in keys]
                   + ["max abs difference vs Keras", "top class differs vs Keras"], rows)
    return lines + [""]


def tutorial_section(results: dict) -> list:
    t, ours = results["tutorial"], results
    r = t["ours_over_theirs"]
    rows = [[f"{key} accuracy (Keras)", pct(q["keras"]["accuracy"]),
             pct(t.get("quality", {}).get(key, {}).get("accuracy")), times(r["accuracy"].get(key))]
            for key, q in ours["quality"].items() if q["source"] == TUTORIAL_SOURCE]
    rows += [["weights", size(ours["model"]["weight_bytes"]), size(t["weight_bytes"]), times(r["weight_bytes"])],
             ["parameters", f"{ours['model']['parameters']:,}",
              f"{t['parameters']:,}" if t.get("parameters") else NOT_MEASURED, ""],
             ["WASM median per image", ms(ours["speed"]["wasm"].get("single_median_ms")),
              ms(t["wasm"].get("single_median_ms")), times(r["wasm_median_ms"])]]
    lines = ["## Against the tutorial baseline", "",
             f"The widely copied Kaggle network (`--arch tutorial`, whole frame), written for {TUTORIAL_SOURCE} "
             f"alone and compared there only: {t['note']}."
             + (f" Ours chooses among its {len(ours['model']['classes'])} classes, the tutorial among the "
                f"{t['classes']} it was trained on." if t["trained"] else ""), ""]
    return lines + table(["", "ours", "tutorial", "ours / tutorial"], rows) + [""]


def cost_row(name: str, cost) -> list:
    if not cost:
        return [name, NOT_MEASURED, NOT_MEASURED, NOT_MEASURED]
    seconds, memory = cost.get("training_seconds"), cost.get("peak_memory_mb")
    return [name, f"{seconds / 60:.1f} min" if seconds else "not recorded",
            f"{memory:,} MB" if memory else "not recorded", cost.get("epochs_run") or NOT_MEASURED]


def cost_section(results: dict) -> list:
    cost = results["training_cost"]
    lines = ["## Training cost", "", f"From the published {METADATA} (ours) and the baseline's {TRAINING_FACTS}: "
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
             f"{t['rounds']} times at once (`bench/loadtest.py`); {verdict}.", ""]
    row = [f"{t['requests']:,}", size(t["bytes"]), f"{t['seconds']:.1f} s", f"{t['requests_per_second']:.0f}",
           f"{t['megabytes_per_second']:.0f} MB/s", str(t["error_count"])]
    return lines + table(["requests", "data", "wall time", "requests per second", "throughput",
                          "errors (incl. wrong bytes)"], [row]) + [""]


def previous_note(part: dict) -> str | None:
    """Why the previous model has no figures here; when it has, how far they are its own page's (None: wholly)."""
    before = part.get("previous") or {"not_measured": "not run"}
    if "not_measured" in before:
        return before["not_measured"]
    filled = before.get("filled_finder_settings")
    if not filled:
        return None
    # An older model's own page cannot be rebuilt from its folder: the figures measure the network, not the
    # smear check and finder it shipped with (which, for b0277e089ad2, refused 27 of tecom's photos).
    return (f"scored through today's colour correction, smear check and finder, with its metadata's settings and "
            f"today's for the {len(filled)} its metadata predates: these rows compare the networks, not the pages "
            "they shipped with")


def section_start(results: dict, key: str, title: str) -> tuple:
    """(the part of the results, its section's first lines): a part not measured gets its reason as its
    whole section."""
    part = results.get(key) or {"not_measured": "not run"}
    lines = [title, ""]
    if "not_measured" in part:
        lines += [f"Not measured: {part['not_measured']}.", ""]
    return part, lines


def cell_finding_section(results: dict) -> list:
    found, lines = section_start(results, "cell_finding", "## Finding white cells in whole fields, per lab")
    if "not_measured" in found:
        return lines
    lines += ["Every white cell of whole field photos with annotated boxes, found as the page finds them: the "
              "model's colour correction, then `core/photo_cells.py` (the twin of `web/js/photo-cells.js`), so a "
              "photo the smear check refuses gives no cells. A hit: the found centre lies inside an annotated "
              "white-cell box, each box matched once, a cell boxed twice counted once (`python -m bench.find_cells`). "
              "Whole cells: the boxes that do not touch the photo's edge."
              + (f" Every {found['every']}th photo of each lab (quick run)." if found["every"] > 1 else ""), ""]
    if found.get("filled_finder_settings"):
        lines += [f"The model's metadata predates finder settings {', '.join(found['filled_finder_settings'])}: "
                  "today's defaults are used for them (`bench/page_cells.py` page_spec).", ""]
    before = (found.get("previous") or {}).get("labs") or {}
    rows = []
    for lab, m in found["labs"].items():
        for label, figures in (("now", m), ("previous", before.get(lab))):
            if figures:
                rows.append([lab, label, figures["smears"], figures["refused"], figures["white_cell_boxes"],
                             figures["found"], figures["hits"], num(figures["recall"]),
                             num(figures.get("whole_cell_recall")), num(figures["precision"])])
    lines += table(["lab", "model", "photos", "refused", "annotated white cells", "found", "hits", "recall",
                    "recall, whole cells", "precision"], rows)
    lines += [f"Not measured on {lab}: {why}." for lab, why in found.get("missing", {}).items()]
    note = previous_note(found)
    lines += ["", f"Previous model: {note}."] if note else []
    pictures = [(lab, m["picture"]) for lab, m in found["labs"].items() if m.get("picture")]
    if pictures:
        lines += ["", "Photos with a miss or an extra find (green: annotated boxes; red: found where no box is), "
                  "drawn beside this file by the run and never kept in git, as they are made of the datasets' photos:"]
        lines += [f"- {lab}: `{picture}`" for lab, picture in pictures]
    return lines + [""]


def calibration_section(results: dict) -> list:
    c = results.get("calibration")
    lines = ["## Calibration and review flags", ""]
    if not c or "not_measured" in c:
        return lines + [f"Not measured: {(c or {}).get('not_measured', 'no calibration figures')}.", ""]
    rule = c["review"]
    lines += [f"Temperature {c['temperature']:.3f} (fitted by `python -m train.calibrate` on the training sources' "
              f"validation parts); a cell is flagged when its top probability is below {rule['min_probability']:.2f} "
              f"or leads the second class by less than {rule['min_margin']:.2f}. Targets: ECE <= 0.05; unflagged "
              "cells right >= 98% with at most 25% flagged. Before: the raw probabilities and the earlier rule.", ""]
    rows = []
    for group, kind in (("validation", "validation"), ("other_labs", "another lab, validation only")):
        for name, parts in c[group].items():
            before, after = parts["uncalibrated"], parts["calibrated"]
            rows.append([f"{name} ({kind})", f"{after['cells']:,}", pct(after["accuracy"]), num(before["ece"]),
                         num(after["ece"]), pct(before["flagged_share"]), pct(after["flagged_share"]),
                         pct(before["unflagged_accuracy"]), pct(after["unflagged_accuracy"])])
    lines += table(["cells of", "cells", "accuracy", "ECE before", "ECE", "flagged before", "flagged",
                    "unflagged right before", "unflagged right"], rows)
    return lines + [""]


def differential(figures: dict) -> str:
    return ", ".join(f"{name} {value:.1%}" for name, value in figures["differential"].items() if value)


def label_free_section(results: dict) -> list:
    checks, lines = section_start(results, "label_free", "## Label-free checks on the field sets")
    if "not_measured" in checks:
        return lines
    lines += ["Every cell the page finds in each lab's fields, classified by the model rebuilt in Keras "
              "(`python -m bench.label_free`). A found cell matching an annotated white-cell box is no platelet "
              "and no erythroblast (target: at most 2%); the differential is each class's share of the found "
              "cells (normal blood: immature granulocytes and basophils a few per cent at most, no erythroblasts); "
              "agreement: the share of found cells whose top class is the same on all 8 flips and quarter turns "
              "of its input.", ""]
    before = (checks.get("previous") or {}).get("labs") or {}
    rows = []
    for lab, m in checks["labs"].items():
        for label, figures in (("now", m), ("previous", before.get(lab))):
            if figures:
                rows.append([lab, label, figures["found_cells"], figures["boxed_found_cells"],
                             pct(figures["boxed_platelet_or_erythroblast_share"]), pct(figures["dihedral_agreement"]),
                             differential(figures)])
    lines += table(["lab", "model", "cells found", "of them boxed", "boxed called platelet or erythroblast",
                    "same class on 8 flips and turns", "predicted differential"], rows)
    note = previous_note(checks)
    return lines + (["", f"Previous model: {note}."] if note else []) + [""]


def tecom_rows_of(label: str, scored: dict) -> list:
    return [label, scored["photos"], scored["refused"], scored["no_cell"], pct(scored["accuracy"]),
            pct(scored["balanced_accuracy"]), ", ".join(f"{name} {value:.0%}" for name, value in scored["recall"].items())]


def confusion_table(scored: dict) -> list:
    answers = sorted({answer for row in scored["confusion"].values() for answer in row})
    rows = [[true, *[row.get(answer, "") for answer in answers]] for true, row in scored["confusion"].items()]
    return table(["true class \\ page's answer", *answers], rows)


def tecom_section(results: dict) -> list:
    scored, lines = section_start(results, "tecom", "## tecom VAL, a lab never trained on")
    if "not_measured" in scored:
        return lines
    lines += [f"Each photo of {scored['split']} as the page takes it: colour correction, the smear check, the "
              "cells of the photo; the answer is the main cell's class (else the first cell's). A refused photo or "
              "one without a cell has no answer and counts as wrong (`python -m bench.tecom`)."
              + (f" Every {scored['every']}th photo (quick run)." if scored.get("every", 1) > 1 else ""), ""]
    before = scored.get("previous") or {}
    rows = [tecom_rows_of("now", scored)] + ([tecom_rows_of(f"previous ({before['model']})", before)]
                                            if "photos" in before else [])
    lines += table(["model", "photos", "refused", "no cell found", "accuracy", "balanced accuracy", "recall per class"],
                   rows)
    if before.get("left_out_unknown_class"):
        lines += ["", f"The previous model was scored on the {before['photos']} photos of the classes it knows "
                      f"({before['left_out_unknown_class']} left out)."]
    note = previous_note(scored)
    lines += ["", f"Previous model: {note}."] if note else []
    return lines + ["", "Confusion of the page's answers (now):", ""] + confusion_table(scored) + [""]


def robustness_section(results: dict) -> list:
    measured, lines = section_start(results, "robustness", "## Robustness: controlled changes against clean")
    if "not_measured" in measured:
        return lines
    lines += [f"A seeded sample (seed {measured['seed']}) of up to {measured['sample']} TEST photos per source, "
              "changed as another camera or microscope would change it (`bench/casts.py`), then taken as the page "
              "takes a photo (colour correction, smear check, main cell); no answer counts as wrong. Accuracy, and "
              "in brackets the points against clean (target: a drop of at most 3 points; "
              "`python -m bench.robustness`).", ""]
    before = (measured.get("previous") or {}).get("sources") or {}
    keys = list(measured["sources"])
    changes = list(next(iter(measured["sources"].values()))["changes"]) if keys else []
    rows = []
    for key in keys:
        for label, source in (("now", measured["sources"][key]), ("previous", before.get(key))):
            if source and source["photos_scored"]:
                rows.append([key, label, source["photos_scored"]]
                            + [f"{pct(source['changes'][c]['accuracy'])} ({source['changes'][c]['points_vs_clean']:+.1f})"
                               if c != "clean" else pct(source["changes"][c]["accuracy"]) for c in changes])
    lines += table(["source", "model", "photos", *changes], rows)
    note = previous_note(measured)
    return lines + (["", f"Previous model: {note}."] if note else []) + [""]


def render(results: dict, command: str) -> str:
    sections = [header(results, command), targets_section(results), quality_section(results),
                cross_lab_section(results), calibration_section(results), previous_section(results),
                cell_finding_section(results), label_free_section(results), tecom_section(results),
                robustness_section(results),
                speed_section(results),
                quantization_section(results), tutorial_section(results), cost_section(results),
                throughput_section(results)]
    return "\n".join(line for section in sections for line in section).rstrip() + "\n"
