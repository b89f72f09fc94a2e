"""The compiled objective and the optimisers (Adam on the pixels, L-BFGS-B) for a batch of frames.

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
import scipy.optimize
from keras import ops

from . import backend
from .backend import Tensor
from .config import STOP_WINDOW, TOTAL, StyleOptions
from .device import resolve_precision
from .diffwarp import warp_taps
from .errors import OptimizationError
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

log = logging.getLogger(__name__)

MAX_RETRIES = 3  # non-finite loss: retries from the last finite image with half the step


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


def adam_update(x: Tensor, m: Tensor, v: Tensor, t: Tensor, grad: Tensor,
                hyper: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One Adam step on the pixels, kept in 0-255; `hyper` is (lr, β1, β2, ε) as a tensor, so a
    changed value (--frame-lr) does not retrace the compiled step."""
    lr, beta1, beta2, eps = hyper[0], hyper[1], hyper[2], hyper[3]
    t = t + 1.0
    m = beta1 * m + (1.0 - beta1) * grad
    v = beta2 * v + (1.0 - beta2) * ops.square(grad)
    m_hat = m / (1.0 - ops.power(beta1, t))
    v_hat = v / (1.0 - ops.power(beta2, t))
    return ops.clip(x - lr * m_hat / (ops.sqrt(v_hat) + eps), 0.0, 255.0), m, v, t


