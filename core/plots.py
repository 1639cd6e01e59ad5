"""Pictures people read faster than numbers: confusion matrices and learning curves."""
import matplotlib

matplotlib.use("Agg")  # no display on clinic servers or CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from core.files import atomic_path  # noqa: E402


def save_figure(figure, path) -> None:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=120, bbox_inches="tight")
    plt.close(figure)


def plot_confusion_matrix(matrix, classes: list, title: str, path) -> None:
    """Rows: the true classes this split has (another lab's split may lack some); columns: every class."""
    matrix = np.asarray(matrix)
    present = [k for k in range(len(classes)) if matrix[k].sum()] or list(range(len(classes)))
    matrix, rows = matrix[present], [classes[k] for k in present]
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(figsize=(1.3 * len(classes) + 2, 1.1 * len(rows) + 1.5))
    axes.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for (row, col), count in np.ndenumerate(matrix):
        colour = "white" if share[row, col] > 0.5 else "black"
        axes.text(col, row, f"{count}\n{share[row, col]:.0%}", ha="center", va="center", color=colour, fontsize=9)
    axes.set_xticks(range(len(classes)), classes, rotation=30, ha="right")
    axes.set_yticks(range(len(rows)), rows)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    save_figure(figure, path)


def plot_learning_curves(histories: dict, path) -> None:
    """histories maps a run's label ("" for a single run, the seed for ensemble members) to its Keras history."""
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for run, history in histories.items():
        epochs = range(1, len(history["loss"]) + 1)
        prefix = f"{run} " if run else ""
        for axes, metric in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
            train_line, = axes.plot(epochs, history[metric], label=f"{prefix}train")
            axes.plot(epochs, history[f"val_{metric}"], label=f"{prefix}validation", linestyle="--",
                      color=train_line.get_color())
    loss_axes.set_title("loss")
    accuracy_axes.set_title("accuracy")
    for axes in (loss_axes, accuracy_axes):
        axes.set_xlabel("epoch")
        axes.legend()
        axes.grid(alpha=0.3)
    save_figure(figure, path)
