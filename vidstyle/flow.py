"""Optical flow, occlusion weights, warping and scene cuts, in NumPy and OpenCV (METHOD.md 4).

Conventions, used by every function here:

- A flow is a float32 array (H, W, 2) in pixels: channel 0 is the horizontal displacement (along
  columns, x), channel 1 the vertical one (along rows, y). Pixel x of the source frame corresponds
  to x + flow(x) in the destination frame.
- `flow_bwd` of frame t is `compute_flow(frame_t, frame_{t-1})`: it says where each pixel of frame t
  was in frame t-1, so `warp(stylised_{t-1}, flow_bwd)` lines the previous result up with frame t.
  `flow_fwd` is `compute_flow(frame_{t-1}, frame_t)`; it is only used for the consistency check.
- `warp(image, flow)` samples `image` at x + flow(x) (a pull, never a push), bilinearly.
- Masks are bool (H, W); weights are float32 (H, W) in [0, 1], 1 = trust the warped pixel.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from .config import FLOW_METHODS, SCENE_CUT
from .errors import InputError, UsageError
from .images import to_uint8

WEIGHT_SIGMA = 0.8  # px, the blur that keeps c soft (METHOD.md 4)
MOTION_BOUNDARY_WEIGHT = 0.5  # c on motion boundaries, where METHOD.md 4 has 0 (see _reliability)

# DIS preset MEDIUM: on a blurred random texture translated by up to 22 px (256x256), its mean
# end-point error was 0.03 px against 0.13 (FAST) and 0.11 (ULTRAFAST), and FAST/ULTRAFAST lost
# the 22 px shift entirely (EPE 1.7 / 2.7). It costs ~6 ms at 256x256, ~20 ms at 480x480 on one
# CPU core: negligible next to one VGG19 iteration.
_DIS_PRESET = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM
# Farneback: OpenCV's documented parameters with a 5-level pyramid for larger motions
# (pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags).
_FARNEBACK_PARAMS = (0.5, 5, 15, 3, 5, 1.2, 0)

# Scene-cut limit on `FlowPair.photo_ratio`. Measured on 96-128 px synthetic pairs (blurred random
# textures, sigma 1-16 px, random discs): unrelated pairs whose mask still passed the 10% rule
# scored 0.37-1.5 (DIS) and 0.63-1.9 (Farneback); the same images moved by up to 6 px with noise
# (sigma 3) and a brightness offset scored at most 0.21 (DIS) and 0.47 (Farneback). 0.5 favours
# missing a cut between two nearly flat images over restarting an ordinary shot.
_CUT_PHOTO_RATIO = 0.5


def _gray8(frame: np.ndarray, name: str) -> np.ndarray:
    """Gray uint8 for OpenCV's flow; float input is read on the 0-255 scale (METHOD.md 1)."""
    img = np.asarray(frame)
    if img.dtype != np.uint8:
        img = to_uint8(img.astype(np.float32))
    if img.ndim == 3 and img.shape[2] == 3:
        return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if img.ndim == 3 and img.shape[2] == 1:
        return img[:, :, 0]
    if img.ndim == 2:
        return img
    raise InputError(f"{name}: expected an RGB (H, W, 3) or gray (H, W) frame, got {img.shape}")


def check_method(method: str) -> None:
    if method not in FLOW_METHODS:
        expected = ", ".join(FLOW_METHODS)
        raise UsageError(f"unknown flow method {method!r}; expected one of {expected}")


def compute_flow(src_rgb: np.ndarray, dst_rgb: np.ndarray, method: str = "dis") -> np.ndarray:
    """Dense flow (H, W, 2) float32: pixel x of `src_rgb` is at x + flow(x) in `dst_rgb`."""
    check_method(method)
    src_gray, dst_gray = _gray8(src_rgb, "flow source"), _gray8(dst_rgb, "flow destination")
    if src_gray.shape != dst_gray.shape:
        raise InputError(f"flow frames differ in size: {src_gray.shape} vs {dst_gray.shape}")
    # The flow argument None means "no initial flow"; OpenCV's stubs type it as required.
    if method == "dis":
        # A fresh instance per call: DIS objects keep state and must not be shared across threads.
        flow = cv2.DISOpticalFlow.create(_DIS_PRESET).calc(src_gray, dst_gray, None)  # type: ignore[call-overload]
    else:
        flow = cv2.calcOpticalFlowFarneback(src_gray, dst_gray, None, *_FARNEBACK_PARAMS)  # type: ignore[call-overload]
    return np.ascontiguousarray(flow, dtype=np.float32)