class Engine:
    """The network and compiled steps for one set of options; reuse it for every frame."""

    def __init__(self, options: StyleOptions, jit_compile: bool = False):
        options = self.options = resolve_precision(options)
        content_layers, style_layers = options.content_layers, options.style_layers
        self.extractor = Extractor(
            content_layers + style_layers, options.weights, options.pooling, options.precision
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

        def adam(x, m, v, t, hyper, params, *targets):
            backend.count_trace("adam")
            (_, terms), grad = value_and_grad(x, params, *targets)
            return (*adam_update(x, m, v, t, grad, hyper), terms)

        self._evaluate = backend.compile_fn(evaluate, jit_compile)
        self._gradient = backend.compile_fn(gradient, jit_compile)
        self._adam = backend.compile_fn(adam, jit_compile)

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
        return backend.to_numpy(self._evaluate(x, self.params, *targets.args()))

    def gradient(self, image_rgb: np.ndarray, targets: Targets) -> np.ndarray:
        """d total / d image, for tests and for calibrating the temporal weight."""
        x = ops.convert_to_tensor(np.asarray(image_rgb, np.float32))
        return backend.to_numpy(self._gradient(x, self.params, *targets.args())[2])

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
        run = _lbfgs if options.optimizer == "lbfgs" else _adam
        start = time.perf_counter()
        x0 = np.asarray(x0, np.float32)
        image, history, busy = run(self, options, x0, targets, iterations, tol, on_iteration)
        history = np.stack(history)
        return Result(image, history, len(history) - 1, time.perf_counter() - start, busy)


def should_stop(totals: list[float], tol: float) -> bool:
    """--tol: the best total loss improved by less than ``tol`` per iteration over STOP_WINDOW.

    The best-so-far loss is used, and nothing stops before 3 windows, because Adam's loss often
    rises for its first few steps.
    """
    if tol <= 0 or len(totals) < 3 * STOP_WINDOW:
        return False
    best_before, best_now = min(totals[:-STOP_WINDOW]), min(totals)
    return (best_before - best_now) / (STOP_WINDOW * max(abs(best_now), 1e-30)) < tol


def _adam(engine: Engine, o: StyleOptions, x0, targets, iterations, tol, on_iteration):
    lr = o.lr
    x = ops.convert_to_tensor(x0)
    good_x, retries = x, 0
    m, v, t = ops.zeros_like(x), ops.zeros_like(x), ops.convert_to_tensor(0.0)
    history: list[np.ndarray] = []
    totals: list[float] = []
    busy = 0.0
    k = 0
    hyper = ops.convert_to_tensor(np.array([lr, o.beta1, o.beta2, o.eps], np.float32))
    while k < iterations:
        tick = time.perf_counter()
        x_next, m, v, t, terms = engine._adam(x, m, v, t, hyper, engine.params, *targets.args())
        terms = backend.to_numpy(terms)  # terms of x (before this update)
        busy += time.perf_counter() - tick
        if not np.all(np.isfinite(terms)):
            retries += 1
            if retries > MAX_RETRIES:
                raise OptimizationError(f"non-finite loss at iteration {k} after {MAX_RETRIES} retries with smaller steps")
            lr /= 2
            hyper = ops.convert_to_tensor(np.array([lr, o.beta1, o.beta2, o.eps], np.float32))
            log.warning("non-finite loss at iteration %d: retrying from the last finite image with lr %g", k, lr)
            x, m, v, t = good_x, ops.zeros_like(x), ops.zeros_like(x), ops.convert_to_tensor(0.0)
            continue
        good_x = x
        history.append(terms)
        totals.append(float(terms[:, TOTAL].sum()))
        if on_iteration:
            on_iteration(k, terms, x)
        if should_stop(totals, tol):
            break
        x, k = x_next, k + 1
    else:
        final = engine.evaluate(backend.to_numpy(x), targets)
        if np.all(np.isfinite(final)):
            history.append(final)
            good_x = x
            if on_iteration:
                on_iteration(k, final, x)
    return backend.to_numpy(good_x), history, busy


def _lbfgs(engine: Engine, o: StyleOptions, x0, targets, iterations, tol, on_iteration):
    shape = x0.shape
    args = targets.args()
    last: dict = {}
    busy = [0.0]

    def fun(flat: np.ndarray):
        x = ops.convert_to_tensor(flat.reshape(shape).astype(np.float32))
        tick = time.perf_counter()
        total, terms, grad = engine._gradient(x, engine.params, *args)
        terms, grad = backend.to_numpy(terms), backend.to_numpy(grad)
        busy[0] += time.perf_counter() - tick
        if not (np.all(np.isfinite(terms)) and np.all(np.isfinite(grad))):
            return np.inf, np.zeros(flat.size)  # the line search backs off from it
        last.update(flat=flat.copy(), terms=terms, x=x)
        return float(terms[:, TOTAL].sum()), grad.astype(np.float64).ravel()

    fun(x0.astype(np.float64).ravel())
    if "terms" not in last:
        raise OptimizationError("non-finite loss at the starting image")
    history = [last["terms"]]
    totals = [float(last["terms"][:, TOTAL].sum())]
    if on_iteration:
        on_iteration(0, last["terms"], last["x"])

    def callback(intermediate_result) -> None:
        # The accepted point is the last one evaluated by the line search.
        history.append(last["terms"])
        totals.append(float(last["terms"][:, TOTAL].sum()))
        if on_iteration:
            on_iteration(len(history) - 1, last["terms"], last["x"])
        if should_stop(totals, tol):
            raise StopIteration

    if iterations > 0:
        outcome = scipy.optimize.minimize(
            fun,
            x0.astype(np.float64).ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=scipy.optimize.Bounds(0.0, 255.0),
            callback=callback,
            options={"maxiter": iterations, "maxfun": 2 * iterations + 10, "ftol": 0.0, "gtol": 0.0, "maxcor": 10},
        )
        if outcome.status == 2 and len(history) < min(iterations, STOP_WINDOW) + 1:
            # The line search gave up almost at once: the loss is too rough for it (bfloat16).
            log.warning("L-BFGS stopped after %d of %d iterations (%s)%s", len(history) - 1, iterations,
                        outcome.message, "; use --optimizer adam with --precision mixed"
                        if o.precision == "mixed" else "")
    return last["flat"].reshape(shape).astype(np.float32), history, busy[0]
