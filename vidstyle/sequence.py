"""Optimising a sequence of frames, one window of B frames at a time (B = --batch).

A window is B consecutive frames of one shot, optimised jointly in one compiled step: frame 0 of
the window is tied to the finished frames by the temporal loss (constant warped targets), each
later frame b to frame b-1 of the same window through a differentiable warp, and frames start
from the chain of warps of the last finished frame. With B = 1 this is exactly the sequential
method of Ruder et al. A frame that starts a shot (the first, or after a scene cut) is optimised
alone, from `--init` (the content by default), with the first frame's iteration budget. With --independent, windows are
B unrelated frames, each from its content, with no temporal loss.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from . import backend
from .backend import Tensor
from .config import TOTAL, StyleOptions, VideoOptions
from .diffwarp import bilinear_taps
from .errors import OptimizationError
from .images import to_uint8
from .multiscale import optimize_batch, resize_batch
from .optimize import Engine, IterationCallback, Result, Targets
from .prepare import coefficients, initial_image, luminance, with_content_colors
from .preview import Preview
from .signals import raise_if_stopped
from .temporal import SourceFrame, start_image, temporal_inputs

log = logging.getLogger(__name__)


StyleAt = Callable[[tuple[int, int]], list]  # the style Grams for a working (w, h)


class Progress(Protocol):
    def begin(self, total_frames: int, finished: int) -> None: ...
    def frame_start(self, position: int, iterations: int, frames: int) -> None: ...  # frames: of a --batch window
    def iteration(self, iteration: int, terms: np.ndarray, image: object) -> None: ...
    def frame_done(self, position: int, seconds: float) -> None: ...
    # Optional (a progress object of an older program has neither): a step after the frames, and
    # one of its `total`.
    def stage(self, label: str, total: int, unit: str) -> None: ...
    def step(self) -> None: ...


@dataclass
class FrameOutput:
    position: int
    source_index: int
    image: np.ndarray  # RGB uint8, working size
    result: Result  # of the whole window
    slot: int  # this frame's index in the window
    window_size: int  # frames in the window
    cut: bool
    seconds: float  # the window's wall time divided among its frames


def calibrate_delta(engine: Engine, x0: np.ndarray, target_rgb: np.ndarray, grams: list,
                    style: StyleOptions, weight: float) -> float:
    """δ for a scale-free --temporal-weight λ: a one-level (of 255) deviation where c = 1 pulls
    with λ times the mean content+style+TV gradient per pixel of the first frame's start.

    ∂/∂x [δ/D Σ c (x-ω)²] = 2δ c (x-ω)/D, so δ = λ · mean|∇L| · D / 2. Measured once, on the
    first frame, so it follows the network's feature scale (random vs ImageNet weights).
    """
    first_targets = engine.targets(target_rgb[None], grams, coefficients(style, 0.0))
    grad = engine.gradient(x0[None], first_targets)
    delta = float(weight * np.mean(np.abs(grad)) * x0.size / 2.0)
    log.info("temporal weight δ = %.4g (λ = %g)", delta, weight)
    return delta


def _iteration_hook(first: SourceFrame, progress: Progress | None, preview: Preview | None) -> IterationCallback:
    """What each iteration of a window does besides optimising: a pending stop, the bar, the preview."""
    def on_iteration(k: int, terms: np.ndarray, image: Tensor) -> None:
        raise_if_stopped()
        if progress:
            progress.iteration(k, terms, image)
        if preview and preview.active and k % preview.every == 0:
            preview.show(first.content, backend.to_numpy(image)[0],
                         f"frame {first.position}  it {k}  loss {terms[0, TOTAL]:.4g}")

    return on_iteration


def windows(frames: Iterator[SourceFrame], batch: int, independent: bool) -> Iterator[list[SourceFrame]]:
    """Group frames into windows: shot starts alone, then up to `batch` frames of the same shot."""
    window: list[SourceFrame] = []
    for frame in frames:
        if window and frame.content.shape != window[0].content.shape:  # unrelated images of another size
            yield window
            window = []
        if frame.cut and not independent:
            if window:
                yield window
            yield [frame]
            window = []
            continue
        window.append(frame)
        if len(window) == batch:
            yield window
            window = []
    if window:
        yield window


def stylize_sequence(
    frames: Iterator[SourceFrame],
    engine: Engine,
    style_at: StyleAt,
    style: StyleOptions,
    video: VideoOptions,
    history: dict[int, np.ndarray],
    delta: float | None,
    progress: Progress | None = None,
    preview: Preview | None = None,
) -> Iterator[tuple[FrameOutput, float | None]]:
    """Optimise window after window; yields (frame, δ), δ being the calibrated temporal weight.

    `history` holds the finished 8-bit frames the next window needs (position -> RGB uint8).
    """
    offsets = sorted(video.long_term)
    use_temporal = not video.independent and video.temporal_weight > 0
    for window in windows(frames, video.batch, video.independent):
        tick = time.perf_counter()
        fresh = video.independent or window[0].cut
        contents = np.stack([f.content.astype(np.float32) for f in window])
        targets_rgb = np.stack([luminance(c) for c in contents]) if style.preserve_colors else contents
        h, w = targets_rgb.shape[1:3]
        grams = style_at((w, h))
        x0, warped, weights, chain = _window_start(window, history, offsets, style, video, targets_rgb, fresh)
        iterations = style.iterations if fresh else video.frame_iterations
        # Later frames may take another Adam step: they start far from their optimum (docs/DEFAULTS.md).
        step_options = style if fresh or video.frame_lr is None else style.replace(lr=video.frame_lr)
        if delta is None and use_temporal:
            delta = calibrate_delta(engine, x0[0], targets_rgb[0], grams, style, video.temporal_weight)
        coeffs = coefficients(style, delta if use_temporal and delta is not None and not fresh else 0.0)
        targets_at = _targets_at(engine, targets_rgb, grams, coeffs, warped, weights, chain)
        first = window[0]
        on_iteration = _iteration_hook(first, progress, preview)
        if progress:
            progress.frame_start(first.position, iterations * style.scales, len(window))  # each scale runs them all
        try:
            result = optimize_batch(engine, x0, targets_at, iterations, step_options, on_iteration)
        except OptimizationError as exc:
            raise OptimizationError(
                f"frame {first.position} (source frame {first.source_index}): {exc}; the frames before "
                "it are kept: try a smaller --lr or --optimizer lbfgs, and run the same command again"
            ) from None
        if preview and preview.active:  # the result, not the last multiple of --preview-every
            preview.show(first.content, result.image[0], f"frame {first.position}  done  it {result.iterations}")
        seconds = (time.perf_counter() - tick) / len(window)
        for slot, frame in enumerate(window):
            image = result.image[slot]
            if style.preserve_colors:
                image = with_content_colors(image, contents[slot])
            out = to_uint8(image)
            history[frame.position] = out
            yield FrameOutput(frame.position, frame.source_index, out, result, slot, len(window), frame.cut,
                              seconds), delta
        for old in [p for p in history if p <= window[-1].position - max(offsets)]:
            del history[old]


Chain = tuple[np.ndarray, np.ndarray, np.ndarray]  # in-window warp: tap indices, tap weights, c


def _window_start(window: list[SourceFrame], history: dict[int, np.ndarray], offsets: list[int],
                  style: StyleOptions, video: VideoOptions, targets_rgb: np.ndarray, fresh: bool,
                  ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, Chain | None]:
    """Starting images and temporal targets: from --init for a window that starts afresh, else
    chained from the finished frames (none for a fresh one)."""
    if fresh:
        return np.stack([initial_image(style.init, t, style.seed) for t in targets_rgb]), None, None, None
    x0, warped, weights, chain = _chained_start(window, history, offsets, video.init_mode)
    if style.preserve_colors:  # the optimisation runs on luminance; so must its targets
        x0 = np.stack([luminance(x) for x in x0])
        warped = np.stack([[luminance(one) for one in ws] for ws in warped])
    return x0, warped, weights, chain


def _targets_at(engine: Engine, targets_rgb: np.ndarray, grams: list, coeffs: tuple[float, ...],
                warped: np.ndarray | None, weights: np.ndarray | None,
                chain: Chain | None) -> Callable[[tuple[int, int]], Targets]:
    """The window's targets at a working size (w, h), or at a coarser scale of it."""
    h, w = targets_rgb.shape[1:3]
    count = len(targets_rgb)

    def targets_at(size: tuple[int, int]) -> Targets:
        if size == (w, h):
            # A window is a chain of springs anchored at the finished frames: the pair (b-1, b)
            # holds the pull of frames b..B-1, so its stiffness is scaled by their number and
            # every pair stretches about as much as one sequential pair (docs/BATCH.md).
            stiffness = None if warped is None else np.arange(count, 0, -1, dtype=np.float32)
            return engine.targets(targets_rgb, grams, coeffs, warped, weights, chain, stiffness)
        if warped is None or weights is None:
            return engine.targets(resize_batch(targets_rgb, *size), grams, coeffs)
        # Coarser scales: temporal targets resized; the in-window chain only at full size.
        small_warped = np.stack([resize_batch(frames, *size) for frames in warped])
        small_weights = np.stack([resize_batch(ws, *size) for ws in weights])
        return engine.targets(resize_batch(targets_rgb, *size), grams, coeffs, small_warped, small_weights)

    return targets_at


