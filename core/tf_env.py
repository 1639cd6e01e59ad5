"""TensorFlow's environment, set in one place, before TensorFlow is first imported.

tf_keras (Keras 2) because TensorFlow.js 4.22 cannot load the InputLayer Keras 3 writes; quiet
C++ start-up chatter; and the decision-forests banner, which imports IPython (not installed)
when stdout is not a terminal. The train, convert and bench packages and the tests import this
module first; subprocesses that run TensorFlow get `subprocess_environment()`.
"""
import os

REQUIRED = {"TF_USE_LEGACY_KERAS": "1"}
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2", "TFDF_DISABLE_WELCOME_MESSAGE": "1"}


def configure() -> None:
    os.environ.update(REQUIRED)
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)


def subprocess_environment() -> dict:
    configure()
    return dict(os.environ)


configure()
