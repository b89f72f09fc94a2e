#!/usr/bin/env python3
"""Each --preset timed as a whole, through the CLI, on the bundled samples (docs/DEFAULTS.md).

For every preset: the image (samples/content.png at its own 256×192) and the clip (30 frames at
160×120), each run in its own process as a user would, with random weights and the
random-weights balance (α 1e3, γ 30). Records wall seconds, the image's final loss scored in
float32, the clip's E_warp, worst pair over median pair, mean later-frame loss and busy share.

    python scripts/preset_check.py --out docs/preset_check.json
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BALANCE = ["--weights", "random", "--content-weight", "1e3", "--tv-weight", "30"]


def timed_cli(args: list[str]) -> float:
    tick = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vidstyle", "stylize", *args, *BALANCE, "--quiet"], check=True)
    return time.perf_counter() - tick


def check(preset: str, tmp: Path) -> dict:
    import vidstyle
    from vidstyle.api import as_rgb, prepare_styles
    from vidstyle.config import StyleOptions

    samples = ROOT / "samples"
    image, image_report = tmp / f"{preset}.png", tmp / f"{preset}_image.json"
    image_wall = timed_cli([str(samples / "content.png"), "--style", str(samples / "style.png"), "-o", str(image),
                            "--preset", preset, "--report", str(image_report)])
    rep = json.loads(image_report.read_text())
    style = prepare_styles([as_rgb(samples / "style.png", "style")], tuple(rep["size"]),
                           StyleOptions(weights="random"), None)  # as the run saw it
    scored = vidstyle.loss_terms(samples / "content.png", image, style, weights="random", content_weight=1e3,
                                 tv_weight=30.0)
    clip, clip_report = tmp / f"{preset}.mp4", tmp / f"{preset}_clip.json"
    clip_wall = timed_cli([str(samples / "clip.mp4"), "--style", str(samples / "style.png"), "-o", str(clip),
                           "--preset", preset, "--report", str(clip_report)])
    video = json.loads(clip_report.read_text())
    pairs = np.array([p for p in video["warp_error"]["pairs"] if p is not None and not math.isnan(p)])
    later = video["frames"][1:]
    return {
        "preset": preset,
        "precision": video["config"]["precision"],
        "image_wall": image_wall,
        "image_iterations": rep["frames"][0]["iterations"],
        "image_total_float32": scored["total"],
        "clip_wall": clip_wall,
        "clip_first_iterations": video["frames"][0]["iterations"],
        "clip_later_iterations_mean": float(np.mean([f["iterations"] for f in later])),
        "clip_later_total_mean": float(np.mean([f["final"]["total"] for f in later])),
        "e_warp": video["warp_error"]["output"],
        "max_over_median": float(pairs.max() / np.median(pairs)),
        "busy": video.get("busy"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--presets", default="fast,balanced,quality")
    p.add_argument("--out", type=Path, default=Path("preset_check.json"))
    args = p.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="vidstyle-presets-") as tmp:
        for preset in args.presets.split(","):
            r = check(preset, Path(tmp))
            results.append(r)
            print(json.dumps(r), flush=True)
            args.out.write_text(json.dumps(results, indent=1) + "\n")
    print("\n| preset | precision | image s | image loss (float32) | clip s | clip iterations first/later | "
          "E_warp | worst/median pair | later-frame loss | busy |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['preset']} | {r['precision']} | {r['image_wall']:.0f} | {r['image_total_float32']:.6g} | "
              f"{r['clip_wall']:.0f} | {r['clip_first_iterations']}/{r['clip_later_iterations_mean']:.0f} | "
              f"{r['e_warp']:.4g} | {r['max_over_median']:.2f} | {r['clip_later_total_mean']:.6g} | "
              f"{r['busy'] if r['busy'] is None else round(r['busy'], 3)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
