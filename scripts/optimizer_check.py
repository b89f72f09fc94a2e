#!/usr/bin/env python3
"""Optimiser and precision check at 128×96 on the samples (random weights, default objective).

Runs `--iterations` (300) of each setting in one process, after a 3-iteration warm-up that
compiles, and prints the final total loss and seconds: the early measurement behind the default
optimiser and precision (docs/DEFAULTS.md). A mixed-precision run's final image is scored by the
float32 objective, like for like.

    python scripts/optimizer_check.py [--iterations 300] [--out docs/optimizer_check.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vidstyle.api import coefficients, get_engine, prepare_styles  # noqa: E402
from vidstyle.config import StyleOptions  # noqa: E402
from vidstyle.images import read_image, resize  # noqa: E402

SETTINGS = {
    "lbfgs": {"optimizer": "lbfgs"},
    "adam6": {"optimizer": "adam", "lr": 6.0},
    "adam2": {"optimizer": "adam", "lr": 2.0},
    # The TensorFlow tutorial's Adam (lr 0.02, β1 0.99, ε 0.1 on [0, 1] pixels) on the 0-255 scale.
    "tutorial": {"optimizer": "adam", "lr": 5.1, "beta1": 0.99, "eps": 0.1 / 255},
    "adam2_mixed": {"optimizer": "adam", "lr": 2.0, "precision": "mixed"},
}


def targets_for(options: StyleOptions, content, style):
    engine = get_engine(options)
    size = (content.shape[1], content.shape[0])
    grams = engine.style_targets(prepare_styles([style], size, options, None), [1.0])
    return engine, engine.targets(content[None], grams, coefficients(options))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--out", type=Path, help="write every setting's loss curve and final loss here (JSON)")
    args = p.parse_args()

    content = resize(read_image(ROOT / "samples/content.png"), 128, 96).astype("float32")
    style = read_image(ROOT / "samples/style.png").astype("float32")
    float32 = StyleOptions(weights="random", precision="float32")
    scorer, score_targets = targets_for(float32, content, style)
    results = {}
    for name, setting in SETTINGS.items():
        options = StyleOptions(weights="random", tol=0.0, **({"precision": "float32"} | setting))
        engine, targets = targets_for(options, content, style)
        engine.optimize(content[None], targets, 3, 0.0, None, options)  # compiles
        curve: list[tuple[float, float]] = []
        start = time.perf_counter()
        result = engine.optimize(content[None], targets, args.iterations, 0.0,
                                 lambda k, terms, x: curve.append((time.perf_counter() - start, float(terms[0, 4]))),
                                 options)
        final = float(scorer.evaluate(result.image, score_targets)[0, 4])
        results[name] = {"curve": curve, "final": final, "seconds": result.seconds, "step": result.step_seconds}
        print(f"{name}: final loss {final:.6g} (float32 objective), {result.seconds:.1f} s", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
