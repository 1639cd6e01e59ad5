"""How far the model travels, for `make bench`: cell finding and the label-free checks on whole fields
of every lab, tecom VAL scored as the page would, and the robustness table; each for the model
measured and, where the measurement applies to it, for the previous model.

Whatever is absent (a data folder, the previous model) is a reason in the results, never a failed bench.
"""
from pathlib import Path

from bench import find_cells, label_free, previous, published, robustness, tecom
from bench.defaults import ROBUSTNESS_SAMPLE
from bench.page_cells import page_spec
from core.annotated_fields import field_photos
from core.dataset import list_split
from core.files import read_json

# A quick run reads about this many field photos of each lab, and of tecom (every Nth photo).
QUICK_PHOTOS = {"fields": 12, "tecom": 30}


def every_nth(mode: str, photos: int, part: str) -> int:
    return 1 if mode == "full" else max(1, photos // QUICK_PHOTOS[part])


class Model:
    """A published model rebuilt in Keras, with what the bench needs of its metadata."""

    def __init__(self, keras_model, metadata: dict):
        self.keras, self.metadata = keras_model, metadata
        self.classes = metadata["classes"]
        self.spec, self.filled_finder_settings = page_spec(metadata["preprocessing"])

    @property
    def name(self) -> str:
        return f"{self.metadata['name']} {self.metadata['version']}"

    @property
    def finds_cells(self) -> bool:
        return "finder" in self.spec


def fields(model: Model, datas: list, out: Path, mode: str, say) -> tuple:
    """(cell finding, label-free checks) per lab, from one pass over each lab's fields."""
    if not model.finds_cells:
        why = {"not_measured": f"{model.name} finds no cells (crop {model.spec['crop']}): it sees a photo as one cell"}
        return why, dict(why)
    present = [Path(data) for data in datas if (Path(data) / "Annotations").is_dir()]
    missing = {find_cells.lab_name(data): f"no annotated fields at {data}" for data in datas
               if Path(data) not in present}
    finding, checks, every = {}, {}, 1
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
    for data in present:
        every = max(every, every_nth(mode, len(field_photos(data)), "fields"))
        say(f"{model.name}: finding and classifying the white cells of {data.name}"
            + (f" (every {every}th photo)" if every > 1 else ""))
        results = find_cells.lab_results(data, model.spec, label_free.cell_verdicts(model.keras, model.classes), every)
        lab = find_cells.lab_name(data)
        finding[lab] = find_cells.lab_figures(data, results, out) if out else find_cells.summary(results)
        checks[lab] = label_free.lab_checks(results, model.classes)
    return ({"every": every, "labs": finding, "missing": missing,
             "filled_finder_settings": model.filled_finder_settings},
            {"every": every, "labs": checks, "missing": missing})


def tecom_scores(model: Model, data: Path, mode: str, say) -> dict:
    if not (Path(data) / tecom.SPLIT).is_dir():
        return {"not_measured": f"no {tecom.SPLIT}/ folder at {data} (--tecom)"}
    every = every_nth(mode, len(list_split(Path(data) / tecom.SPLIT).paths), "tecom")
    say(f"{model.name}: tecom {tecom.SPLIT} as the page scores it")
    return tecom.measure(model.keras, model.classes, model.spec, data, every)


def robustness_table(model: Model, datas: list, size: int, say) -> dict:
    present = [Path(data) for data in datas if (Path(data) / robustness.SPLIT).is_dir()]
    if not present:
        return {"not_measured": f"no {robustness.SPLIT}/ folder in {', '.join(map(str, datas))}"}
    say(f"{model.name}: the robustness table on {', '.join(data.name for data in present)}")
    return robustness.measure(model.keras, model.classes, model.spec, present, size)


def previous_model(where: str, scratch: Path) -> Model:
    folder = previous.model_folder(where, scratch)
    metadata = read_json(folder / previous.METADATA, "the previous model's metadata")
    return Model(published.rebuild_keras(folder), metadata)


def measure(options, keras_model, metadata: dict, mode: str, scratch: Path, say) -> dict:
    """{"cell_finding", "label_free", "tecom", "robustness"}, each with the previous model's beside it."""
    now = Model(keras_model, metadata)
    measured = dict(zip(("cell_finding", "label_free"), fields(now, options.fields, options.out, mode,
                                                               say)))
    measured["tecom"] = tecom_scores(now, options.tecom, mode, say)
    measured["robustness"] = robustness_table(now, options.robustness_data, ROBUSTNESS_SAMPLE[mode], say)
    try:
        before = previous_model(options.previous, scratch / "previous-travel")
    except (previous.Unavailable, OSError, ValueError, KeyError) as error:
        for part in measured.values():
            part["previous"] = {"not_measured": f"the previous model could not be read: {error}"}
        return measured
    cells, checks = fields(before, options.fields, None, mode, say)
    measured["cell_finding"]["previous"], measured["label_free"]["previous"] = cells, checks
    measured["tecom"]["previous"] = tecom_scores(before, options.tecom, mode, say)
    measured["robustness"]["previous"] = robustness_table(before, options.robustness_data, ROBUSTNESS_SAMPLE[mode],
                                                          say)
    for part in measured.values():
        part["previous"].update(model=before.name, filled_finder_settings=before.filled_finder_settings)
    return measured
