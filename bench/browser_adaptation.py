"""The in-browser adaptation measured through the real page in headless Chromium: a simulated clinic.

python -m bench.browser_adaptation [--cells 10 20 50 100 200] [--forgetting-at 100 200]

A technologist reviews tecom's cells (a lab the shipped model never trained on; VAL only) in a fixed
random order: the first 10, then up to 20, 50, ... (confirming with button#confirm-cell the cells the
page already has right, correcting the others with their class button), presses "Adapt to this
microscope" after each step, and the cells not reviewed yet are picked again and scored as the page
then classifies them. Balanced accuracy before (the shipped model) and after, the time to adapt, the
longest main-thread task while adapting (PerformanceObserver longtask), and the adapted model's
balanced accuracy on samples of pbc and blood-cells TEST against the shipped model's (forgetting).
Writes its section of bench/adaptation.md, bench/browser_adaptation.json and .png.
"""
import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from core.cli import run_stage
from core.dataset import list_split
from core.files import write_json
from core.paths import REPO, SHARED_DATA
from headless.chromium import clear_results, open_page, pick_files, shown_results, start_chromium, unique_copies
from headless.review import adapt, adaptation_status, review
from headless.site_server import RunningServer

CELLS = (10, 20, 30, 50, 100, 200)
BEGIN, END = "<!-- in-browser adaptation: python -m bench.browser_adaptation -->", "<!-- end of in-browser adaptation -->"
# What was tried and measured by hand around the benches: kept when either bench rewrites the file.
NOTES_BEGIN, NOTES_END = "<!-- notes on adapting in the page: by hand -->", "<!-- end of notes on adapting in the page -->"

UNTHROTTLED = ["--disable-background-timer-throttling", "--disable-renderer-backgrounding",
               "--disable-backgrounding-occluded-windows"]
