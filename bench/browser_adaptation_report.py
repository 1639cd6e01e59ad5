"""bench/browser_adaptation.json as a section of bench/adaptation.md and a picture."""
from pathlib import Path

from core.files import atomic_path

pct = lambda value: "n/a" if value is None else f"{100 * value:.1f}%"  # noqa: E731


def table(result: dict) -> list:
    lines = ["| reviewed | adaptation | held-out reviewed: before | after | rest (no cell found) | "
             "rest: shipped model | rest: after adapting | cells found, classes of 5+: shipped | after | time to adapt | "
             "longest main-thread task / heartbeat gap |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for step in result["steps"]:
        before = step["rest_before"]
        rest = f"{step['rest']} ({before['no_cell_found']})"
        if step["state"] == "not enabled":
            lines.append(f"| {step['reviewed']} | not enabled: {step['why']} | | | {rest} | "
                         f"{pct(before['balanced_accuracy'])} | | {pct(before['balanced_accuracy_found'])} | | | |")
            continue
        after = step["rest_after"]
        lines.append(f"| {step['reviewed']} | {step['state']} | {pct(step['held_out_before'])} | {pct(step['held_out_after'])} | "
                     f"{rest} | {pct(before['balanced_accuracy'])} | **{pct(after['balanced_accuracy'])}** | "
                     f"{pct(before['balanced_accuracy_found'])} | **{pct(after['balanced_accuracy_found'])}** | "
                     f"{step['seconds']:.1f} s | {step['longest_task_ms']:.0f} ms / {step['longest_heartbeat_gap_ms']:.0f} ms |")
    return lines


def recall_table(result: dict) -> list:
    """Per class, the share of the rest's cells right before and after, for each adaptation."""
    done = [step for step in result["steps"] if step["state"] != "not enabled"]
    if not done:
        return []
    classes = sorted(done[0]["rest_before"]["recalls"])
    lines = ["", "Per class, cells of the rest right (shipped model -> after adapting; a photo with no cell found is wrong):", "",
             "| reviewed | " + " | ".join(classes) + " |", "| ---: |" + " ---: |" * len(classes)]
    for step in done:
        cells = []
        for name in classes:
            before = step["rest_before"]["recalls"].get(name)
            after = step["rest_after"]["recalls"].get(name)
            cells.append(f"{before[0]} -> {after[0]} of {before[1]}" if before and after else "")
        lines.append(f"| {step['reviewed']} | " + " | ".join(cells) + " |")
    return lines


def forgetting_table(result: dict) -> list:
    if not result["forgetting"]:
        return []
    labs = list(result["shipped_on_training_labs"])
    lines = ["", f"Forgetting: balanced accuracy on {result['forgetting_per_class']} TEST cells per class of each training "
             "lab, through the page.", "", "| model | " + " | ".join(f"{lab} TEST" for lab in labs) + " |",
             "| --- |" + " ---: |" * len(labs),
             "| shipped | " + " | ".join(pct(result["shipped_on_training_labs"][lab]["balanced_accuracy"]) for lab in labs) + " |"]
    for reviewed, scores in result["forgetting"].items():
        lines.append(f"| adapted on {reviewed} reviewed cells | "
                     + " | ".join(pct(scores[lab]["balanced_accuracy"]) for lab in labs) + " |")
    return lines


def render(result: dict) -> str:
    lines = ["## In the browser: the page learns the clinic's microscope from the technologist's review", "",
             f"Written by `python -m bench.browser_adaptation` (`make bench-adaptation`) through the real page in headless "
             f"Chromium on this {result['machine']['cpus']}-core machine, with the page's default model. The clinic is "
             f"{result['lab']} ({result['cells']} labelled cells; a lab the shipped model never trained on). A technologist "
             f"meets its cells in a fixed random order (seed {result['seed']}), reviews the first N (confirms the cells the "
             "page has right, corrects the others), presses \"Adapt to this microscope\", and the cells not reviewed yet are "
             "then classified by the page and scored. Balanced accuracy (mean of the per-class recalls over the classes "
             "the rest holds; tecom has one basophil, so the rest holds 4 or 5 classes); a photo in which the page finds no "
             "cell counts as wrong. \"Cells found, classes of 5+\" leaves out those photos and the classes with fewer than 5 "
             "cells in the rest (the one basophil would otherwise weigh as much as the 176 neutrophils). \"Held-out reviewed\" is what the page itself shows before adopting: each "
             "reviewed cell predicted by a head fitted without it (4-fold). The time to adapt is from the click to the "
             "result, features and training in a Web Worker; the page's thread is watched meanwhile (the longest task "
             "Chromium reports over 50 ms, 0 when none, and the longest gap of a 10 ms heartbeat, which also counts the "
             "time the operating system gave the page's thread to other work on this shared machine).", ""]
    lines += table(result) + recall_table(result) + forgetting_table(result)
    lines += ["", "![Balanced accuracy on the rest of the lab against the number of reviewed cells](browser_adaptation.png)", ""]
    return "\n".join(lines)


def write_section(rendered: str, path: Path, begin: str, end: str) -> None:
    """Replaces the section between the markers (or appends it), leaving the rest of the file as it is."""
    text = path.read_text() if path.exists() else ""
    section = f"{begin}\n{rendered}\n{end}\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    with atomic_path(path) as temporary:
        temporary.write_text(text)


def fits_table(result: dict, first: str, label_of, extra: tuple = ()) -> list:
    """The offline fits (bench.adaptation_heads, bench.adaptation_depth) as a table: one row per run,
    the rest of the clinic before and after, and each training lab's TEST after; extra is
    (header, value of a run) columns."""
    labs = list(result["shipped"])
    lines = [f"| {first} | reviewed | rest: shipped | rest: adapted | classes of 5+: shipped | adapted | "
             + " | ".join(f"{lab} TEST (shipped: {pct(result['shipped'][lab])})" for lab in labs)
             + "".join(f" | {header}" for header, _ in extra) + " |",
             "| --- | ---: | ---: | ---: | ---: | ---: |" + " ---: |" * (len(labs) + len(extra))]
    for run in result["runs"]:
        lines.append(f"| {label_of(run)} | {run['cells']} | {pct(run['rest_before'])} | **{pct(run['rest_after'])}** | "
                     f"{pct(run['rest_before_common'])} | **{pct(run['rest_after_common'])}** | "
                     + " | ".join(pct(run["labs"][lab]) for lab in labs)
                     + "".join(f" | {value(run)}" for _, value in extra) + " |")
    return lines


def fits_main(options, run, render, json_name: str, begin: str, end: str) -> int:
    """An offline fit's command: run(options), then its figures as OUT/json_name and its section of
    OUT/adaptation.md."""
    from core.cli import run_stage
    from core.files import write_json

    def work():
        result = run(options)
        write_json(options.out / json_name, result)
        write_section(render(result), options.out / "adaptation.md", begin, end)
        return result

    return run_stage(work, (FileNotFoundError, ValueError),
                     lambda _: f"wrote {options.out}/{json_name} and its section of {options.out}/adaptation.md")


def kept_sections(path: Path, markers: list) -> str:
    """The sections [(begin, end), ...] as they are in the file, to keep when the rest of it is written anew."""
    text = path.read_text() if path.exists() else ""
    kept = [begin + text.split(begin, 1)[1].split(end, 1)[0] + end + "\n" for begin, end in markers
            if begin in text and end in text]
    return "".join("\n" + section for section in kept)


def plot(result: dict, path: Path) -> None:
    from core.plots import plt, save_figure

    steps = [step for step in result["steps"] if step["state"] != "not enabled"]
    figure, axis = plt.subplots(figsize=(6, 4))
    cells = [s["reviewed"] for s in steps]
    axis.plot(cells, [s["rest_before"]["balanced_accuracy"] for s in steps], "o:", color="grey", label="shipped model")
    axis.plot(cells, [s["rest_after"]["balanced_accuracy"] for s in steps], "o-", label="after adapting in the page")
    axis.plot(cells, [s["rest_after"]["balanced_accuracy_found"] for s in steps], "o--",
              label="after adapting, cells found, classes of 5+")
    axis.plot(cells, [s["held_out_after"] for s in steps], "x--", label="held-out reviewed cells (what the page shows)")
    axis.set(xscale="log", ylim=(0, 1), xlabel="reviewed cells",
             ylabel="balanced accuracy", title=f"{result['lab']}: the cells not reviewed yet")
    axis.set_xticks(cells, [str(c) for c in cells])
    axis.minorticks_off()
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="lower right")
    save_figure(figure, path)
