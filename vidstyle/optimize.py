"""The compiled objective and steps for a batch of frames (the optimisers' loops are in optimizers.py).

An ``Engine`` is built once per run: the network, the loss closure and the compiled steps. Targets
(content features, style Grams, warped previous frames) are computed once per frame or run and
passed in as tensors, as are the loss weights, so that nothing is retraced from one iteration or
frame to the next of the same size.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from keras import ops

from . import backend
from .config import StyleOptions
from .device import resolve_precision
from .diffwarp import warp_taps
from .features import Extractor
from .losses import (
    content_objective,
    content_report,
    gram,
    style_objective,
    style_report,
    temporal_report,
    tv_objective,
    tv_report,
)
from .optimizers import adam, adam_update, lbfgs

log = logging.getLogger(__name__)

@dataclass
class Targets:
    """What one frame (or batch of B frames) is optimised towards; tensors, built once."""

    content: list  # per content layer: (B, h, w, c) features of the content frames
    style: list  # per style layer: (1, C, C) blended style Grams Â_l
    warped: object  # (B, K, H, W, 3) earlier stylised frames warped into these ones
    temporal_weights: object  # (B, K, H, W, 1) per-pixel c_j, zero where unused
    chain_idx: object  # (B, H*W, 4) bilinear taps warping frame b-1 of the batch into frame b
    chain_tap_weights: object  # (B, H*W, 4) their weights
    chain_weights: object  # (B, H, W, 1) c of that in-batch coupling (zero for b = 0)
    stiffness: object  # (B,) multiplies each frame's temporal term in the objective (not the report)
    coeffs: object  # (4,) α, β, γ, δ

    def args(self) -> tuple:
        return (self.content, self.style, self.warped, self.temporal_weights,
                self.chain_idx, self.chain_tap_weights, self.chain_weights, self.stiffness, self.coeffs)


@dataclass
class Result:
    image: np.ndarray  # (B, H, W, 3) float32, 0-255, the last optimised image
    history: np.ndarray  # (rows, B, 5): terms (TERMS) after 0..N updates
    iterations: int
    seconds: float  # wall time of the optimisation
    step_seconds: float  # time inside compiled steps (the optimiser's busy time)
    sizes: list[tuple[int, int]] | None = None  # coarse-to-fine: (w, h) of each scale
    row_scales: list[int] | None = None  # coarse-to-fine: each history row's scale index


IterationCallback = Callable[[int, np.ndarray, object], None]  # (iteration, terms (B,5), image)


class Engine:
    """The network and compiled steps for one set of options; reuse it for every frame."""

    def __init__(self, options: StyleOptions, jit_compile: bool = False):
        options = self.options = resolve_precision(options)
        content_layers, style_layers = options.content_layers, options.style_layers
        self.extractor = Extractor(
            options.layers, options.weights, options.pooling, options.precision
        )
        self.params = self.extractor.params()
        layer_weights = options.layer_weights

        def loss(x, params, content_t, style_t, warped, temporal_w, chain_idx, chain_tap_weights, chain_w, stiffness,
                 coeffs):
            feats = self.extractor(params, x)
            c_rep = sum(content_report(feats[n], t) for n, t in zip(content_layers, content_t))
            c_obj = sum(content_objective(feats[n], t) for n, t in zip(content_layers, content_t))
            c_obj = c_obj / len(content_layers)
            s_rep = s_obj = 0.0
            for name, target, w in zip(style_layers, style_t, layer_weights):
                g = gram(feats[name])
                s_rep = s_rep + w * style_report(g, target)
                s_obj = s_obj + w * style_objective(g, target)
            t_rep = temporal_report(x, warped, temporal_w)
            # Joint window (--batch): frame b is coupled to frame b-1 of the same batch through a
            # differentiable warp, so the gradient reaches both (zero weight for b = 0).
            previous = ops.concatenate([x[:1], x[:-1]], axis=0)
            chained = ops.expand_dims(warp_taps(previous, chain_idx, chain_tap_weights), 1)
            t_rep = t_rep + temporal_report(x, chained, ops.expand_dims(chain_w, 1))
            frame_total = (
                coeffs[0] * c_obj + coeffs[1] * s_obj + coeffs[2] * tv_objective(x)
                + coeffs[3] * stiffness * t_rep
            )
            terms = ops.stack([c_rep, s_rep, tv_report(x), t_rep, frame_total], axis=-1)
            return ops.sum(frame_total), terms

        value_and_grad = backend.value_and_grad(loss)

        def evaluate(x, params, *targets):
            backend.count_trace("evaluate")
            return loss(x, params, *targets)[1]

        def gradient(x, params, *targets):
            backend.count_trace("gradient")
            (total, terms), grad = value_and_grad(x, params, *targets)
            return total, terms, grad

        def adam_step(x, m, v, t, hyper, params, *targets):
            backend.count_trace("adam")
            (_, terms), grad = value_and_grad(x, params, *targets)
            return (*adam_update(x, m, v, t, grad, hyper), terms)

        # The compiled steps, called with (image tensor, self.params, *Targets.args()): the
        # optimisers' loops (optimizers.py) and the benchmarks call them directly.
        self.compiled_terms = backend.compile_fn(evaluate, jit_compile)
        self.compiled_gradient = backend.compile_fn(gradient, jit_compile)
        self.compiled_adam = backend.compile_fn(adam_step, jit_compile)

    # --- targets -------------------------------------------------------------------------------

    def features(self, images_rgb: np.ndarray) -> dict:
        return self.extractor(self.params, ops.convert_to_tensor(images_rgb, "float32"))

    def content_targets(self, content_rgb: np.ndarray) -> list:
        """Content features P for a batch (B, H, W, 3) of content frames."""
        feats = self.features(content_rgb)
        return [feats[n] for n in self.options.content_layers]

    def style_targets(self, styles_rgb: Sequence[np.ndarray], blend: Sequence[float]) -> list:
        """Â_l = Σ_k b_k A_l^(k) / M_s^(k): each style image at its own size, computed once."""
        grams = [0.0] * len(self.options.style_layers)
        for image, b in zip(styles_rgb, blend, strict=True):
            feats = self.features(np.asarray(image, np.float32)[None])
            for i, name in enumerate(self.options.style_layers):
                grams[i] = grams[i] + b * gram(feats[name])
        return grams

    def targets(
        self,
        content_rgb: np.ndarray,
        style_grams: list,
        coeffs: Sequence[float],
        warped: np.ndarray | None = None,
        temporal_weights: np.ndarray | None = None,
        chain: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        stiffness: np.ndarray | None = None,
    ) -> Targets:
        """Targets for a batch; absent temporal inputs become zero-weight slots of fixed shape,
        so that images, first frames and later frames all run the same compiled step."""
        content_rgb = np.asarray(content_rgb, np.float32)
        b, h, w, _ = content_rgb.shape
        if warped is None:
            warped = np.zeros((b, 1, h, w, 3), np.float32)
            temporal_weights = np.zeros((b, 1, h, w, 1), np.float32)
        if chain is None:
            chain = (np.zeros((b, h * w, 4), np.int32), np.zeros((b, h * w, 4), np.float32),
                     np.zeros((b, h, w, 1), np.float32))
        tensor = ops.convert_to_tensor
        return Targets(
            content=self.content_targets(content_rgb),
            style=style_grams,
            warped=tensor(warped, "float32"),
            temporal_weights=tensor(temporal_weights, "float32"),
            chain_idx=tensor(chain[0], "int32"),
            chain_tap_weights=tensor(chain[1], "float32"),
            chain_weights=tensor(chain[2], "float32"),
            stiffness=tensor(np.ones(b, np.float32) if stiffness is None else np.asarray(stiffness, np.float32)),
            coeffs=tensor(np.asarray(coeffs, np.float32)),
        )

    # --- evaluation and optimisation -----------------------------------------------------------

    def evaluate(self, image_rgb: np.ndarray, targets: Targets) -> np.ndarray:
        """Terms (B, 5) of a batch of images, in TERMS order."""
        x = ops.convert_to_tensor(np.asarray(image_rgb, np.float32))
        return backend.to_numpy(self.compiled_terms(x, self.params, *targets.args()))

    def gradient(self, image_rgb: np.ndarray, targets: Targets) -> np.ndarray:
        """d total / d image, for tests and for calibrating the temporal weight."""
        x = ops.convert_to_tensor(np.asarray(image_rgb, np.float32))
        return backend.to_numpy(self.compiled_gradient(x, self.params, *targets.args())[2])

    def optimize(
        self,
        x0: np.ndarray,
        targets: Targets,
        iterations: int,
        tol: float,
        on_iteration: IterationCallback | None = None,
        options: StyleOptions | None = None,
    ) -> Result:
        """Optimise from x0; ``options`` may change the optimiser settings (not the network)."""
        options = options or self.options
        run = lbfgs if options.optimizer == "lbfgs" else adam
        start = time.perf_counter()
        x0 = np.asarray(x0, np.float32)
        image, rows, busy = run(self, options, x0, targets, iterations, tol, on_iteration)
        return Result(image, np.stack(rows), len(rows) - 1, time.perf_counter() - start, busy)
