#!/usr/bin/env python3
"""Plot the optimiser curves that scripts/gpu_quality.py measured (docs/gpu_h200_bench.json).

    python scripts/plot_quality.py [--json docs/gpu_h200_bench.json] [--out docs/optimizers_256.png]

Loss against compiled-step evaluations: on the CPU every Adam setting costs the same per
iteration and an L-BFGS evaluation about one Adam step, so the x axis is time up to a constant.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, default=ROOT / "docs" / "gpu_h200_bench.json")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "optimizers_256.png")
    args = p.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(args.json.read_text())
    quality = data.get("quality_run1", data)
    rows = quality.get("sections", quality).get("optimizers", [])  # Report keeps rows under "sections"
    fig, ax = plt.subplots(figsize=(8, 5))
    target = None
    for row in rows:
        if row.get("skipped"):
            continue
        from vidstyle.config import StyleOptions

        label = row["label"].replace(" (default)", "")  # the default when it ran may have changed since
        if row.get("changes", {}).get("lr") == StyleOptions().lr and "optimizer" not in row.get("changes", {}):
            label += " (the default)"
        ax.plot(row["evaluations"], row["loss"], label=label, lw=1.2)
        target = row["target"]
    if target is not None:
        ax.axhline(target, color="k", ls=":", lw=1, label="target: the tutorial's loss after 1000 steps")
        ax.set_ylim(target * 0.995, target * 1.06)
    ax.set_xlabel("compiled forward + gradient evaluations (≈ time)")
    ax.set_ylabel("total loss")
    ax.set_title("256×256 samples, default objective, random weights (H200, true float32)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
