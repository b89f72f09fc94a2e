"""The warp of vidstyle.flow as a differentiable op, for the joint window of --batch (METHOD.md 4).

The flow is data: `bilinear_taps` turns it once, in NumPy, into 4 source pixels and 4 weights per
pixel, and `warp_taps` applies them with `keras.ops` (TensorFlow and JAX), so the compiled step
only gathers and mixes, and the gradient reaches the image.
"""

from __future__ import annotations

import keras
import numpy as np

from .backend import Tensor
from .flow import sample_grid


def bilinear_taps(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 4 flat source indices (H*W, 4) int32 and bilinear weights (H*W, 4) float32 of a warp.

    Row-major flat index r * W + c; taps are (y0, x0), (y0, x1), (y1, x0), (y1, x1). Indices are
    clamped to the frame after the weights are taken, which equals cv2's BORDER_REPLICATE, so
    `warp_taps(x, *bilinear_taps(flow))` is `warp(x, flow)` with exact weights.
    """
    h, w = flow.shape[:2]
    map_x, map_y = (m.astype(np.float64) for m in sample_grid(flow))
    x0, y0 = np.floor(map_x), np.floor(map_y)
    fx, fy = map_x - x0, map_y - y0
    taps = [(y, x, wy * wx) for y, wy in ((y0, 1 - fy), (y0 + 1, fy))
            for x, wx in ((x0, 1 - fx), (x0 + 1, fx))]
    idx = np.stack([np.clip(y, 0, h - 1) * w + np.clip(x, 0, w - 1) for y, x, _ in taps], axis=-1)
    wts = np.stack([weight for _, _, weight in taps], axis=-1)
    return idx.reshape(h * w, 4).astype(np.int32), wts.reshape(h * w, 4).astype(np.float32)


def warp_taps(x: Tensor, idx: Tensor, wts: Tensor) -> Tensor:
    """Differentiable bilinear warp with `keras.ops` only (TensorFlow and JAX backends).

    x is (H, W, C) with idx/wts (H*W, 4), or (B, H, W, C) with idx/wts (B, H*W, 4) (or unbatched
    taps shared by the batch). The gradient flows to x (not to the flow, which is data here).
    """
    ops = keras.ops
    shape = ops.shape(x)
    flat = ops.reshape(x, (-1, shape[-1]))  # (B*H*W, C): one table for all pixels of the batch
    if len(x.shape) == 4:  # shift image b's taps by b*H*W into that table
        batch, pixels = shape[0], shape[1] * shape[2]
        offsets = ops.reshape(ops.arange(batch, dtype="int32") * pixels, (-1, 1, 1))
        idx = ops.reshape(ops.convert_to_tensor(idx, "int32") + offsets, (-1, 4))
        wts = ops.reshape(ops.broadcast_to(wts, (batch, pixels, 4)), (-1, 4))
    return ops.reshape(_gather_mix(flat, idx, wts), shape)


def _gather_mix(flat: Tensor, idx: Tensor, wts: Tensor) -> Tensor:
    """Σ_k wts[:, k] * flat[idx[:, k]] for a flat (N, C) table."""
    ops = keras.ops
    taps = ops.take(flat, ops.convert_to_tensor(idx, "int32"), axis=0)  # (P, 4, C)
    return ops.sum(taps * ops.cast(wts, flat.dtype)[..., None], axis=1)
