#!/usr/bin/env python3
"""Seconds per Adam iteration in float32 and mixed precision under the current Keras backend, on
random noise at a square size (which --precision auto picks is decided from this; docs/DEFAULTS.md).

    KERAS_BACKEND=jax python scripts/precision_speed.py --size 128
    KERAS_BACKEND=tensorflow python scripts/precision_speed.py --size 128
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--rounds", type=int, default=2, help="alternate the precisions this many times")
    args = p.parse_args(argv)
    import keras

    from vidstyle.config import StyleOptions
    from vidstyle.optimize import Engine

    x = np.random.default_rng(0).uniform(0, 255, (1, args.size, args.size, 3)).astype(np.float32)
    for _ in range(args.rounds):
        for precision in ("float32", "mixed"):
            engine = Engine(StyleOptions(weights="random", precision=precision))
            targets = engine.targets(x, engine.style_targets([x[0]], [1.0]), (1e3, 1e-2, 30.0, 0.0))
            engine.optimize(x, targets, 3, 0.0)  # compile and warm up
            tick = time.perf_counter()
            engine.optimize(x, targets, args.iterations, 0.0)
            seconds = (time.perf_counter() - tick) / args.iterations
            print(f"{keras.backend.backend()} {precision} {args.size}²: {seconds:.4f} s/iteration", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
