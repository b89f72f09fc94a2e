"""Coarse-to-fine optimisation (--scales N): solve at 1/2^(N-1) of the size first, upsample the
result as the start of the next scale, up to the working size.

Coarse iterations cost 1/4, 1/16 … of a full one and settle the large structures first. Every
scale runs the full iteration budget; measured at 256-512 px this reached the single-scale loss
later, not sooner (docs/DEFAULTS.md), so it is off by default.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .config import StyleOptions
from .errors import UsageError
from .optimize import Engine, IterationCallback, Result, Targets
from .vgg import min_long_side


def scale_sizes(width: int, height: int, scales: int, smallest: int) -> list[tuple[int, int]]:
    """(w, h) of each scale, coarsest first; the last is the working size."""
    sizes = [(max(1, round(width / 2**k)), max(1, round(height / 2**k))) for k in reversed(range(scales))]
    if max(sizes[0]) < smallest or min(sizes[0]) < smallest // 2:  # see vgg.min_long_side, vgg.min_short_side
        raise UsageError(f"--scales {scales}: the coarsest scale, {sizes[0][0]}x{sizes[0][1]}, is below "
                         f"the network's minimum ({smallest} px, {smallest // 2} on the short side); use fewer "
                         "scales or a larger --size")
    return sizes


def resize_batch(images: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize (B, H, W, C) float images; bicubic up (a smooth start), area down."""
    b, h, w, _ = images.shape
    if (w, h) == (width, height):
        return images
    interp = cv2.INTER_CUBIC if width * height > w * h else cv2.INTER_AREA
    out = [cv2.resize(img, (width, height), interpolation=interp) for img in images]
    return np.stack([o if o.ndim == 3 else o[..., None] for o in out]).astype(np.float32)


def optimize_batch(engine: Engine, x0: np.ndarray, targets_at: Callable[[tuple[int, int]], Targets], iterations: int,
                   options: StyleOptions, on_iteration: IterationCallback | None) -> Result:
    """One optimisation of a batch x0 (B, H, W, 3) from `iterations`, coarse-to-fine with --scales;
    `targets_at((w, h))` gives the targets at a size."""
    h, w = x0.shape[1:3]
    if options.scales > 1:
        sizes = scale_sizes(w, h, options.scales, min_long_side(options.layers))
        return optimize_scales(engine, x0, targets_at, sizes, iterations, on_iteration, options)
    return engine.optimize(x0, targets_at((w, h)), iterations, options.tol, on_iteration, options)


def optimize_scales(
    engine: Engine,
    x0: np.ndarray,
    targets_at: Callable[[tuple[int, int]], Targets],
    sizes: list[tuple[int, int]],
    iterations: int,
    on_iteration: IterationCallback | None,
    options: StyleOptions,
) -> Result:
    """Optimise at each size in turn; the merged result records each history row's scale
    (index into `sizes`). Iterations count across scales in the callback."""
    x = resize_batch(x0, *sizes[0])
    histories: list[np.ndarray] = []
    row_scales: list[int] = []
    seconds = busy = 0.0
    done = 0
    result = None
    for scale, (w, h) in enumerate(sizes):
        if result is not None:
            x = np.clip(resize_batch(result.image, w, h), 0, 255)

        def callback(k: int, terms: np.ndarray, image, offset: int = done) -> None:
            if on_iteration:
                on_iteration(offset + k, terms, image)

        result = engine.optimize(x, targets_at((w, h)), iterations, options.tol, callback, options)
        keep = result.history if scale == 0 else result.history[1:]  # row 0 repeats the start
        histories.append(keep)
        row_scales += [scale] * len(keep)
        seconds += result.seconds
        busy += result.step_seconds
        done += result.iterations
    assert result is not None  # sizes is never empty
    return Result(result.image, np.concatenate(histories), done, seconds, busy, sizes, row_scales)
