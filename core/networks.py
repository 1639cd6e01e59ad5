"""Network builders. tf_keras (Keras 2) because TensorFlow.js 4.22 cannot load Keras 3's InputLayer."""
import tf_keras as keras
from tf_keras import layers


def build_model(arch: str, input_size: int, num_classes: int, normalise: str = "none") -> keras.Model:
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown --arch {arch!r}; choose from {', '.join(ARCHITECTURES)}")
    if normalise not in NORMALISATIONS:
        raise ValueError(f"unknown --normalise {normalise!r}; choose from {', '.join(NORMALISATIONS)}")
    inputs = keras.Input(shape=(input_size, input_size, 3), name="image")
    # Scaling lives in the graph so Keras and the converted tfjs model share it for free.
    scaled = layers.Rescaling(1.0 / 255, name="scale")(inputs)
    if normalise == "per_image":
        # Each colour channel to mean 0, spread 1 over the crop: how strongly a smear was stained
        # and the camera's colour cast stop mattering. In the graph, so the browser does it too.
        scaled = layers.LayerNormalization(axis=[1, 2], center=False, scale=False, epsilon=1e-3,
                                           name="stain_normalise")(scaled)
    outputs = ARCHITECTURES[arch](scaled, num_classes)
    return keras.Model(inputs, outputs, name=arch)


def compact(x, num_classes):
    """A small conv net (~240k weights): four conv blocks, global pooling, softmax."""
    for width in (32, 64, 128):
        x = conv_block(x, width)
        x = layers.MaxPooling2D()(x)
    x = conv_block(x, 128)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    return layers.Dense(num_classes, activation="softmax", name="probabilities")(x)


def conv_block(x, width, kernel=3):
    return batch_norm_relu(layers.Conv2D(width, kernel, padding="same", use_bias=False)(x))


def batch_norm_relu(x):
    # Keras's default momentum (0.99) let the moving statistics lag the fast-changing weights,
    # so inference sat at chance while training accuracy climbed; 0.9 tracks them.
    x = layers.BatchNormalization(momentum=0.9)(x)
    return layers.ReLU()(x)


def separable(x, num_classes):
    """Depthwise-separable blocks (MobileNet-style), about a sixth of compact's multiply-adds, for
    fast in-browser inference: a full conv at 80x80, then stride-2 separable blocks down to 10x10."""
    x = conv_block(x, 16)
    for width, stride in ((32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1)):
        # Depthwise then pointwise as two layers: TensorFlow.js rejects Keras 2's SeparableConv2D config.
        x = batch_norm_relu(layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x))
        x = conv_block(x, width, kernel=1)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    return layers.Dense(num_classes, activation="softmax", name="probabilities")(x)


def tutorial(x, num_classes):
    """The widely copied Kaggle architecture for this dataset, kept as a baseline to compare against."""
    x = layers.Conv2D(80, 3, activation="relu")(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.Dropout(0.25)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return layers.Dense(num_classes, activation="softmax", name="probabilities")(x)


ARCHITECTURES = {"compact": compact, "separable": separable, "tutorial": tutorial}
NORMALISATIONS = ("none", "per_image")