# While adapting: every long task Chromium reports (over 50 ms), and a heartbeat every 10 ms whose
# longest gap is how long the page's thread was kept from answering a click.
WATCH_MAIN_THREAD = """
window.__longTasks = [];
new PerformanceObserver((list) => { for (const entry of list.getEntries())
  window.__longTasks.push(entry.duration); }).observe({ type: 'longtask' });
window.__heartbeat = { last: performance.now(), longest: 0, running: true };
const beat = () => {
  const now = performance.now();
  window.__heartbeat.longest = Math.max(window.__heartbeat.longest, now - window.__heartbeat.last);
  window.__heartbeat.last = now;
  if (window.__heartbeat.running) setTimeout(beat, 10);
};
setTimeout(beat, 10);
"""
READ_MAIN_THREAD = """
window.__heartbeat.running = false;
return { longest_task_ms: Math.max(0, ...window.__longTasks), long_tasks: window.__longTasks.map(Math.round),
  longest_heartbeat_gap_ms: window.__heartbeat.longest };
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.browser_adaptation", description=__doc__.splitlines()[0])
    parser.add_argument("--lab", type=Path, default=SHARED_DATA / "tecom" / "VAL", help="the clinic's labelled cells")
    parser.add_argument("--cells", type=int, nargs="+", default=list(CELLS), help="reviewed cells before each adaptation")
    parser.add_argument("--forgetting-at", type=int, nargs="*", default=[100, 200],
                        help="after which adaptations to score the training labs' TEST samples")
    parser.add_argument("--forgetting-per-class", type=int, default=50, help="TEST cells per class and lab")
    parser.add_argument("--seed", type=int, default=0, help="the order the technologist meets the cells")
    parser.add_argument("--web", type=Path, default=REPO / "web", help="the site to serve (its default model)")
    parser.add_argument("--out", type=Path, default=Path("bench"))
    return parser.parse_args(argv)


def labelled(split: Path, per_class=None, seed=0) -> list:
    """[(path, class)] of a split, per_class of each class at most (drawn with seed)."""
    listing = list_split(split)
    rng = random.Random(seed)
    chosen = []
    for name in listing.found:
        of_class = [(p, c) for p, c in zip(listing.paths, listing.labels) if c == name]
        chosen += sorted(rng.sample(of_class, min(per_class, len(of_class)))) if per_class else of_class
    return chosen


class Page:
    def __init__(self, driver, folder: Path):
        self.driver = driver
        self.folder = folder

    def classify(self, cells: list) -> dict:
        """Picks the photos into an empty sample; returns {path: (copy name, true class, the page's class or None)}."""
        clear_results(self.driver, seconds=120)
        copies = unique_copies([p for p, _ in cells], self.folder)
        for start in range(0, len(copies), 100):
            pick_files(self.driver, copies[start:start + 100], seconds=900)
        shown = shown_results(self.driver)
        return {str(path): (copy.name, truth, shown[copy.name]["top_class"]) for copy, (path, truth) in zip(copies, cells)}

    def score(self, cells: list) -> dict:
        return scored(self.classify(cells).values())


MIN_CLASS_CELLS = 5  # tecom has one basophil: alone it would weigh as much as its 176 neutrophils


def recalls(pairs) -> dict:
    """{true class: [right, cells]}."""
    counts = {}
    for truth, predicted in pairs:
        right_total = counts.setdefault(truth, [0, 0])
        right_total[0] += predicted == truth
        right_total[1] += 1
    return counts


def balanced_accuracy(counts: dict, min_cells: int = 1):
    """Mean over the classes with at least min_cells cells of the share predicted right."""
    kept = [right / total for right, total in counts.values() if total >= min_cells]
    return sum(kept) / len(kept) if kept else None


def scored(answers) -> dict:
    """Balanced accuracy over every photo (one with no cell found is wrong), and over the photos in which the
    page found a cell, of the classes with at least MIN_CLASS_CELLS of them."""
    answers = list(answers)
    every = recalls((truth, predicted) for _, truth, predicted in answers)
    found = recalls((truth, predicted) for _, truth, predicted in answers if predicted is not None)
    return {"balanced_accuracy": balanced_accuracy(every), "balanced_accuracy_found": balanced_accuracy(found, MIN_CLASS_CELLS),
            "accuracy": sum(right for right, _ in every.values()) / max(1, len(answers)),
            "cells": len(answers), "no_cell_found": sum(predicted is None for _, _, predicted in answers),
            "recalls": every, "recalls_found": found}


def run(options) -> dict:
    order = labelled(options.lab)
    random.Random(options.seed).shuffle(order)
    training_labs = {lab: labelled(SHARED_DATA / lab / "TEST", options.forgetting_per_class, options.seed)
                     for lab in ("pbc", "blood-cells")}
    steps, forgetting = [], {}
    with RunningServer(options.web) as server, tempfile.TemporaryDirectory(prefix="leukolens-clinic-") as scratch:
        # Timers of a page Chromium counts as in the background are throttled (to one a second and less),
        # which the heartbeat would report as the page's thread being blocked.
        driver = start_chromium(Path(scratch) / "profile", extra_flags=UNTHROTTLED)
        try:
            open_page(driver, server.url, seconds=120)
            page = Page(driver, Path(scratch))
            shipped = {lab: page.score(cells) for lab, cells in training_labs.items()}
            unadapted = page.classify(order)
            reviewed = 0
            for target in [n for n in options.cells if n < len(order)]:
                print(f"reviewing cells {reviewed + 1} to {target}, adapting", file=sys.stderr, flush=True)
                answers = page.classify(order[reviewed:target])
                actions = review(driver, {name: truth for name, truth, _ in answers.values()})
                reviewed = target
                rest = order[target:]
                if not adaptation_status(driver)["adapt_enabled"]:
                    steps.append({"reviewed": target, "actions": actions, "state": "not enabled", "rest": len(rest),
                                  "why": driver.find_element("id", "adapt-why").text,
                                  "rest_before": scored(unadapted[str(path)] for path, _ in rest)})
                    continue
                driver.execute_script(WATCH_MAIN_THREAD)
                started = time.monotonic()
                status = adapt(driver, seconds=900)
                seconds = time.monotonic() - started
                step = {"reviewed": target, "actions": actions, "state": status["state"], "held_out_before": status["before"],
                        "held_out_after": status["after"], "seconds": seconds, "page_seconds": status["seconds"],
                        **driver.execute_script(READ_MAIN_THREAD), "kept": status["reviewed"], "model": status["model"],
                        "rest": len(rest)}
                rest = order[target:]
                step["rest_before"] = scored(unadapted[str(path)] for path, _ in rest)
                step["rest_after"] = page.score(rest)
                steps.append(step)
                print(f"  {step['state']}: rest {step['rest_before']['balanced_accuracy']:.3f} -> "
                      f"{step['rest_after']['balanced_accuracy']:.3f}, {seconds:.1f} s", file=sys.stderr, flush=True)
                if target in options.forgetting_at:
                    forgetting[target] = {lab: page.score(cells) for lab, cells in training_labs.items()}
        finally:
            driver.quit()
    lab = options.lab.relative_to(SHARED_DATA) if options.lab.is_relative_to(SHARED_DATA) else options.lab
    return {"lab": str(lab), "cells": len(order), "seed": options.seed, "steps": steps, "shipped_on_training_labs": shipped,
            "forgetting": forgetting, "forgetting_per_class": options.forgetting_per_class,
            "machine": {"cpus": os.cpu_count()}}


def main(argv=None) -> int:
    options = parse_args(argv)

    def work():
        result = run(options)
        options.out.mkdir(parents=True, exist_ok=True)
        write_json(options.out / "browser_adaptation.json", result)
        from bench.browser_adaptation_report import plot, render, write_section

        plot(result, options.out / "browser_adaptation.png")
        write_section(render(result), options.out / "adaptation.md", BEGIN, END)
        return result

    return run_stage(work, (FileNotFoundError, ValueError, RuntimeError),
                     lambda _: f"wrote its section of {options.out}/adaptation.md, browser_adaptation.json and .png")


if __name__ == "__main__":
    sys.exit(main())
