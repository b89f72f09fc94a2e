#!/usr/bin/env python3
"""Where each --tol would stop, replayed on recorded loss curves (no optimisation is run).

`should_stop` (vidstyle/optimizers.py) depends only on the curve of total losses, so a curve
recorded without early stopping shows where any tolerance would have stopped it and what loss it
would have ended at. Curves used (docs/DEFAULTS.md):
- image: Adam lr 1 at 256², default objective, 1000 iterations (H200, docs/gpu_h200_bench.json);
- later video frames: Adam with 300 iterations each, frames 1-5 of the sample clip
  (docs/frame_budget_cpu.json, run "adam300");
- with --balance: a fresh curve of samples/content.png at its own 256×192, random-weights
  balance (α 1e3, γ 30), default precision, Adam lr 1, 300 iterations (about a minute here).

    python scripts/tol_check.py --balance
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOLS = (1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6)


def stop_at(curve: list[float], tol: float, budget: int) -> int:
    """The iteration at which a run with this tol and budget ends (the optimiser's own rule)."""
    from vidstyle.optimizers import should_stop

    for k in range(min(budget, len(curve) - 1) + 1):
        if should_stop(curve[: k + 1], tol):
            return k
    return min(budget, len(curve) - 1)


def table(title: str, curves: list[list[float]], budget: int) -> None:
    print(f"\n{title} (budget {budget}; gap = loss at the stop over the loss at the budget, minus 1)\n")
    print("| --tol | stops at (per curve) | mean gap | worst gap |\n| --- | --- | --- | --- |")
    for tol in TOLS:
        stops = [stop_at(c, tol, budget) for c in curves]
        gaps = [min(c[: s + 1]) / min(c[: budget + 1]) - 1 for c, s in zip(curves, stops)]
        print(f"| {tol:g} | {stops} | {100 * sum(gaps) / len(gaps):.2f} % | {100 * max(gaps):.2f} % |")


def balance_curve(iterations: int) -> list[float]:
    from vidstyle.api import run_image
    from vidstyle.config import StyleOptions

    options = StyleOptions(weights="random", content_weight=1e3, tv_weight=30.0, iterations=iterations, tol=0.0)
    _, result = run_image(ROOT / "samples" / "content.png", ROOT / "samples" / "style.png", options)
    return [float(t) for t in result.history[:, 0, 4]]


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--balance", action="store_true", help="also record and replay a random-weights-balance curve")
    args = p.parse_args(argv)
    bench = json.loads((ROOT / "docs" / "gpu_h200_bench.json").read_text())
    adam = next(o for o in bench["quality_run1"]["optimizers"] if o["name"] == "adam_lr1")
    target = adam["target"]
    for budget in (300, 1000):
        table(f"Image, Adam lr 1 at 256² (the tutorial's 1000-step target {target:.6g})", [adam["loss"]], budget)
    for tol in TOLS:
        s = stop_at(adam["loss"], tol, 1000)
        print(f"tol {tol:g}: image stops at {s}, best loss {min(adam['loss'][: s + 1]):.6g}, "
              f"target reached: {min(adam['loss'][: s + 1]) <= target}")
    frames = json.loads((ROOT / "docs" / "frame_budget_cpu.json").read_text())["adam300"]["curves"]
    for budget in (60, 300):
        table("Later frames 1-5 of the sample clip, Adam", frames, budget)
    if args.balance:
        table("Image, random-weights balance, 256×192, default precision", [balance_curve(300)], 300)
    return 0


if __name__ == "__main__":
    sys.exit(main())
