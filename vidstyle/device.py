"""Which device runs the optimisation, GPU memory settings, and what fits when memory runs out.

`select` must run before Keras imports its backend: both TensorFlow and JAX fix their devices
and memory policy when they start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .config import DEVICES, one_of
from .errors import UsageError

if TYPE_CHECKING:
    from .config import StyleOptions

log = logging.getLogger(__name__)


def select(device: str) -> None:
    """'auto' (GPU when the backend sees one), 'cpu' or 'gpu'; turns on GPU memory growth."""
    if device not in DEVICES:
        raise UsageError(f"--device: expected {one_of(DEVICES)}, got {device!r}")
    # Grow GPU memory as needed instead of taking it all at start (TF: memory growth; JAX: no
    # preallocation), so the probe below sees what a step really needs and others can share.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
        os.environ["JAX_PLATFORMS"] = "cpu"


def gpus() -> list[str]:
    """Names of the GPUs the current backend sees."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    import tensorflow as tf

    return [d.name for d in tf.config.list_physical_devices("GPU")]


def check(device: str) -> str:
    """After the backend started: fail clearly if a GPU was asked for and none is visible, or if
    the backend cannot start the devices it was told to use (JAX_PLATFORMS=cuda without CUDA)."""
    try:
        found = gpus()
    except (RuntimeError, AssertionError) as exc:  # JAX's, with a traceback of 25-40 lines
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        setting = f"JAX_PLATFORMS={os.environ['JAX_PLATFORMS']}: " if os.environ.get("JAX_PLATFORMS") else ""
        raise UsageError(f"{setting}the backend cannot start its devices ({detail}); "
                         "check the backend's GPU install, or use --device cpu") from None
    if device == "gpu" and not found:
        import keras

        raise UsageError(f"--device gpu: the {keras.backend.backend()} backend sees no GPU "
                         "(check the CUDA build of the backend and the driver), or use --device cpu")
    where = found[0] if found else "CPU"
    log.debug("running on %s", where)
    return where


def cpu_has_bfloat16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU has native bfloat16 arithmetic (AVX-512 BF16 or AMX), which oneDNN uses."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:  # not Linux: no way to tell, assume not
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[-1].split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def auto_precision(optimizer: str, backend: str, on_gpu: bool, bf16_cpu: bool) -> str:
    """What --precision auto means here. Mixed only where it was measured to pay and to stay
    within 1 % of float32's loss: Adam, TensorFlow's oneDNN on a bfloat16 CPU (2.5x faster,
    docs/DEFAULTS.md). L-BFGS's line search fails on bfloat16 losses; on a GPU float32 already
    runs on the tensor cores (TF32, 1.0-1.3x from mixed on the H200); JAX's CPU bfloat16 convolutions
    were no faster than float32 (scripts/precision_speed.py)."""
    mixed = optimizer == "adam" and backend == "tensorflow" and not on_gpu and bf16_cpu
    return "mixed" if mixed else "float32"


def resolve_precision(options: StyleOptions) -> StyleOptions:
    """The options with --precision auto replaced by what it means on this machine."""
    if options.precision != "auto":
        return options
    import keras

    backend = keras.backend.backend()
    chosen = auto_precision(options.optimizer, backend, bool(gpus()), cpu_has_bfloat16())
    log.debug("--precision auto: %s", chosen)
    return options.replace(precision=chosen)


def is_out_of_memory(exc: BaseException) -> bool:
    """Both backends' out-of-memory errors, recognised without importing either."""
    text = f"{type(exc).__name__} {exc}"
    return "ResourceExhausted" in text or "RESOURCE_EXHAUSTED" in text or "Out of memory" in text \
        or isinstance(exc, MemoryError)


def largest_fitting(fits: Callable[[int, int], bool], size: int, batch: int, smallest: int) -> str:
    """What to suggest after running out of memory at (size, batch): probe one step at a time.

    `fits(size, batch)` runs one optimisation step at that longest side and batch and says
    whether it fitted. Batch is halved first (it costs no quality), then the size is searched
    by bisection in steps of 32 pixels.
    """
    for b in sorted({max(1, batch // 2 ** k) for k in range(batch.bit_length())}, reverse=True):
        if b < batch and fits(size, b):
            return f"--batch {b} fits at --size {size}"
    low, high = smallest, size  # low: assumed to fit (checked below), high: does not
    if not fits(low, 1):
        return f"not even --size {smallest} with --batch 1 fits; use --device cpu"
    while high - low > 32:
        mid = (low + high) // 2 // 32 * 32 or low
        if mid <= low:
            break
        low, high = (mid, high) if fits(mid, 1) else (low, mid)
    return f"--size {low} fits with --batch 1"


def step_fits(engine) -> Callable[[int, int], bool]:
    """A `fits(size, batch)` probe for `largest_fitting`: one gradient step on a square image."""

    def fits(size: int, batch: int) -> bool:
        import numpy as np

        x = np.zeros((batch, size, size, 3), np.float32)
        try:
            grams = engine.style_targets([x[0]], [1.0])
            unit = (1.0, 1.0, 1.0, 0.0)  # any weights: only the memory of one step is measured
            engine.gradient(x, engine.targets(x, grams, unit))
            return True
        except Exception as exc:  # noqa: BLE001 - only out-of-memory is an answer here
            if is_out_of_memory(exc):
                return False
            raise

    return fits
