"""The run report (JSON, version 1) and the loss-curve plot."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .config import TERMS
from .images import write_bytes_atomic

if TYPE_CHECKING:
    from .optimize import Result

REPORT_VERSION = 1


def terms_dict(row: np.ndarray) -> dict[str, float]:
    return {name: float(v) for name, v in zip(TERMS, row, strict=True)}


def frame_entries(result: Result, first_index: int, seconds: float | None = None) -> list[dict]:
    """One report entry per frame of a (batched) optimisation result; `seconds`, when given, is each
    frame's share already (else the result's time is shared among its frames)."""
    entries = []
    count = result.history.shape[1]
    for b in range(count):
        rows = result.history[:, b, :]
        history = [[i, *map(float, row)] for i, row in enumerate(rows)]
        entry = {
            "index": first_index + b,
            "iterations": result.iterations,
            "seconds": seconds if seconds is not None else result.seconds / count,  # given: per frame
            "initial": terms_dict(rows[0]),
            "final": terms_dict(rows[-1]),
            "history": history,
        }
        if result.row_scales:  # coarse-to-fine: a 7th column, the row's scale (0 = coarsest)
            for row, scale in zip(history, result.row_scales, strict=True):
                row.append(scale)
            entry["scales"] = [list(size) for size in result.sizes or ()]
        entries.append(entry)
    return entries


def config_dict(options) -> dict:
    def plain(value):
        return list(value) if isinstance(value, tuple) else value

    return {k: plain(v) for k, v in dataclasses.asdict(options).items()}


MANY_FRAMES = 20  # more frames than this are plotted as a band
_NOT_FINITE = re.compile(r"-?Infinity|NaN")


def write_report(path: str | os.PathLike, report: dict) -> None:
    write_bytes_atomic(path, (to_json(report) + "\n").encode())


def to_json(value, indent: str = "") -> str:
    """JSON with one line per list of plain values (a history row, a size) and NaN/inf as null.
    json.dumps(indent=1) put every number on a line of its own: 76 MB for 10,000 frames."""
    inner = indent + " "
    if isinstance(value, float) and not math.isfinite(value):
        return "null"  # JSON has no NaN/inf
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{\n" + ",\n".join(f"{inner}{json.dumps(str(k))}: {to_json(v, inner)}" for k, v in value.items()) \
            + f"\n{indent}}}"
    if isinstance(value, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in value):
            flat = json.dumps(value)
            if '"' not in flat:  # numbers only: NaN and Infinity are json's words for them
                return _NOT_FINITE.sub("null", flat)
            return "[" + ", ".join(to_json(v) for v in value) + "]"
        return "[\n" + ",\n".join(inner + to_json(v, inner) for v in value) + f"\n{indent}]"
    return json.dumps(value)


def plot_losses(path: str | os.PathLike, report: dict) -> None:
    """Content, style, TV, temporal and total against iterations, log scale (over MANY_FRAMES
    frames: the shot starts, then the others' median and 10-90 % band); E_warp per frame pair."""
    # A figure of its own, not pyplot's: matplotlib.use("Agg") switched a notebook's or a desktop
    # program's backend for the whole process, and its plt.show() showed nothing after.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    frames = report["frames"]
    pairs = (report.get("warp_error") or {}).get("pairs") or []
    fig = Figure(figsize=(12 if pairs else 7, 4.5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2 if pairs else 1, squeeze=False)
    ax = axes[0][0]
    colours = {"content": "tab:blue", "style": "tab:red", "tv": "tab:green", "temporal": "tab:purple", "total": "black"}
    alpha = 1.0 if len(frames) == 1 else 0.4
    starts, banded = plot_groups(frames)
    for j, name in enumerate(TERMS, start=1):
        drawn = _band(ax, banded, j, colours[name])
        for frame in starts:
            hist = np.asarray(frame["history"], dtype=float)
            if hist.size == 0 or not np.any(hist[:, j] > 0):
                continue
            # A log axis has no 0: a start with content 0 (it is the content) is left out, not a cliff.
            values = np.where(hist[:, j] > 0, hist[:, j], np.nan)
            steps = hist[:, 0]
            if frame.get("scales"):  # no line across a change of resolution
                breaks = _scale_changes(hist)
                steps, values = np.insert(steps, breaks, np.nan), np.insert(values, breaks, np.nan)
            ax.plot(steps, values, color=colours[name], alpha=alpha, lw=1)
            drawn = True
        if drawn:
            ax.plot([], [], color=colours[name], label=name)  # one legend entry per term shown
    _mark_scales(ax, frames)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (unweighted components; total as optimised)")
    shots = f"{len(starts)} shot starts" if len(starts) > 1 else "frame 0"
    ax.set_title(f"{len(frames)} frames: {shots}, the others' median and 10-90 % band" if banded
                 else f"{len(frames)} frame(s)")
    ax.legend(loc="upper right")  # "best" is slow with many lines, and says so on stderr
    if pairs:
        ax2 = axes[0][1]
        ax2.plot(range(1, len(pairs) + 1), pairs, marker="." if len(pairs) <= 200 else None, lw=1)
        ax2.set_xlabel("frame pair (t-1, t)")
        ax2.set_ylabel("warping error")
        ax2.set_title(f"E_warp = {report['warp_error']['output']:.5f}")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=100, format=Path(path).suffix.lstrip(".").lower() or "png")
    write_bytes_atomic(path, buffer.getvalue())


def plot_groups(frames: list[dict]) -> tuple[list[dict], list[dict]]:
    """(frames drawn one curve each, frames drawn as a band). Beyond MANY_FRAMES curves the lines
    are a solid band (2000 frames took 22 s and showed nothing): the frames that start a shot (the
    first, and after a scene cut: the longest budget) are drawn, up to MANY_FRAMES of them, and the
    others as a band. With the shot starts in it, the band's last iterations were theirs alone: a
    drop that looked like convergence."""
    if len(frames) <= MANY_FRAMES:
        return frames, []
    starts = [f for k, f in enumerate(frames) if k == 0 or f.get("cut")]
    return starts[:MANY_FRAMES], [f for k, f in enumerate(frames) if k > 0 and not f.get("cut")]


def _band(ax, frames: list[dict], column: int, colour: str) -> bool:
    """The median and 10-90 % band over frames of one history column, per iteration, while at
    least half the frames have one (--tol ends some early); False when there is nothing to draw
    (no frames, or the term is 0 throughout)."""
    rows = [np.asarray(f["history"], dtype=float) for f in frames if f["history"]]
    if not rows:
        return False
    stack = np.full((len(rows), max(len(r) for r in rows)), np.nan)
    for i, r in enumerate(rows):
        stack[i, :len(r)] = np.where(r[:, column] > 0, r[:, column], np.nan)  # a log axis has no 0
    kept = np.isfinite(stack).sum(axis=0) * 2 >= len(rows)
    if not kept.any():
        return False
    steps = max(rows, key=len)[:, 0][kept]  # the iteration column of the longest history
    low, median, high = np.nanpercentile(stack[:, kept], [10, 50, 90], axis=0)
    ax.fill_between(steps, low, high, color=colour, alpha=0.2, lw=0)
    ax.plot(steps, median, color=colour, lw=1.5)
    return True


def _mark_scales(ax, frames: list[dict]) -> None:
    """Coarse-to-fine: a dotted line where the resolution changes, so that the jump in the
    components (they are sums over more pixels) does not read as divergence."""
    marks: dict[float, str] = {}  # iteration -> the size from there; frames of other budgets differ
    for frame in frames:
        if not frame.get("scales"):
            continue
        rows = np.asarray(frame["history"], dtype=float)
        for row in [0, *_scale_changes(rows)]:
            width, height = frame["scales"][int(rows[row, -1])]
            marks.setdefault(float(rows[row, 0]), f" {width}x{height}")
    for iteration, label in sorted(marks.items()):
        if iteration:
            ax.axvline(iteration - 0.5, color="grey", ls=":", lw=1)
        ax.annotate(label, (iteration, 1), xycoords=("data", "axes fraction"), va="top", fontsize=8, color="grey")


def _scale_changes(rows: np.ndarray) -> list[int]:
    """Rows of a coarse-to-fine history (scale in the last column) that start a new scale."""
    return [int(r) for r in np.flatnonzero(np.diff(rows[:, -1]) != 0) + 1]
