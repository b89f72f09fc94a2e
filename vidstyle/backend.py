"""Backend-specific code: taking a gradient and compiling a function.

Everything else is written with keras.ops and runs under KERAS_BACKEND=tensorflow or jax, with two
other exceptions: the feature extractor calls the model statelessly under JAX (features.py), and
the device is picked per backend (device.py).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .signals import deferred

Tensor = Any  # a backend tensor (tf.Tensor or jax.Array)

TRACES: dict[str, int] = {}  # name -> times traced; tests check that steps are not retraced


def name() -> str:
    import keras  # not at module level: see import_quietly

    return keras.backend.backend()


def count_trace(key: str) -> None:
    """Call from inside a function to be compiled: the Python body runs only when it is traced."""
    TRACES[key] = TRACES.get(key, 0) + 1


def value_and_grad(fn: Callable) -> Callable:
    """fn(x, *args) -> (total, aux)  ==>  g(x, *args) -> ((total, aux), d total / d x)."""
    if name() == "jax":
        import jax

        return jax.value_and_grad(fn, has_aux=True)
    if name() == "tensorflow":
        import tensorflow as tf

        def value_and_grad_tf(x: Tensor, *args: Tensor) -> tuple[tuple[Tensor, Tensor], Tensor]:
            with tf.GradientTape() as tape:
                tape.watch(x)
                total, aux = fn(x, *args)
            return (total, aux), tape.gradient(total, x)

        return value_and_grad_tf
    raise RuntimeError(f"unsupported Keras backend {name()!r}: use tensorflow or jax")


def keras_home() -> Path:
    """Keras' own folder (its keras.json, its downloads): KERAS_HOME, else ~/.keras."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def chosen_name() -> tuple[str, str]:
    """(the backend Keras will start, where that was set), read without importing Keras:
    KERAS_BACKEND, else keras.json's "backend", else tensorflow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"], "KERAS_BACKEND"
    config = keras_home() / "keras.json"
    try:
        name = json.loads(config.read_text()).get("backend")
    except (OSError, ValueError, AttributeError):  # none, unreadable or not an object: Keras' default
        name = None
    return (name, f"{config}'s backend") if isinstance(name, str) and name else ("tensorflow", "KERAS_BACKEND")


def compile_fn(fn: Callable, jit_compile: bool = False) -> Callable:
    """One compiled function: tf.function (XLA only when asked) or jax.jit. A stop that comes
    while it traces or runs is raised after it (signals.deferred)."""
    if name() == "jax":
        import jax

        compiled = jax.jit(fn)
    else:
        import tensorflow as tf

        compiled = tf.function(fn, jit_compile=jit_compile, reduce_retracing=True)

    @functools.wraps(fn)
    def call(*args: Tensor, **kwargs: Tensor) -> Any:
        with deferred():
            return compiled(*args, **kwargs)

    return call


def import_quietly() -> None:
    """Import the backend with file descriptor 2 closed: TensorFlow's C++ start-up lines are
    written before its logging can be configured, and they bury the progress bars."""
    import importlib
    import os

    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        importlib.import_module("keras")  # which imports the backend

        if name() == "tensorflow":
            import tensorflow as tf

            # The native libraries load lazily, at the first op and the first compiled function.
            tf.function(lambda v: v + 1)(tf.constant(0.0))
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    if name() == "tensorflow":
        drop_jax_gc_callback()


def drop_jax_gc_callback() -> None:
    """Keras imports JAX under TensorFlow too, and JAX hooks the garbage collector to free XLA
    buffers (there are none here). A Ctrl-C that lands in that hook is ignored by Python, and the
    run went on to exit 0 (an audit saw it twice in about 60 stops): the hook goes."""
    import gc

    gc.callbacks[:] = [c for c in gc.callbacks if getattr(c, "__name__", "") != "_xla_gc_callback"]


def to_numpy(x: Tensor) -> np.ndarray:
    from keras import ops

    return ops.convert_to_numpy(x)
