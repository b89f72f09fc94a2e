"""What JAX's on-disk cache of compiled steps saves a CLI run (docs/BENCHMARKS.md).

Runs `vidstyle stylize` under KERAS_BACKEND=jax in fresh processes, in rounds of three: the cache
off (JAX_COMPILATION_CACHE_DIR empty), a cold cache (a new folder) and the warm cache that the
cold run left. Prints each run's own `seconds` (from its report) and wall time, and the medians.

    python scripts/compile_cache_check.py [--size 256] [--iterations 20] [--rounds 2] [--video]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(job: list[str], env: dict[str, str], report: Path) -> tuple[float, float]:
    """One CLI run in a fresh process: (the report's seconds, wall seconds)."""
    tick = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vidstyle", "stylize", *job, "--report", str(report), "--overwrite", "-q"],
                   env=env, check=True, capture_output=True)
    return json.loads(report.read_text())["seconds"], time.perf_counter() - tick


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256, help="longest side of the work (default 256)")
    p.add_argument("--iterations", type=int, default=20,
                   help="iterations of the image or first frame; later frames a fifth (default 20)")
    p.add_argument("--rounds", type=int, default=2, help="rounds of off, cold, warm (default 2)")
    p.add_argument("--video", action="store_true", help="the sample clip's first 6 frames instead of the image")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="vidstyle-cache-check-") as tmp:
        work = Path(tmp)
        if args.video:
            job = [str(ROOT / "samples" / "clip.mp4"), "-o", str(work / "out"), "--end", "6",
                   "--frame-iterations", str(max(1, args.iterations // 5))]
        else:
            job = [str(ROOT / "samples" / "content.png"), "-o", str(work / "out.png")]
        job += ["--style", str(ROOT / "samples" / "style.png"), "--weights", "random",
                "--size", str(args.size), "--iterations", str(args.iterations), "--tol", "0"]
        # The CLI's own cache settings, not a caller's (gpu_check.sh sets both for its other rows).
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("JAX_COMPILATION_CACHE", "JAX_PERSISTENT_CACHE"))}
        base["KERAS_BACKEND"] = "jax"
        results: dict[str, list[tuple[float, float]]] = {"off": [], "cold": [], "warm": []}
        print(f"{'job: ' + ' '.join(job[:1] + job[3:])}")
        for r in range(args.rounds):
            folder = work / f"cache{r}"
            runs = {"off": base | {"JAX_COMPILATION_CACHE_DIR": ""},
                    "cold": base | {"XDG_CACHE_HOME": str(folder)},
                    "warm": base | {"XDG_CACHE_HOME": str(folder)}}
            for name, env in runs.items():
                results[name].append(run(job, env, work / f"{name}{r}.json"))
                seconds, wall = results[name][-1]
                print(f"round {r + 1}, cache {name:4}: run {seconds:6.1f} s, wall {wall:6.1f} s", flush=True)
            cached = sum(f.stat().st_size for f in (folder / "vidstyle" / "jax").iterdir())
            print(f"  cache folder: {cached / 1e6:.2f} MB")
        print("\n| cache | run s (median) | wall s (median) |\n| --- | --- | --- |")
        for name, rows in results.items():
            print(f"| {name} | {statistics.median(s for s, _ in rows):.1f} | {statistics.median(w for _, w in rows):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
