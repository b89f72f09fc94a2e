"""The optimisers' loops over an Engine's compiled steps: Adam on the pixels (its update rule runs
inside the compiled step) and SciPy's L-BFGS-B, with --tol's early stop shared by both."""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING

import numpy as np
import scipy.optimize
from keras import ops

from . import backend
from .backend import Tensor
from .config import STOP_WINDOW, TOTAL, StyleOptions
from .device import gpus
from .errors import OptimizationError

if TYPE_CHECKING:  # optimize.py imports this module
    from .optimize import Engine, IterationCallback, Targets

log = logging.getLogger(__name__)

MAX_RETRIES = 3  # non-finite loss: retries from the last finite image with half the step


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


def _hyper(lr: float, o: StyleOptions) -> Tensor:
    """Adam's (lr, β1, β2, ε) as one tensor, an argument of the compiled step (see adam_update)."""
    return ops.convert_to_tensor(np.array([lr, o.beta1, o.beta2, o.eps], np.float32))


def _fresh_state(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Adam's moments and step count at the start (and after a retry)."""
    return ops.zeros_like(x), ops.zeros_like(x), ops.convert_to_tensor(0.0)


def should_stop(totals: list[float], tol: float) -> bool:
    """--tol: the best total loss improved by less than ``tol`` per iteration over STOP_WINDOW.

    The best-so-far loss is used, and nothing stops before 3 windows, because Adam's loss often
    rises for its first few steps.
    """
    if tol <= 0 or len(totals) < 3 * STOP_WINDOW:
        return False
    best_before, best_now = min(totals[:-STOP_WINDOW]), min(totals)
    return (best_before - best_now) / (STOP_WINDOW * max(abs(best_now), 1e-30)) < tol


def adam(engine: Engine, o: StyleOptions, x0: np.ndarray, targets: Targets, iterations: int, tol: float,
         on_iteration: IterationCallback | None) -> tuple[np.ndarray, list[np.ndarray], float]:
    """Adam on the pixels; a non-finite loss retries from the last finite image with half the step.
    Returns (image, terms per row: the start, then after each update, seconds in compiled steps)."""
    lr = o.lr
    x = ops.convert_to_tensor(x0)
    good_x, retries = x, 0
    m, v, t = _fresh_state(x)
    history: list[np.ndarray] = []
    totals: list[float] = []
    busy = 0.0
    k = 0
    hyper = _hyper(lr, o)
    while k < iterations:
        tick = time.perf_counter()
        x_next, m, v, t, terms = engine.compiled_adam(x, m, v, t, hyper, engine.params, *targets.args())
        terms = backend.to_numpy(terms)  # terms of x (before this update)
        busy += time.perf_counter() - tick
        if not np.all(np.isfinite(terms)):
            retries += 1
            if retries > MAX_RETRIES:
                raise OptimizationError(f"non-finite loss at iteration {k} after {MAX_RETRIES} retries with smaller steps")
            lr /= 2
            hyper = _hyper(lr, o)
            log.warning("non-finite loss at iteration %d: retrying from the last finite image with lr %g", k, lr)
            x, (m, v, t) = good_x, _fresh_state(x)
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


@functools.cache
def note_lbfgs_on_gpu() -> None:
    """Once a process: SciPy's L-BFGS-B works on the host, which on a GPU costs far more than the
    network's steps (measured on the H200, docs/GPU.md)."""
    if gpus():
        log.warning("note: --optimizer lbfgs runs SciPy's L-BFGS-B on the host, slower than the GPU's "
                    "steps: 0.375 s an iteration at 512² on an H200, against 0.005 s for Adam (the default)")


def lbfgs(engine: Engine, o: StyleOptions, x0: np.ndarray, targets: Targets, iterations: int, tol: float,
          on_iteration: IterationCallback | None) -> tuple[np.ndarray, list[np.ndarray], float]:
    """SciPy's L-BFGS-B on the pixels, bounded to 0-255; returns as `adam` does."""
    note_lbfgs_on_gpu()
    shape = x0.shape
    args = targets.args()
    last: dict = {}
    busy = [0.0]

    def fun(flat: np.ndarray):
        x = ops.convert_to_tensor(flat.reshape(shape).astype(np.float32))
        tick = time.perf_counter()
        total, terms, grad = engine.compiled_gradient(x, engine.params, *args)
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
