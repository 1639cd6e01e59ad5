"""The calibration section of the bench (bench/calibration.py): its targets judged per source and on the
lab never trained on, and the section put into results.md in place, leaving the rest as it was."""
from bench.calibration import replace_section, section_text
from bench.targets import calibration_rows, target_rows


def part(ece: float, flagged: float, unflagged_right: float) -> dict:
    figures = {"cells": 100, "accuracy": 0.9, "ece": ece, "flagged_share": flagged, "unflagged_accuracy": unflagged_right}
    return {"uncalibrated": {**figures, "ece": ece + 0.05}, "calibrated": figures}


CALIBRATION = {"temperature": 0.635, "review": {"min_probability": 0.9, "min_margin": 0.0},
               "validation": {"lab-a": part(0.03, 0.20, 0.985), "lab-b": part(0.06, 0.30, 0.97)},
               "other_labs": {"tecom": part(0.37, 0.58, 0.47)}}
MODEL = {"name": "leukolens-cnn", "version": "abc123", "date": "2026-12-04T21:00:00+00:00"}


def test_each_source_and_the_other_lab_is_judged_on_every_calibration_target():
    verdicts = {row["target"]: row["met"] for row in calibration_rows({"calibration": CALIBRATION})}
    assert verdicts == {
        "calibration: lab-a validation ECE": True, "calibration: lab-a validation unflagged cells right": True,
        "calibration: lab-a validation cells flagged for review": True,
        "calibration: lab-b validation ECE": False, "calibration: lab-b validation unflagged cells right": False,
        "calibration: lab-b validation cells flagged for review": False,
        "calibration: tecom (never trained on) ECE": False,
        "calibration: tecom (never trained on) unflagged cells right": False,
        "calibration: tecom (never trained on) cells flagged for review": False}
    [unmeasured] = calibration_rows({"calibration": {"not_measured": "not in a quick run"}})
    assert unmeasured["met"] is None and unmeasured["verdict"] == "not measured"


def test_the_bench_targets_include_the_calibration_targets():
    results = {"model": {"input_size": [80, 80]}, "calibration": CALIBRATION}
    assert {"calibration: tecom (never trained on) ECE"} <= {row["target"] for row in target_rows(results)}


def test_the_section_goes_in_place_and_replaces_itself():
    results = "# Leukolens benchmark\n\n## Across labs\n\nx\n\n## Previous model and now\n\ny\n"
    section = section_text(CALIBRATION, MODEL, "python -m bench.calibration")
    assert "Measured on leukolens-cnn abc123" in section and "| tecom (another lab, validation only) | 100 |" in section
    once = replace_section(results, section)
    assert once.index("## Across labs") < once.index("## Calibration and review flags") < once.index("## Previous")
    again = replace_section(once, section_text(CALIBRATION, {**MODEL, "version": "def456"}, "python -m bench.calibration"))
    assert again.count("## Calibration and review flags") == 1 and "def456" in again and "abc123" not in again
    before, after = again.split("## Calibration and review flags")
    assert before == "# Leukolens benchmark\n\n## Across labs\n\nx\n\n" and after.endswith("|\n\n## Previous model and now\n\ny\n")  # a blank line ends the table
