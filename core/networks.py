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
    if normalise == "grey":
        # Luminance only: nuclei, granules and cytoplasm keep their shapes and densities whatever hue
        # another lab's stain and camera give them. A fixed 1x1 convolution, so the browser does it too.
        scaled = layers.Conv2D(1, 1, use_bias=False, trainable=False, name="grey",
                               kernel_initializer=keras.initializers.Constant(LUMINANCE))(scaled)
    outputs = ARCHITECTURES[arch](scaled, num_classes)
    return keras.Model(inputs, outputs, name=arch)


def compact(x, num_classes):
    """A small conv net (~240k weights): four conv blocks, global pooling, softmax."""
    return head(conv_blocks(x, (32, 64, 128, 128), pools=(True, True, True, False)), num_classes)


# The fast networks below run an 80x80 input in 1.3-1.7 ms on single-threaded WASM once convert has
# folded each BatchNormalization into its convolution (measured in headless Chromium here; compact
# takes 5.5): a stride-2 first convolution does the costly 80x80 stage at a quarter of the work.

def compact_s2(x, num_classes):
    """compact with a stride-2 first convolution: 32 @40, pool, 64 @20, pool, 128 @10, pool, 128 @5."""
    x = layers.MaxPooling2D()(conv_block(x, 32, stride=2))
    return head(conv_blocks(x, (64, 128, 128), pools=(True, True, False)), num_classes)


def s2_wide(x, num_classes):
    """32 @40 (stride 2), pool, 64 @20, pool, 128 @10, pool, 256 @5 (~390k weights)."""
    x = layers.MaxPooling2D()(conv_block(x, 32, stride=2))
    return head(conv_blocks(x, (64, 128, 256), pools=(True, True, False)), num_classes)


def vgg_s2(x, num_classes):
    """24 @40 (stride 2), pool, 32 x2 @20, pool, 64 x2 @10, pool, 128 and 256 @5 (~440k weights)."""
    x = layers.MaxPooling2D()(conv_block(x, 24, stride=2))
    return head(conv_blocks(x, (32, 32, 64, 64, 128, 256), pools=(False, True, False, True, False, False)), num_classes)


def s2_sepdeep(x, num_classes):
    """32 @40 (stride 2), pool, 64 @20, pool, two separable 128 @10, pool, three separable 256 @5."""
    x = layers.MaxPooling2D()(conv_block(x, 32, stride=2))
    x = layers.MaxPooling2D()(conv_block(x, 64))
    for _ in range(2):
        x = separable_block(x, 128)
    x = layers.MaxPooling2D()(x)
    for _ in range(3):
        x = separable_block(x, 256)
    return head(x, num_classes)


def conv_blocks(x, widths, pools):
    for width, pool in zip(widths, pools):
        x = conv_block(x, width)
        if pool:
            x = layers.MaxPooling2D()(x)
    return x


def separable_block(x, width, stride=1):
    # Depthwise then pointwise as two layers: TensorFlow.js rejects Keras 2's SeparableConv2D config.
    x = batch_norm_relu(layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x))
    return conv_block(x, width, kernel=1)


def head(x, num_classes):
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    return layers.Dense(num_classes, activation="softmax", name="probabilities")(x)


def conv_block(x, width, kernel=3, stride=1):
    return batch_norm_relu(layers.Conv2D(width, kernel, strides=stride, padding="same", use_bias=False)(x))


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
        x = separable_block(x, width, stride)
    return head(x, num_classes)


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


ARCHITECTURES = {"compact": compact, "compact_s2": compact_s2, "s2_wide": s2_wide, "vgg_s2": vgg_s2,
                 "s2_sepdeep": s2_sepdeep, "separable": separable, "tutorial": tutorial}
NORMALISATIONS = ("none", "per_image", "grey")
# ITU-R BT.601 luma weights, as a 1x1x3x1 kernel.
LUMINANCE = [[[[0.299], [0.587], [0.114]]]]
