"""VGG19 feature extractor: architecture, weights (ImageNet, a file, or seeded random), preprocessing.

The network is our own copy of Keras' VGG19 convolutional part, with the same layer names, cut at
the deepest layer in use and with max or average pooling; weights are copied into it by layer name
from Keras' ``VGG19(include_top=False)``, so Keras' own download and cache stay the source of truth.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from .backend import keras_home
from .config import POOLINGS, one_of
from .errors import UsageError, WeightsError
from .vgg import BLOCKS, CONV_LAYERS, MEAN_BGR, check_layers

log = logging.getLogger(__name__)

WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/" + WEIGHTS_FILE
RANDOM_SEED = 1234


def keras_cache_dir() -> Path:
    """Where Keras caches downloads (KERAS_HOME, else ~/.keras), as keras.utils.get_file does."""
    return keras_home() / "models"


def build_vgg19(last_layer: str, pooling: str = "max", dtype: str = "float32") -> keras.Model:
    """VGG19's convolutional layers up to and including ``last_layer``, any input size.

    ``dtype`` is a Keras dtype policy: "mixed_bfloat16" runs the convolutions in bfloat16 while the
    weights stay float32.
    """
    if pooling not in POOLINGS:
        raise UsageError(f"--pooling: expected {one_of(POOLINGS)}, got {pooling!r}")
    pool = layers.MaxPooling2D if pooling == "max" else layers.AveragePooling2D
    inputs = keras.Input((None, None, 3), name="bgr")
    x = inputs
    for b, (filters, convs) in enumerate(BLOCKS, start=1):
        if b > 1:
            x = pool(2, strides=2, name=f"block{b - 1}_pool", dtype=dtype)(x)
        for c in range(1, convs + 1):
            name = f"block{b}_conv{c}"
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=name, dtype=dtype)(x)
            if name == last_layer:
                return keras.Model(inputs, x, name="vgg19_features")
    raise UsageError(f"unknown layer {last_layer!r}")


def _random_weights(model: keras.Model, seed: int) -> None:
    # He-normal kernels and zero biases from NumPy, so that both backends get identical networks.
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kernel, bias = layer.get_weights()
            fan_in = np.prod(kernel.shape[:3])
            layer.set_weights(
                [rng.normal(0.0, np.sqrt(2.0 / fan_in), kernel.shape).astype("float32"), bias * 0]
            )


def _reference_vgg19(weights: str) -> keras.Model:
    """Keras' own VGG19 (include_top=False) holding the requested weights."""
    try:
        return keras.applications.VGG19(include_top=False, weights=weights, input_shape=(None, None, 3))
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a failed download or load
        if weights == "imagenet":
            raise WeightsError(
                f"cannot get the VGG19 ImageNet weights ({str(exc)[:100] or type(exc).__name__}): put {WEIGHTS_FILE} "
                f"(from {WEIGHTS_URL}) in {keras_cache_dir()}/, or pass --weights PATH to a local "
                "copy (or set VIDSTYLE_WEIGHTS); --weights random runs without them (no real style)"
            ) from None
        raise WeightsError(f"--weights {weights}: cannot load VGG19 weights from it ({exc})") from None


def load_weights(model: keras.Model, weights: str, seed: int = RANDOM_SEED) -> None:
    """Fill ``model`` with 'imagenet', 'random' (seeded) or the weights in a .h5 / .weights.h5 file."""
    if weights == "random":
        log.warning("random VGG19 weights: the result shows no real style (tests and smoke runs only)")
        _random_weights(model, seed)
        return
    if weights != "imagenet":
        path = Path(weights).expanduser()
        if not path.is_file():
            raise WeightsError(f"--weights {weights}: no such file (expected 'imagenet', 'random' or a .h5 file)")
        if not path.name.endswith(".h5"):
            raise WeightsError(f"--weights {weights}: expected a .h5 or .weights.h5 file")
        weights = str(path)
    elif not (keras_cache_dir() / WEIGHTS_FILE).exists():
        log.warning("downloading VGG19 ImageNet weights (80 MB, once) to %s", keras_cache_dir())
    reference = _reference_vgg19(weights)
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            layer.set_weights(reference.get_layer(layer.name).get_weights())


class Extractor:
    """Maps an RGB batch on the 0-255 scale to {layer name: features}, through one Keras model.

    Under JAX the model is called statelessly with its weights passed in, so compiled steps take
    the weights as arguments instead of baking 80 MB of constants into every program.
    """

    def __init__(
        self,
        layer_names: Sequence[str],
        weights: str,
        pooling: str = "max",
        precision: str = "float32",
        seed: int = RANDOM_SEED,
    ):
        check_layers(layer_names, "layers")
        self.layer_names = tuple(dict.fromkeys(layer_names))
        last = max(self.layer_names, key=CONV_LAYERS.index)
        # Mixed precision: bfloat16 convolutions; Grams and losses stay float32 (float16 Grams overflow).
        policy = "mixed_bfloat16" if precision == "mixed" else "float32"
        base = build_vgg19(last, pooling, policy)
        load_weights(base, weights, seed)
        outputs = [base.get_layer(n).output for n in self.layer_names]
        self.model = keras.Model(base.input, outputs, name="vgg19_extractor")
        self.jax = keras.backend.backend() == "jax"

    def params(self) -> tuple:
        if not self.jax:
            return ()
        return (
            [v.value for v in self.model.trainable_variables],
            [v.value for v in self.model.non_trainable_variables],
        )

    def __call__(self, params: tuple, image_rgb) -> dict:
        x_bgr = ops.flip(image_rgb, axis=-1) - ops.convert_to_tensor(MEAN_BGR, dtype=image_rgb.dtype)
        if self.jax:
            outputs, _ = self.model.stateless_call(params[0], params[1], x_bgr)
        else:
            outputs = self.model(x_bgr)
        if len(self.layer_names) == 1:  # a one-output Keras model returns the tensor, not a list
            outputs = [outputs]
        return {n: ops.cast(f, "float32") for n, f in zip(self.layer_names, outputs, strict=True)}
