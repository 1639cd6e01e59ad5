"""The published calibration and review flags measured again, for `make bench` and on their own.

python -m bench.calibration [--web-root web] [--data SOURCE ...] [--out bench]

For the page's default model: expected calibration error (ECE), the share of cells flagged for review
and how often the unflagged cells are right, on each training source's validation part and on each
validation-only lab (tecom), with the model's own temperature and review rule (train/calibrate.py), from
the page's own TensorFlow.js answers. On its own it writes travel/calibration.json and puts the section,
and its targets, into results.md in place (saying which model it measured), so the figures can follow a
new model without re-running the whole bench.
"""
import argparse
import sys
from pathlib import Path

from bench import sources
from core.cli import run_stage
from core.dataset import DatasetError
from core.files import atomic_path, write_json
from core.model_index import NoModel, default_model
from core.paths import default_dataset

SECTION = "## Calibration and review flags"
NEXT_SECTION = "## Previous model and now"  # the section report.render puts after it


def measure(metadata: dict, folder: Path, data: list, say=print) -> dict:
    """The calibration figures of a published model folder; data: --data's folders (default: its sources)."""
    from train import calibrate  # TensorFlow loads slowly

    trained = {source["name"] for source in metadata.get("training", {}).get("sources", [])}
    folders = [path for path in sources.source_folders(data, metadata) if path.name in trained]
    others = [Path(default_dataset(name)) for name in calibrate.DEFAULT_OTHER_LABS if Path(default_dataset(name)).is_dir()]
    say("calibration: the published model on each source's validation part and on "
        + (", ".join(p.name for p in others) or "no other lab"))
    return calibrate.measure_published(folder, metadata, folders, others)


def section_text(calibration: dict, model: dict, command: str) -> str:
    """The results.md section, saying which model it measured and how."""
    from bench.report import calibration_section, table
    from bench.targets import calibration_rows

    lines = calibration_section({"calibration": calibration})
    lines[2:2] = [f"Measured on {model['name']} {model['version']} by `{command}` ({model['date']}), on its own: "
                  "the sections above and below may describe the model of the last whole `make bench`.", ""]
    rows = [[t["target"], t["goal"], t["shown"], t["verdict"]] for t in calibration_rows({"calibration": calibration})]
    return "\n".join(lines + table(["target", "goal", "measured", "verdict"], rows) + [""])


def replace_section(markdown: str, section: str) -> str:
    """results.md with its calibration section replaced, or put where report.render puts it."""
    if SECTION in markdown:
        start = markdown.index(SECTION)
        end = markdown.find("\n## ", start + len(SECTION))
        return markdown[:start] + section + ("\n" + markdown[end + 1:] if end >= 0 else "")
    if NEXT_SECTION in markdown:
        at = markdown.index(NEXT_SECTION)
        return markdown[:at] + section + "\n" + markdown[at:]
    return markdown.rstrip("\n") + "\n\n" + section


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calibration", description=__doc__.splitlines()[0])
    parser.add_argument("--web-root", type=Path, default=Path("web"), help="site whose default model is measured")
    parser.add_argument("--data", type=Path, action="append",
                        help="a source the model was trained on (repeatable; default: those it names, in ../shared/data)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="holds results.md (default: %(default)s)")
    options = parser.parse_args(argv)

    def run():
        import datetime

        metadata, folder = default_model(options.web_root / "models")
        calibration = measure(metadata, folder, options.data, say=lambda text: print(text, file=sys.stderr))
        if "not_measured" in calibration:
            raise ValueError(calibration["not_measured"])
        model = {"name": metadata["name"], "version": metadata["version"],
                 "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        write_json(options.out / "travel" / "calibration.json", {"model": model, "calibration": calibration})
        results = options.out / "results.md"
        markdown = results.read_text(encoding="utf-8") if results.is_file() else "# Leukolens benchmark\n"
        with atomic_path(results) as temporary:
            temporary.write_text(replace_section(markdown, section_text(calibration, model, "python -m bench.calibration")),
                                 encoding="utf-8")
        return results

    return run_stage(run, (FileNotFoundError, NoModel, DatasetError, ValueError),
                     lambda results: f"wrote {results} (its calibration section) and {options.out / 'travel' / 'calibration.json'}")


if __name__ == "__main__":
    sys.exit(main())
