"""bench.adaptation's results as a table (adaptation.md) and a picture (adaptation.png)."""
from pathlib import Path

from bench.adapting import MODES


def chosen_modes(pair: dict) -> dict:
    """Per number of cells, the mode with the better balanced accuracy on the new lab's validation part."""
    best = {}
    for run in pair["fine_tuned"]:
        score = run["validation"]["balanced_accuracy"]
        if run["cells_per_class"] not in best or score > best[run["cells_per_class"]][1]:
            best[run["cells_per_class"]] = (run["mode"], score)
    return {cells: mode for cells, (mode, _) in best.items()}


def figures(scores: dict) -> str:
    return (f"{scores['validation']['balanced_accuracy']:.1%} | {scores['TEST']['balanced_accuracy']:.1%} | "
            f"{scores['TEST']['lab_classes_balanced_accuracy']:.1%} | {scores['home_TEST']['balanced_accuracy']:.1%}")


def pair_table(pair: dict) -> list:
    chosen = chosen_modes(pair)
    lab, home = pair["scored_on"], pair["trained_on"]
    twin = pair.get("twin")
    lines = [f"### Trained on {home} only, adapted to {lab}", ""]
    if twin:
        trained = f", trained {twin['trained'][:10]}" if twin.get("trained") else ""
        lines += [f"The twin: weights {twin['weights']} (the start of their SHA-256){trained}.", ""]
    lines += [f"{lab} has {', '.join(pair['classes'])}; the twin knew {', '.join(pair['shared_classes'])} "
              "of them (a class it never learnt counts as missed until fine-tuning adds it).", "",
              f"| model | {lab} validation | {lab} TEST | TEST, answers limited to its classes | "
              f"{home} TEST (its own lab) |", "| --- | ---: | ---: | ---: | ---: |",
              f"| as trained (never saw {pair['scored_on']}) | {figures(pair['before'])} |",
              f"| recalibrated on {pair['scored_on']}'s unlabelled photos (shift {pair['recalibrated']['shift']:.2f}) | "
              f"{figures(pair['recalibrated'])} |"]
    for run in pair["fine_tuned"]:
        mark = " (chosen on validation)" if chosen[run["cells_per_class"]] == run["mode"] else ""
        lines.append(f"| fine-tuned on {run['cells_per_class']} cells per class, {run['mode']} layers{mark} | "
                     f"{figures(run)} |")
    short = sorted({fewer_drawn(run) for run in pair["fine_tuned"]} - {None})
    if short:
        lines += ["", f"{lab}'s training part has fewer distinct source cells of some classes than asked for, so "
                  f"fewer were drawn (asked: drawn): {'; '.join(short)}."]
    return lines + [""]


def fewer_drawn(run: dict) -> str | None:
    """"50: MONOCYTE 7, ..." when a class had fewer distinct source cells than the run asked for."""
    asked = run["cells_per_class"]
    fewer = [f"{name} {count}" for name, count in run["drawn_per_class"].items() if count < asked]
    return f"{asked}: {', '.join(fewer)}" if fewer else None


def render(result: dict) -> str:
    lines = ["# Adapting to a new lab: a few labelled cells, or unlabelled photos", "",
             f"Written by `python -m bench.adaptation` from {result['model']}'s leave-one-lab-out twins. Balanced "
             "accuracy (the mean of the per-class recalls over the new lab's classes). Fine-tuning runs "
             f"{result['epochs']} epochs on the drawn cells (draw seed {result['seed']}), 15% of them held out for "
             "the run's own validation as `make adapt` does; `head` trains the output layer alone, `all` every "
             "layer but the BatchNorm statistics. Validation parts choose; TEST is reported.", ""]
    for pair in result["pairs"]:
        lines += pair_table(pair)
    lines += ["![Balanced accuracy on the new lab's TEST against labelled cells per class](adaptation.png)", ""]
    return "\n".join(lines)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from core.files import atomic_path

    figure, axes = plt.subplots(1, len(result["pairs"]), figsize=(5.5 * len(result["pairs"]), 4), squeeze=False)
    for axis, pair in zip(axes[0], result["pairs"]):
        for mode, style in zip(MODES, ("o--", "o-")):
            runs = [r for r in pair["fine_tuned"] if r["mode"] == mode]
            axis.plot([r["cells_per_class"] for r in runs], [r["TEST"]["balanced_accuracy"] for r in runs], style,
                      label=f"fine-tuned, {mode} layers")
        for key, colour in (("before", "grey"), ("recalibrated", "tab:green")):
            axis.axhline(pair[key]["TEST"]["balanced_accuracy"], color=colour, linestyle=":",
                         label="as trained" if key == "before" else "recalibrated (no labels)")
        axis.set(title=f"{pair['trained_on']} only -> {pair['scored_on']} TEST", xlabel="labelled cells per class",
                 ylabel="balanced accuracy", ylim=(0, 1), xticks=result["cells_per_class"])
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110)
    plt.close(figure)