def sample_grid(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Absolute sample coordinates x + flow(x), as (map_x, map_y) float32 arrays (H, W)."""
    h, w = flow.shape[:2]
    cols, rows = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cols + flow[..., 0], rows + flow[..., 1]


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """`image` (H, W[, C]) sampled at x + flow(x): bilinear, border replicate, float32 result.

    With OpenCV 5 this equals `warp_taps` to ~1e-7; OpenCV 4's remap rounds sample positions to
    1/32 px, a difference of at most |image gradient| / 64.
    """
    src = np.asarray(image)
    if src.shape[:2] != flow.shape[:2]:
        raise InputError(f"warp: image is {src.shape[:2]} but flow is {flow.shape[:2]}")
    map_x, map_y = sample_grid(flow)
    out = cv2.remap(src.astype(np.float32, copy=False), map_x, map_y, cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(src.shape).astype(np.float32, copy=False)


def _inside(flow: np.ndarray) -> np.ndarray:
    """Whether x + flow(x) lands inside the frame's area, [-0.5, size - 0.5] around pixel centres.

    The half-pixel rim is the border pixels' own footprint: counting it as inside keeps flow noise
    of a few hundredths of a pixel on a still shot from zeroing the whole border ring.
    """
    h, w = flow.shape[:2]
    map_x, map_y = sample_grid(flow)
    return (map_x >= -0.5) & (map_x <= w - 0.5) & (map_y >= -0.5) & (map_y <= h - 0.5)


def consistency_mask(flow_bwd: np.ndarray, flow_fwd: np.ndarray) -> np.ndarray:
    """True where METHOD.md 4's forward-backward check passes and x + w_b(x) is in the frame.

    "In the frame" means in its area, half a pixel beyond the border pixels' centres (`_inside`).
    This is also METHOD.md 5's binary M_t (no motion-boundary term, no blur).
    """
    flow_fwd_at_bwd = warp(flow_fwd, flow_bwd)  # w~ = w_f sampled at x + w_b(x)
    round_trip = np.sum((flow_fwd_at_bwd + flow_bwd) ** 2, axis=-1)
    scale = np.sum(flow_fwd_at_bwd**2, axis=-1) + np.sum(flow_bwd**2, axis=-1)
    disoccluded = round_trip > 0.01 * scale + 0.5
    return ~disoccluded & _inside(flow_bwd)


def motion_boundary(flow_bwd: np.ndarray) -> np.ndarray:
    """True where |grad u|^2 + |grad v|^2 > 0.01 |w_b|^2 + 0.002 (METHOD.md 4).

    Gradients are np.gradient's per-pixel differences: central (f[x+1] - f[x-1]) / 2 inside,
    one-sided at the border. A step of size d thus shows as d/2 on the two pixels beside it.
    """
    grad_sq = np.zeros(flow_bwd.shape[:2], np.float32)
    for channel in range(2):
        d_rows, d_cols = np.gradient(flow_bwd[..., channel].astype(np.float32))
        grad_sq += d_rows**2 + d_cols**2
    return grad_sq > 0.01 * np.sum(flow_bwd**2, axis=-1) + 0.002


def occlusion_weights(
    flow_bwd: np.ndarray, flow_fwd: np.ndarray, sigma: float = WEIGHT_SIGMA
) -> np.ndarray:
    """Soft weight c in [0, 1]: consistent, halved on motion boundaries, blurred (METHOD.md 4)."""
    return _masked_weights(consistency_mask(flow_bwd, flow_fwd), flow_bwd, sigma)


def _masked_weights(consistent: np.ndarray, flow_bwd: np.ndarray, sigma: float) -> np.ndarray:
    """occlusion_weights from a consistency mask already made (flow_pair keeps the mask too)."""
    return _soften(_reliability(consistent, motion_boundary(flow_bwd)), sigma)


def _reliability(consistent: np.ndarray, boundary: np.ndarray) -> np.ndarray:
    """1 where consistent, MOTION_BOUNDARY_WEIGHT there on a motion boundary, 0 where not consistent.

    METHOD.md 4 (after Ruder et al.) sets c = 0 on motion boundaries too. Measured on the sample
    clip, that left 85-90 % of the worst pairs' warping error on those 5-8 % of the pixels, which
    then had no temporal term at all: the worst pair was 5.9x the median pair with c = 0 there,
    1.4x with 0.5 and with 1 (docs/TEMPORAL.md). Half keeps some freedom where the flow is least sure.
    """
    return np.where(consistent, np.where(boundary, MOTION_BOUNDARY_WEIGHT, 1.0), 0.0).astype(np.float32)


def _soften(reliable: np.ndarray, sigma: float) -> np.ndarray:
    """Reliability in [0, 1] to soft weights; replicate border so edges are not darkened."""
    weights: np.ndarray = reliable.astype(np.float32)
    if sigma > 0:
        weights = cv2.GaussianBlur(weights, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return np.clip(weights, 0.0, 1.0)


@dataclass(frozen=True)
class FlowPair:
    """Everything the temporal term needs about frames (t-1, t), computed once per frame.

    `photo_ratio`: mean absolute deviation of (gray frame t - warped gray frame t-1) from its own
    mean, over pixels whose sample is in the frame, divided by frame t's mean absolute deviation
    (at least 8 grey levels). About 0 when the flow explains frame t, about 1 for unrelated frames.
    NaN when not computed (a FlowPair built by hand).
    """

    flow_bwd: np.ndarray  # (H, W, 2) frame t -> t-1
    flow_fwd: np.ndarray  # (H, W, 2) frame t-1 -> t
    weights: np.ndarray  # (H, W) float32 soft c
    mask: np.ndarray  # (H, W) bool binary M_t
    photo_ratio: float = float("nan")

    def start_weights(self) -> np.ndarray:
        """(H, W, 1) blend of the warped previous frame into the start: soft M_t, not c.

        Motion boundaries keep the warped pixels: they are not disoccluded, only less certain, and
        starting them from the unstylised content left seams that the frame's few iterations
        (with no temporal term there) never closed; they were the worst pairs' error (docs/TEMPORAL.md).
        """
        return _soften(self.mask, WEIGHT_SIGMA)[..., None]


def _both_flows(
    prev_rgb: np.ndarray, cur_rgb: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """(flow_bwd, flow_fwd) for (t-1, t), computed in two threads (OpenCV releases the GIL)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        bwd = pool.submit(compute_flow, cur_rgb, prev_rgb, method)
        fwd = pool.submit(compute_flow, prev_rgb, cur_rgb, method)
        return bwd.result(), fwd.result()


def _photo_ratio(prev_rgb: np.ndarray, cur_rgb: np.ndarray, flow_bwd: np.ndarray) -> float:
    """Unexplained contrast of frame t after warping frame t-1 (see `FlowPair.photo_ratio`)."""
    inside = _inside(flow_bwd)
    if not inside.any():
        return float("inf")
    cur = _gray8(cur_rgb, "current frame").astype(np.float32)
    residual = (cur - warp(_gray8(prev_rgb, "previous frame"), flow_bwd))[inside]
    # Centred, so that an exposure change is not a cut; floored at 8 grey levels of contrast, so
    # that sensor noise on a nearly flat frame is not one either.
    unexplained = float(np.mean(np.abs(residual - residual.mean())))
    contrast = float(np.mean(np.abs(cur - cur.mean())))
    return unexplained / max(contrast, 8.0)


def flow_pair(prev_rgb: np.ndarray, cur_rgb: np.ndarray, method: str = "dis") -> FlowPair:
    """Both flows of (t-1, t) with the soft weights c and the binary mask M_t."""
    flow_bwd, flow_fwd = _both_flows(prev_rgb, cur_rgb, method)
    mask = consistency_mask(flow_bwd, flow_fwd)
    weights = _masked_weights(mask, flow_bwd, WEIGHT_SIGMA)
    ratio = _photo_ratio(prev_rgb, cur_rgb, flow_bwd)
    return FlowPair(flow_bwd, flow_fwd, weights, mask, ratio)


def is_scene_cut(pair: FlowPair, threshold: float = SCENE_CUT) -> bool:
    """True when frame t-1 does not continue into frame t, so frame t should start afresh.

    Two signals, either is enough: fewer than `threshold` of the pixels pass the consistency check
    (METHOD.md 4), or the warped previous frame leaves more than half of frame t's contrast
    unexplained (`pair.photo_ratio` > 0.5). The second is needed because on unrelated frames the
    flows are often small and smooth in both directions, so they pass the check's +0.5 px² slack
    (Farneback passed it on 90% of the pixels of two unrelated noise images). It also fires when
    the flow fails on a real shot, where starting afresh beats warping a wrong frame. A threshold
    of 0 turns both off: one continuous shot, whatever the flow says.
    """
    if threshold <= 0:
        return False
    if float(np.mean(pair.mask)) < threshold:
        return True
    return bool(pair.photo_ratio > _CUT_PHOTO_RATIO)  # NaN (not computed) compares False
