"""The page's default model as published under WEB_ROOT/models/, and its Keras twin rebuilt from those files.

A clean clone has no models/ folder with the training run's .h5, so the Keras model is rebuilt from
model.json and the weight shards themselves (tensorflowjs's own loader), which also means the bench
measures exactly the weights the page serves.
"""
from pathlib import Path

from core.artifacts import PublishedVersion, is_weight_shard


def weight_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in Path(folder).iterdir() if is_weight_shard(path.name))


def rebuild_keras(folder: Path):
    """The tf_keras model in folder/model.json with its published weights."""
    import tensorflow as tf  # TensorFlow loads slowly

    # The loader compiles the model without metrics, and TensorFlow warns about that at every save
    # and predict; nothing here trains or evaluates through compile().
    tf.get_logger().setLevel("ERROR")
    return PublishedVersion(folder).load()
