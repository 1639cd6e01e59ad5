"""Benchmark stage: the page's default model measured for quality, speed in the browser, size and cost.

python -m bench writes bench/results.md (for people), bench/results.json and bench/predictions.json.
"""

import core.tf_env  # noqa: F401  (before anything imports TensorFlow)
