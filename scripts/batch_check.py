#!/usr/bin/env python3
"""E_warp and seconds per frame of --batch B on samples/clip.mp4 (docs/BATCH.md).

Runs the public API at the clip's own 160×120 with the video defaults and the random-weights
balance (α 1e3, γ 30; docs/DEFAULTS.md), once per batch size, and writes one JSON record per run.

    python scripts/batch_check.py --batches 1,4 --out docs/batch_check.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(batch: int, clip: Path, style: Path) -> dict:
    import vidstyle

    with tempfile.TemporaryDirectory(prefix="vidstyle-batch-") as tmp:
        tick = time.perf_counter()
        rep = vidstyle.stylize_video(clip, style, Path(tmp) / "out", weights="random", content_weight=1e3,
                                     tv_weight=30.0, batch=batch)
        wall = time.perf_counter() - tick
    pairs = [None if p is None or math.isnan(p) else float(p) for p in rep["warp_error"]["pairs"]]
    known = np.array([p for p in pairs if p is not None])
    frames = rep["frames"]
    return {"batch": batch, "e_warp": rep["warp_error"]["output"], "e_warp_original": rep["warp_error"]["original"],
            "pairs": pairs, "max_over_median": float(known.max() / np.median(known)), "wall": wall,
            "busy": rep.get("busy"), "frame_seconds": [f["seconds"] for f in frames],
            "median_later_seconds": float(np.median([f["seconds"] for f in frames[1:]])),
            "iterations": [f["iterations"] for f in frames],
            # Later frames' final terms, unweighted as reported; "total" is the optimised objective, whose
            # temporal part is scaled by the window's stiffness, so compare content, style and tv.
            "mean_final_later": {t: float(np.mean([f["final"][t] for f in frames[1:] if not f.get("cut")]))
                                 for t in ("content", "style", "tv", "temporal", "total")}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batches", default="1,4")
    p.add_argument("--clip", type=Path, default=ROOT / "samples" / "clip.mp4")
    p.add_argument("--style", type=Path, default=ROOT / "samples" / "style.png")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "batch_check.json")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_ONEDNN_ASSUME_FROZEN_WEIGHTS", "1")  # as the CLI (one network per process)
    results = {}
    for batch in (int(b) for b in args.batches.split(",")):
        results[str(batch)] = r = run(batch, args.clip, args.style)
        print(f"batch {batch}: E_warp {r['e_warp']:.4g} (original {r['e_warp_original']:.4g}), worst pair "
              f"{r['max_over_median']:.2f}x the median, {r['median_later_seconds']:.2f} s per later frame, "
              f"wall {r['wall']:.0f} s, busy {r['busy']:.3f}, later frames' mean terms "
              + ", ".join(f"{k} {v:.5g}" for k, v in r["mean_final_later"].items()), flush=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
