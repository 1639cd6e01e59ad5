"""Convert stage: a Keras .h5 in, a checked TensorFlow.js model with metadata.json published under web/models/."""

import core.tf_env  # noqa: F401  (before anything imports TensorFlow)
