"""python -m convert --model models/NAME: convert, check against Keras, publish to web/models/."""
import argparse
import sys
from pathlib import Path

from convert.tfjs_check import ParityError
from core.cli import run_stage
from core.paths import DEFAULT_MODEL_NAME, MODELS, WEB_MODELS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m convert",
                                     description="Convert a trained Keras model for the browser and publish it.")
    parser.add_argument("--model", default=str(MODELS / DEFAULT_MODEL_NAME),
                        help="folder written by `python -m train` (default: %(default)s)")
    parser.add_argument("--out", default=str(WEB_MODELS), help="the page's models folder (default: %(default)s)")
    parser.add_argument("--quantize", choices=["none", "float16", "uint8"], default="float16",
                        help="store weights in fewer bits (default: %(default)s, half the size; convert checks the "
                             "browser still gives the trained model's answers to 1e-2)")
    parser.add_argument("--data", action="append", help="a source of parity-check images (repeatable; default: the "
                        "sources it was trained on)")
    parser.add_argument("--default", action="store_true", help="make this the model the page loads")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    options = parse_args(argv)
    from convert.convert import convert_model  # TensorFlow loads slowly; keep --help instant

    quantization = None if options.quantize == "none" else options.quantize
    return run_stage(lambda: convert_model(Path(options.model), Path(options.out), quantization, options.data,
                                           options.default),
                     (FileNotFoundError, ValueError, ParityError), lambda published: f"published {published}")


if __name__ == "__main__":
    sys.exit(main())
