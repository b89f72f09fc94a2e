#!/usr/bin/env python3
"""Coarse-to-fine (--scales N) against a single scale on samples/content.png: seconds until the
full-size loss first reaches the single scale's final loss (issue 5, part 2). The sample (256×192)
is enlarged (Lanczos, images.resize) to --size first when it is smaller.

    python scripts/scales_check.py --size 512 --iterations 300 --precision mixed \
        [--content-weight 1e3 --tv-weight 30] [--out docs/scales_check.json]

Each run is vidstyle's own image path (`api.run_image`) with tol 0; the clock starts after a
warm-up run has compiled every scale's step.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--iterations", type=int, default=300, help="per scale")
    p.add_argument("--scales", default="1,2,3")
    p.add_argument("--precision", default="float32", choices=("float32", "mixed"))
    p.add_argument("--content-weight", type=float)
    p.add_argument("--tv-weight", type=float)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "scales_check.json")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_ONEDNN_ASSUME_FROZEN_WEIGHTS", "1")  # as the CLI
    from vidstyle.api import run_image
    from vidstyle.config import StyleOptions
    from vidstyle.images import read_image, resize

    content, style = read_image(ROOT / "samples" / "content.png"), read_image(ROOT / "samples" / "style.png")
    h, w = content.shape[:2]
    if max(h, w) < args.size:  # the working size never enlarges an input: enlarge the sample here
        scale = args.size / max(h, w)
        content = resize(content, round(w * scale), round(h * scale))
    changes = {k: v for k, v in (("content_weight", args.content_weight), ("tv_weight", args.tv_weight)) if v}
    results, reference = {}, None
    for count in (int(n) for n in args.scales.split(",")):
        o = StyleOptions(weights="random", size=args.size, iterations=args.iterations, tol=0.0, scales=count,
                         precision=args.precision, **changes)
        run_image(content, [style], o.replace(iterations=2))  # compile every scale's step
        calls: list[tuple[float, float]] = []  # (seconds, total loss) at each callback
        start = time.perf_counter()
        _, result = run_image(content, [style], o,
                              lambda k, terms, x: calls.append((time.perf_counter() - start, float(terms[:, 4].sum()))))
        # With tol 0 every scale makes exactly `iterations` updates and calls back iterations + 1
        # times (its start, then after each update): the last scale's calls are the tail.
        last = calls[-(args.iterations + 1):]
        final = last[-1][1]
        if reference is None:
            reference = final
        reach = next((sec for sec, loss in last if loss <= reference), None)
        results[str(count)] = r = {
            "scales": count, "sizes": result.sizes, "final": final, "seconds": calls[-1][0],
            "reach_seconds": reach, "reference": reference, "calls": calls}
        print(f"scales {count}: final {final:.6g} in {r['seconds']:.1f} s; reaches the single scale's {reference:.6g} "
              f"after {r['reach_seconds'] if r['reach_seconds'] is None else round(r['reach_seconds'], 1)} s", flush=True)
        args.out.write_text(json.dumps({"size": args.size, "iterations": args.iterations, "precision": args.precision,
                                        "objective": changes or "defaults", "runs": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
