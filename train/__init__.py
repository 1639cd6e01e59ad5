"""Training stage: folder-per-class images in, a Keras .h5 model with metrics and pictures out."""

import core.tf_env  # noqa: F401  (before anything imports TensorFlow)
