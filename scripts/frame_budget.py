#!/usr/bin/env python3
"""Later-frame convergence on the first frames of samples/clip.mp4 (CPU): each named run's mean
later-frame loss and E_warp, to compare a frame budget with 5× more (docs/DEFAULTS.md, issue 5).

    python scripts/frame_budget.py '{"adam60": {}, "adam300": {"frame_iterations": 300, "tol": 0}}' \
        --end 6 --out frame_budget.json

Runs the public API at the clip's 160×120 with the random-weights balance (α 1e3, γ 30).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def worst_over_median(pairs: list) -> float:
    known = np.array([p for p in pairs if p is not None and np.isfinite(p)])
    return float(known.max() / np.median(known))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", help="JSON object: run name -> stylize_video options")
    p.add_argument("--end", default="6", help="last frame (exclusive), as --end; 'all' for the whole clip")
    p.add_argument("--out", type=Path, default=Path("frame_budget.json"))
    args = p.parse_args(argv)
    os.environ.setdefault("TF_ONEDNN_ASSUME_FROZEN_WEIGHTS", "1")  # as the CLI (one network per process)
    import vidstyle

    results = {}
    for name, options in json.loads(args.runs).items():
        with tempfile.TemporaryDirectory(prefix="vidstyle-budget-") as tmp:
            tick = time.perf_counter()
            rep = vidstyle.stylize_video(ROOT / "samples" / "clip.mp4", ROOT / "samples" / "style.png",
                                         Path(tmp) / "out", weights="random", content_weight=1e3, tv_weight=30.0,
                                         end=None if args.end == "all" else args.end, **options)
            wall = time.perf_counter() - tick
        later = rep["frames"][1:]
        results[name] = r = {"options": options, "e_warp": rep["warp_error"]["output"], "wall": wall,
                             "totals": [f["final"]["total"] for f in later], "iterations": [f["iterations"] for f in later],
                             "first_total": rep["frames"][0]["final"]["total"],
                             "curves": [[row[5] for row in f["history"]] for f in later],  # totals per iteration
                             "worst_over_median_pair": worst_over_median(rep["warp_error"]["pairs"])}
        # Per later frame: the first iteration whose total is within 2 % of the best this run reaches.
        r["its_to_2pct_of_best"] = [next(k for k, t in enumerate(c) if t <= 1.02 * min(c)) for c in r["curves"]]
        print(f"{name}: E_warp {r['e_warp']:.4g} (worst pair {r['worst_over_median_pair']:.2f}× the median), mean later total {np.mean(r['totals']):.6g}, "
              f"iterations {r['iterations']}, to within 2 % of the run's best {r['its_to_2pct_of_best']}, "
              f"wall {wall:.0f} s", flush=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
