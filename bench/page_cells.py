"""A photo as the page sees it, for the bench's measurements of finding and classifying: the model's own
preprocessing, its colour correction (core/preprocess.py corrected_rgb), the cells of the photo
(core/photo_cells.py: a photo the smear check refuses has none, as on the page) and each cell's input.
"""
import numpy as np

from core.annotated_fields import square_centre
from core.finder import default_finder_spec
from core.photo_cells import photo_cells
from core.preprocess import corrected_rgb, load_rgb, square_input

NO_ANSWER = "no answer"  # a refused photo, or one with no white cell: the page gives it no class


def page_spec(preprocessing: dict) -> tuple:
    """(spec, finder settings filled in): the model's preprocessing, with any finder setting its metadata
    predates (the smear check's, say) taken from today's defaults, so that an older model is measured
    with the finder the page runs now rather than failing on a missing key."""
    spec = dict(preprocessing)
    if "finder" not in spec:
        return spec, []
    defaults = default_finder_spec()
    filled = sorted(set(defaults) - set(spec["finder"]))
    spec["finder"] = {**defaults, **spec["finder"]}
    return spec, filled


def cells_of(rgb: np.ndarray, spec: dict, change=None) -> dict:
    """photo_cells of a decoded photo (after `change`, what another camera does to it, if any), with each
    cell's centre and model input."""
    corrected = corrected_rgb(rgb if change is None else change(rgb), spec)
    found = photo_cells(corrected, spec)
    found["centres"] = [square_centre(cell["square"]) for cell in found["cells"]
                        if cell["square"] is not None]
    found["inputs"] = [square_input(corrected, cell["square"], spec) for cell in found["cells"]]
    return found


def photo_input(path, spec: dict, change=None):
    """(the model's input for the photo's cell, status): the main cell (photo_cells' "main"; when none, the
    first cell), as the page answers a photo of one cell; None for a refused photo or one with no cell."""
    found = cells_of(load_rgb(path, spec.get("transparency", "white_background")), spec, change)
    if not found["inputs"]:
        return None, found["status"]
    return found["inputs"][found["main"] if found["main"] is not None else 0], found["status"]


def dihedral(inputs: np.ndarray) -> np.ndarray:
    """The 8 flips and quarter turns of each N x H x W x 3 input: 8 x N x H x W x 3."""
    turns = [np.rot90(inputs, k, axes=(1, 2)) for k in range(4)]
    return np.stack(turns + [turn[:, :, ::-1] for turn in turns])


def predict(model, inputs: list) -> np.ndarray:
    """N x classes probabilities (float64) of the inputs, in batches."""
    if not len(inputs):
        return np.zeros((0, model.output_shape[-1]))
    stacked = np.asarray(inputs, np.float32)
    return np.concatenate([np.asarray(model.predict_on_batch(stacked[start:start + 256]), np.float64)
                           for start in range(0, len(stacked), 256)])


def photo_answers(model, classes: list, spec: dict, paths: list, change=None) -> tuple:
    """(the page's class for each photo of one cell, or NO_ANSWER; each photo's photo_cells status)."""
    inputs, statuses = zip(*(photo_input(path, spec, change) for path in paths)) if paths else ((), ())
    answered = [i for i, cell in enumerate(inputs) if cell is not None]
    top = predict(model, [inputs[i] for i in answered]).argmax(axis=1)
    answers = [NO_ANSWER] * len(paths)
    for i, k in zip(answered, top):
        answers[i] = classes[k]
    return answers, list(statuses)


def score(truth: list, answers: list) -> dict:
    """Accuracy and balanced accuracy (the mean recall over the classes truth holds) with every photo left
    without an answer counted wrong, and the confusion {true class: {answer: count}}."""
    present = sorted(set(truth))
    confusion = {name: {} for name in present}
    for true, answer in zip(truth, answers):
        confusion[true][answer] = confusion[true].get(answer, 0) + 1
    recalls = {name: confusion[name].get(name, 0) / sum(confusion[name].values()) for name in present}
    return {"photos": len(truth), "correct": sum(t == a for t, a in zip(truth, answers)),
            "no_answer": answers.count(NO_ANSWER),
            "accuracy": sum(t == a for t, a in zip(truth, answers)) / len(truth) if truth else None,
            "balanced_accuracy": sum(recalls.values()) / len(recalls) if recalls else None,
            "recall": recalls, "confusion": confusion}
