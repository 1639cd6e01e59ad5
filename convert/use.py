"""Make another published model the one the page loads: python -m convert.use NAME (or --folder FOLDER_OR_ZIP)

Every model convert published stays under web/models/NAME/ until another of the same name replaces
it, so a clinic can publish a retrained model without making it the default (python -m convert
without --default), try it, and switch; or switch back to the shipped one. One atomic rewrite of
web/models/index.json: pages pick it up on their next load. --folder publishes a model folder made
elsewhere (the page's "Export adapted model") and makes it the default (convert/imported.py).
"""
import argparse
import sys
from pathlib import Path

from convert.publish import read_index
from core.artifacts import INDEX
from core.cli import run_stage
from core.files import write_json
from core.paths import WEB_MODELS


def use_model(name: str, out: Path) -> dict:
    index = read_index(out)
    names = [entry.get("name") for entry in index.get("models", [])]
    if name not in names:
        listed = ", ".join(names) or "none"
        raise ValueError(f"no model named {name} is published in {out} (published: {listed})")
    write_json(out / INDEX, {**index, "default": name})
    return index


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convert.use", description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help="a published model's name (web/models/NAME/)")
    parser.add_argument("--folder", type=Path, help="publish this model folder (or the .zip the page exported) "
                        "and make it the default")
    parser.add_argument("--out", type=Path, default=WEB_MODELS, help="the page's models folder (default: %(default)s)")
    options = parser.parse_args(argv)
    if (options.name is None) == (options.folder is None):
        parser.error("give a published model's NAME or --folder, one of the two")
    if options.folder:
        from convert.imported import publish_folder

        return run_stage(lambda: publish_folder(options.folder, options.out), (FileNotFoundError, ValueError),
                         lambda published: f"published {published}; the page now loads it")
    return run_stage(lambda: use_model(options.name, options.out), (ValueError,),
                     lambda _: f"the page now loads {options.name} (from {options.out / INDEX})")


if __name__ == "__main__":
    sys.exit(main())