def _chained_start(window: list[SourceFrame], history: dict[int, np.ndarray], offsets: list[int],
                   init_mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, Chain]:
    """Starting images, constant temporal targets and in-window chain of a window of one shot."""
    starts: list[np.ndarray] = []
    warped: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    h, w = window[0].content.shape[:2]
    chain_idx = np.zeros((len(window), h * w, 4), np.int32)
    chain_tap_weights = np.zeros((len(window), h * w, 4), np.float32)
    chain_w = np.zeros((len(window), h, w, 1), np.float32)
    for slot, frame in enumerate(window):
        inputs = temporal_inputs(frame, history, offsets, init_mode, chained=slot > 0)
        if slot > 0 and 1 in frame.pairs:
            pair = frame.pairs[1]
            chain_idx[slot], chain_tap_weights[slot] = bilinear_taps(pair.flow_bwd)
            chain_w[slot, ..., 0] = pair.weights
            # From the previous frame's start in the window (prev-warped: a chain of warps back to the
            # last finished frame), as the sequential method starts from the previous result.
            inputs.init = start_image(init_mode, pair, starts[-1], frame.content.astype(np.float32))
        starts.append(inputs.init)
        warped.append(inputs.warped)
        weights.append(inputs.weights)
    return np.stack(starts), np.stack(warped), np.stack(weights), (chain_idx, chain_tap_weights, chain_w)
