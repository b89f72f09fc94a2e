"""Peak memory of a video run against the clip's length: it must stay flat (frames are streamed).

Runs `vidstyle stylize` in child processes on samples/clip.mp4 and on the same clip repeated
10 times, with a tiny iteration budget (memory, not quality, is measured here), and writes the
peak resident set size of each to docs/MEMORY.md.

    python scripts/memory_check.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidstyle.encode import VideoWriter  # noqa: E402
from vidstyle.video import iter_frames, probe  # noqa: E402


def repeat_clip(source: Path, target: Path, times: int) -> None:
    info = probe(source)
    with VideoWriter(target, info.fps) as writer:
        for _ in range(times):
            for _, frame in iter_frames(source):
                writer.write(frame)


def peak_rss_mib(clip: Path, out: Path) -> tuple[float, float, int]:
    """(peak RSS in MiB, seconds, frames) of one CLI run in a fresh child process."""
    code = (
        "import resource, sys; from vidstyle.cli import main; rc = main(sys.argv[1:]); "
        "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)"
    )
    args = [sys.executable, "-c", code, "stylize", str(clip), "-s", str(ROOT / "samples/style.png"),
            "-o", str(out), "--weights", "random", "--iterations", "3", "--frame-iterations", "1",
            "--optimizer", "adam", "-q", "--overwrite"]
    start = time.perf_counter()
    run = subprocess.run(args, capture_output=True, text=True, check=True)
    peak_kib = int(next(line.split()[1] for line in run.stdout.splitlines() if line.startswith("PEAK")))
    return peak_kib / 1024, time.perf_counter() - start, probe(clip).frame_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        long_clip = Path(tmp) / "long.mp4"
        repeat_clip(ROOT / "samples/clip.mp4", long_clip, args.repeat)
        for clip in (ROOT / "samples/clip.mp4", long_clip):
            rows.append(peak_rss_mib(clip, Path(tmp) / f"out_{clip.stem}.mp4"))
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    lines = [
        "# Memory against video length",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu}, backend default (TensorFlow), with",
        f"`python scripts/memory_check.py --repeat {args.repeat}`: peak resident memory of a whole",
        "`vidstyle stylize` run (decode, flow, optimise, encode, E_warp) on the sample clip and on the",
        f"same clip repeated {args.repeat}×, random weights, 3 first-frame and 1 later-frame iterations.",
        "",
        "| clip | frames | peak RSS (MiB) | seconds |",
        "| --- | --- | --- | --- |",
    ]
    for name, (mib, seconds, frames) in zip(("samples/clip.mp4", f"{args.repeat}× repeated"), rows):
        lines.append(f"| {name} | {frames} | {mib:.0f} | {seconds:.0f} |")
    growth = rows[1][0] - rows[0][0]
    lines += ["", f"Growth for {rows[1][2] - rows[0][2]} more frames: {growth:+.0f} MiB "
              f"({growth / rows[0][0] * 100:+.1f}%). Frames are streamed: the decoder, the flow thread "
              "(two frames ahead), the chain history (the last `max(--long-term)` frames) and the "
              "encoder each hold a bounded number of frames.", ""]
    (ROOT / "docs/MEMORY.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
