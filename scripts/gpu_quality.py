#!/usr/bin/env python3
"""Iterations to quality, measured where iterations are cheap (the lent GPU, under JAX).

How many iterations (and loss evaluations) a setting needs to reach a loss does not depend on the
machine that runs them, only on the arithmetic: so this script runs the long curves that would take
hours on the 2-core CPU on the GPU, in true float32 (``jax_default_matmul_precision = 'highest'``:
no TF32), and docs/BENCHMARKS.md turns evaluations into CPU seconds with the per-evaluation time
measured on the CPU (scripts/benchmark.py). Sections, in order (each skipped when the budget is
spent; --quick: tiny sizes for a CPU dry run):

* optimizers: 256² samples, the default objective. The TensorFlow tutorial's configuration (Adam
  lr 0.02, β1 0.99, ε 0.1 on [0, 1] pixels) runs 1000 steps; its final loss is the quality target.
  Adam at lr 1, 2 (default), 4 and L-BFGS-B run until they reach it (at most 1000 iterations).
* scales: 512×384, single scale for 300 iterations against --scales 2 and 3 (300 iterations per
  coarse scale, the default tol): cost to reach the single scale's final loss, in full-size
  iterations (a coarse iteration costs its share of the pixels).
* budgets: samples/clip.mp4 at 160×120 (random-weights balance α 1e3, γ 30): the default video
  settings against 5× and 10× more iterations per later frame, with and without the warm start
  and early stop: per later frame, iterations until the total loss is within 2 % of what 10× reach;
  E_warp and mean later-frame loss of the defaults against 5×.
* temporal: E_warp and the worst pair over the median pair, per init / temporal setting.

Usage (docs/GPU.md): QUALITY_SECONDS=200 bash scripts/gpu_check.sh, or directly
    KERAS_BACKEND=jax python3 scripts/gpu_quality.py --budget 200 [--out DIR]
    python3 scripts/gpu_quality.py --device cpu --quick                          # dry run
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gpu_bench import Report  # noqa: E402 - scripts/ is on sys.path when run as a script

RANDOM_BALANCE = {"content_weight": 1e3, "tv_weight": 30.0}  # docs/DEFAULTS.md: random weights
WITHIN = 0.02  # "within 2 %"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    p.add_argument("--quick", action="store_true", help="tiny sizes and counts (dry run)")
    p.add_argument("--budget", type=float, default=200.0, help="seconds after which sections are skipped")
    p.add_argument("--out", default=os.environ.get("OUT") or None, help="folder for gpu_quality.json/.md")
    p.add_argument("--skip", default="", help="comma list of optimizers,scales,budgets,temporal")
    args = p.parse_args(argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    return args


def g(x, spec: str = ".4g") -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def first_within(losses, target: float, rel: float = 0.0, start: int = 0) -> int | None:
    """First index from `start` whose loss is at most target·(1 + rel)."""
    for k in range(start, len(losses)):
        if losses[k] <= target * (1 + rel):
            return k
    return None


# --- optimizers at 256² ------------------------------------------------------------------------


def square_samples(size: int):
    import numpy as np

    from vidstyle.images import read_image, resize

    def square(name):
        return np.clip(resize(read_image(ROOT / "samples" / name).astype(np.float32), size, size), 0, 255)

    return square("content.png").astype("float32"), square("style.png").astype("float32")


def curve(engine, x0, targets, iterations: int, options) -> dict:
    """Loss after each iteration, compiled-step calls (Adam updates or L-BFGS evaluations), seconds."""
    calls = [0]
    saved = {name: getattr(engine, name) for name in ("compiled_adam", "compiled_gradient")}
    for name, fn in saved.items():
        def counted(*a, _fn=fn):
            calls[0] += 1
            return _fn(*a)
        setattr(engine, name, counted)
    losses, evals, stamps = [], [], []
    start = time.perf_counter()

    def on_iteration(k, terms, x):
        losses.append(float(terms[:, 4].sum()))
        evals.append(calls[0])
        stamps.append(time.perf_counter() - start)

    try:
        engine.optimize(x0, targets, iterations, 0.0, on_iteration, options)
    finally:
        for name, fn in saved.items():
            setattr(engine, name, fn)
    return {"loss": losses, "evaluations": evals, "seconds": stamps}


def optimizers(out: Report, quick: bool, clock) -> None:
    from vidstyle.config import StyleOptions
    from vidstyle.optimize import Engine
    from vidstyle.optimizers import should_stop

    size, n = (64, 60) if quick else (256, 1000)
    content, style = square_samples(size)
    engine = Engine(StyleOptions(weights="random", optimizer="adam"))
    o = engine.options
    targets = engine.targets(content[None], engine.style_targets([style], [1.0]),
                             (o.content_weight, o.style_weight, o.tv_weight, 0.0))
    settings = [
        ("tutorial", "TF tutorial: Adam lr 0.02, β1 0.99, ε 0.1 on [0,1] (lr 5.1, ε 0.1/255 here)",
         {"lr": 0.02 * 255, "beta1": 0.99, "eps": 0.1 / 255}),
        ("adam_lr2", "Adam lr 2", {"lr": 2.0}),
        ("adam_lr1", "Adam lr 1 (default)", {"lr": 1.0}),
        ("adam_lr4", "Adam lr 4", {"lr": 4.0}),
        ("lbfgs", "L-BFGS-B (SciPy, maxcor 10)", {"optimizer": "lbfgs"}),
    ]
    engine.optimize(content[None], targets, 2, 0.0, None, o)  # compile
    engine.optimize(content[None], targets, 2, 0.0, None, o.replace(optimizer="lbfgs"))
    out.line(f"\n## Optimisers at {size}×{size} (samples, default objective, random weights, float32 'highest')")
    out.line(f"Target: the tutorial configuration's loss after {n} steps. Evaluations = compiled forward+gradient "
             "calls (Adam: one per iteration; L-BFGS: its line search's). Stop at 1e-4: the iteration where "
             "vidstyle's --tol 1e-4 rule would stop.")
    out.table(["setting", "start loss", f"loss after {n} its", "its to target", "evaluations to target",
               "evaluations / tutorial's", "GPU s to target", "stop at tol 1e-4 (its, loss)"])
    target = None
    for name, label, changes in settings:
        if clock() <= 0:
            out.row("optimizers", [label] + ["–"] * 6 + ["skipped: time budget"], {"name": name, "skipped": True})
            continue
        c = curve(engine, content[None], targets, n, o.replace(**changes))
        if target is None:
            target = c["loss"][-1]
        k = first_within(c["loss"], target, start=1)  # an iteration, not the starting image
        stop = next((m for m in range(1, len(c["loss"]) + 1) if should_stop(c["loss"][:m], 1e-4)), None)
        stop_cell = f"{stop - 1}, {c['loss'][stop - 1]:.5g}" if stop else "no stop"
        rec = {"name": name, "label": label, "changes": changes, "target": target, "reach_iteration": k,
               "reach_evaluations": c["evaluations"][k] if k is not None else None,
               "reach_seconds": c["seconds"][k] if k is not None else None, **c}
        out.row("optimizers", [label, g(c["loss"][0], ".6g"), g(c["loss"][-1], ".6g"), g(k, "d"),
                               g(rec["reach_evaluations"], "d"),
                               g(rec["reach_evaluations"] / n if k is not None else None, ".3f"),
                               g(rec["reach_seconds"], ".3g"), stop_cell], rec)


# --- coarse-to-fine at 512×384 ------------------------------------------------------------------


def scales(out: Report, quick: bool, clock) -> None:
    from vidstyle.api import run_image
    from vidstyle.config import StyleOptions
    from vidstyle.images import read_image

    size, n = (128, 30) if quick else (512, 300)
    content = read_image(ROOT / "samples" / "content.png")
    style = read_image(ROOT / "samples" / "style.png")
    out.line(f"\n## Coarse-to-fine at {size} px (longest side), {n} iterations per scale")
    out.line("Cost in full-size iterations: a scale's iteration costs its pixels over the full size's. "
             "'to reach': the cost until the full-size loss first reaches the single scale's final loss.")
    out.table(["scales", "tol", "iterations per scale", "final loss", "cost (full-size its)", "cost to reach",
               "GPU s"])
    reference = None
    for count, tol in ((1, 0.0), (2, 0.0), (3, 0.0), (2, 1e-4), (3, 1e-4)):
        if clock() <= 0:
            out.row("scales", [count, tol] + ["–"] * 4 + ["skipped: time budget"], {"scales": count, "skipped": True})
            continue
        o = StyleOptions(weights="random", size=size, iterations=n, tol=tol, scales=count)
        tick = time.perf_counter()
        _, result = run_image(content, [style], o)
        seconds = time.perf_counter() - tick
        sizes = result.sizes or [None]
        rows_scale = result.row_scales or [0] * len(result.history)
        full = len(sizes) - 1
        full_px = (sizes[-1][0] * sizes[-1][1]) if sizes[-1] else 1
        cost, losses_full, cost_at = 0.0, [], []
        for r, s in enumerate(rows_scale):  # row 0 is the start; every later row is one iteration
            if r > 0:
                cost += (sizes[s][0] * sizes[s][1] / full_px) if sizes[s] else 1.0
            if s == full:
                losses_full.append(float(result.history[r, 0, 4]))
                cost_at.append(cost)
        final = losses_full[-1]
        if reference is None:
            reference = final
        k = first_within(losses_full, reference)
        per_scale = [rows_scale.count(s) - (1 if s == 0 else 0) for s in range(len(sizes))]
        rec = {"scales": count, "tol": tol, "iterations_per_scale": per_scale, "final": final, "cost": cost,
               "cost_to_reach": cost_at[k] if k is not None else None, "seconds": seconds, "reference": reference,
               "sizes": result.sizes, "full_losses": losses_full}
        out.row("scales", [count, tol, "/".join(map(str, per_scale)), g(final, ".6g"), g(cost, ".4g"),
                           g(rec["cost_to_reach"], ".4g"), g(seconds, ".3g")], rec)


# --- video budgets and temporal table -----------------------------------------------------------


def video(options: dict, quick: bool) -> tuple[dict, float]:
    import vidstyle

    base = {"weights": "random", **RANDOM_BALANCE}
    if quick:
        base |= {"size": 64, "end": "6", "iterations": 6}
    with tempfile.TemporaryDirectory(prefix="vidstyle-quality-") as tmp:
        tick = time.perf_counter()
        rep = vidstyle.stylize_video(ROOT / "samples" / "clip.mp4", ROOT / "samples" / "style.png",
                                     Path(tmp) / "out", **(base | options))
        return rep, time.perf_counter() - tick


def summary(rep: dict) -> dict:
    import numpy as np

    pairs = np.array([p for p in rep["warp_error"]["pairs"] if p is not None and not math.isnan(p)])
    later = [f for f in rep["frames"][1:] if not f.get("cut")]
    return {"e_warp": rep["warp_error"]["output"], "e_warp_original": rep["warp_error"]["original"],
            "pair_ratio": float(pairs.max() / np.median(pairs)) if pairs.size else None,
            "mean_total_later": float(np.mean([f["final"]["total"] for f in later])),
            "mean_iterations_later": float(np.mean([f["iterations"] for f in later])),
            "first_iterations": rep["frames"][0]["iterations"], "busy": rep.get("busy"),
            "curves": [[row[5] for row in f["history"]] for f in later],
            "indices": [f["index"] for f in later]}


def budgets(out: Report, quick: bool, clock) -> None:
    import numpy as np

    from vidstyle.config import VideoOptions

    d = VideoOptions().frame_iterations
    runs = [
        ("default", f"defaults (frame-iterations {d}, tol 1e-4)", {}),
        ("x5", f"frame-iterations {5 * d}, tol 0 (5×)", {"frame_iterations": 5 * d, "tol": 0.0}),
        ("x10", f"frame-iterations {10 * d}, tol 0 (10×)", {"frame_iterations": 10 * d, "tol": 0.0}),
        ("no_stop", f"frame-iterations {d}, tol 0 (no early stop)", {"tol": 0.0}),
        ("x10_cold", "10×, tol 0, init content (no warm start)",
         {"frame_iterations": 10 * d, "tol": 0.0, "init_mode": "content"}),
    ]
    if quick:
        runs = [(n, lab, opts | {"frame_iterations": max(2, opts.get("frame_iterations", d) // 20)})
                for n, lab, opts in runs]
    out.line("\n## Video frame budgets: samples/clip.mp4 at its 160×120, random weights, α 1e3, γ 30")
    out.line(f"'its to 2 %': per later frame (the first frame after the cut excluded), the first iteration whose "
             f"total is within {WITHIN:.0%} of that frame's own final total in the 10× run of the same start "
             "(warm: 10×; cold: 10× from the content); median / max over the frames.")
    out.table(["run", "E_warp", "max/median pair", "mean later total", "mean its / later frame",
               "its to 2 % (median / max)", "wall s"])
    done: dict = {}
    for name, label, opts in runs:
        if clock() <= 0:
            out.row("budgets", [label] + ["–"] * 5 + ["skipped: time budget"], {"name": name, "skipped": True})
            continue
        try:
            rep, wall = video(opts, quick)
        except Exception as exc:  # noqa: BLE001 - a row's failure is shown in the table
            out.row("budgets", [label] + ["–"] * 5 + [f"{type(exc).__name__}: {exc}"[:200]], {"name": name})
            continue
        s = summary(rep)
        done[name] = s
        reach = ""
        if name in ("x10", "x10_cold"):
            ks = [first_within(c, c[-1], WITHIN) for c in s["curves"]]
            s["its_to_2pct"] = ks
            reach = f"{np.median(ks):.0f} / {max(ks)}"
        out.row("budgets", [label, g(s["e_warp"], ".5g"), g(s["pair_ratio"], ".3g"),
                            g(s["mean_total_later"], ".6g"), g(s["mean_iterations_later"], ".1f"), reach,
                            g(wall, ".3g")], {"name": name, "label": label, "options": opts, "wall": wall, **s})
    if "default" in done and "x5" in done:
        a, b = done["default"], done["x5"]
        out.line(f"\nDefaults against 5×: E_warp {a['e_warp']:.5g} vs {b['e_warp']:.5g} "
                 f"({a['e_warp'] / b['e_warp'] - 1:+.1%}), mean later total {a['mean_total_later']:.6g} vs "
                 f"{b['mean_total_later']:.6g} ({a['mean_total_later'] / b['mean_total_later'] - 1:+.1%}); "
                 f"later frames used {a['mean_iterations_later']:.1f} iterations against the first frame's "
                 f"{a['first_iterations']}.")
        out.data["defaults_vs_x5"] = {"e_warp_rel": a["e_warp"] / b["e_warp"] - 1,
                                      "total_rel": a["mean_total_later"] / b["mean_total_later"] - 1}


def temporal(out: Report, quick: bool, clock) -> None:
    rows = [
        ("independent", {"independent": True}),
        ("prev-warped, no temporal loss", {"temporal_weight": 0.0}),
        ("prev-warped + temporal λ=1 (default)", {}),
        ("+ long-term 1,2,4", {"long_term": (1, 2, 4)}),
        ("batch 4", {"batch": 4}),
    ]
    out.line("\n## Temporal stability: samples/clip.mp4 at 160×120, defaults, random weights, α 1e3, γ 30")
    out.table(["setting", "E_warp", "E_warp original", "max/median pair", "mean later total", "wall s"])
    for label, opts in rows:
        if clock() <= 0:
            out.row("temporal", [label] + ["–"] * 4 + ["skipped: time budget"], {"label": label, "skipped": True})
            continue
        try:
            rep, wall = video(opts | ({"frame_iterations": 3} if quick else {}), quick)
        except Exception as exc:  # noqa: BLE001
            out.row("temporal", [label] + ["–"] * 4 + [f"{type(exc).__name__}: {exc}"[:200]], {"label": label})
            continue
        s = summary(rep)
        s.pop("curves")
        out.row("temporal", [label, g(s["e_warp"], ".5g"), g(s["e_warp_original"], ".5g"), g(s["pair_ratio"], ".3g"),
                             g(s["mean_total_later"], ".6g"), g(wall, ".3g")],
                {"label": label, "options": opts, "wall": wall, **s, "pairs": rep["warp_error"]["pairs"]})


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    if args.device == "cpu":
        os.environ["JAX_PLATFORMS"] = "cpu"
    import logging

    import jax

    jax.config.update("jax_default_matmul_precision", "highest")  # true float32, as on the CPU
    logging.getLogger("vidstyle").setLevel(logging.ERROR)
    start = time.perf_counter()

    def clock() -> float:
        return args.budget - (time.perf_counter() - start)

    out = Report(args.out, "gpu_quality.md", "gpu_quality.json")
    dev = jax.devices()[0]
    out.line(f"# vidstyle quality measurements{' (quick dry run)' if args.quick else ''}")
    out.line(f"\ndevice: {getattr(dev, 'device_kind', '') or dev} ({dev.platform}), jax {jax.__version__}, "
             "matmul precision 'highest'")
    out.data["device"] = f"{getattr(dev, 'device_kind', '')} ({dev.platform})"
    for name, fn in (("optimizers", optimizers), ("budgets", budgets), ("temporal", temporal), ("scales", scales)):
        if name in args.skip:
            continue
        try:
            fn(out, args.quick, clock)
        except Exception:  # noqa: BLE001 - shown, then the next section
            out.line(f"\nsection {name} failed:\n```\n{traceback.format_exc()[-1500:]}```")
    out.line(f"\ntotal {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
