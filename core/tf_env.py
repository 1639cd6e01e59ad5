"""TensorFlow's environment, set in one place, before TensorFlow is first imported.

tf_keras (Keras 2) because TensorFlow.js 4.22 cannot load the InputLayer Keras 3 writes; quiet
C++ start-up chatter; and the decision-forests banner, which imports IPython (not installed)
when stdout is not a terminal; one BLAS thread for numpy. The train, convert and bench packages
and the tests import this module first; subprocesses that run TensorFlow get `subprocess_environment()`.
"""
import os

REQUIRED = {"TF_USE_LEGACY_KERAS": "1"}
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2", "TFDF_DISABLE_WELCOME_MESSAGE": "1"}
# numpy's OpenBLAS spins a thread per core for every small matrix product; on a busy 2-core laptop
# that made resizing a crop 10-20 times slower (measured). Preprocessing runs one process per core instead.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1"}


def configure() -> None:
    os.environ.update(REQUIRED)
    for key, value in {**QUIET, **ONE_BLAS_THREAD}.items():
        os.environ.setdefault(key, value)


def subprocess_environment() -> dict:
    configure()
    return dict(os.environ)


configure()
