"""Shared fixtures: small synthetic images and a VGG19 weights file made by the tests."""

from __future__ import annotations

import os
import signal

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The CLI keeps JAX's compiled steps in ~/.cache/vidstyle; the tests leave that alone (a test
# of the cache gives its run a folder of its own).
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", "")

import numpy as np
import pytest


@pytest.fixture(scope="session")
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.fixture(scope="session")
def weights_file(tmp_path_factory) -> str:
    """Keras' own VGG19 (include_top=False) with seeded random weights, saved as .weights.h5."""
    import keras

    keras.utils.set_random_seed(3)
    model = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path_factory.mktemp("weights") / "vgg19_random.weights.h5"
    model.save_weights(path)
    return str(path)


def smooth_image(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A random but spatially smooth RGB image on 0-255 (upsampled noise)."""
    import cv2

    small = rng.uniform(0, 255, (max(2, h // 8), max(2, w // 8), 3)).astype(np.float32)
    return np.clip(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), 0, 255)


@pytest.fixture
def ctrl_c():
    """Ctrl-C raises KeyboardInterrupt in this process, as on a terminal: a shell starts a
    background job (CI, nohup, `&`) with SIGINT ignored, and the signal tests then saw nothing."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
