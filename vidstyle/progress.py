"""Progress display (tqdm) for the command line; library code only logs."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from .config import CONTENT, STYLE, TEMPORAL, TOTAL, TV

if TYPE_CHECKING:
    from .backend import Tensor

LOG_INTERVAL = 10.0  # seconds between a bar's lines where stderr is a file


def short(value: float) -> str:
    return f"{value:.3g}"


class TqdmLogHandler(logging.StreamHandler):
    """Log lines above the bars: printed plainly, they broke through a bar and were painted over."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001  (logging's own convention)
            self.handleError(record)


def _on_terminal() -> bool:
    """Bars redraw in place on a terminal; in a log file (nohup, a cluster job) each redraw is a line."""
    return sys.stderr.isatty()


def _redraw_every() -> float:
    return 0.1 if _on_terminal() else LOG_INTERVAL


class _LineFile:
    """Where bars write in a log file: each redraw a line of its own. tqdm redraws with a carriage
    return, which a log file keeps, so `tail`, `grep` and `wc -l` saw a few very long lines."""

    def __init__(self, stream) -> None:
        self.stream, self.last = stream, ""

    def write(self, text: str) -> None:
        # Nor the cursor moves that stack bars on a terminal, nor the padding that covers a longer line.
        line = text.replace("\r", "").replace("\x1b[A", "").strip()
        if line and line != self.last:  # a bar is redrawn unchanged as it is closed
            self.stream.write(line + "\n")
            self.last = line

    def flush(self) -> None:
        self.stream.flush()


def _bar_file():
    return sys.stderr if _on_terminal() else _LineFile(sys.stderr)


def _columns() -> int:
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):  # not a terminal after all, or no stderr
        return 80
    return columns if columns > 0 else 80  # a pty that reports no size (`script`): no bars were drawn


class _Bar(tqdm):
    """A tqdm bar that stops two columns short of the terminal's edge. A terminal echoes Ctrl-C as
    "^C" at the cursor; at the edge the "C" wrapped onto a new line, and the bar, closed and
    redrawn a line lower, was left on screen twice.

    Its postfix may be given as whole `fields`: on a terminal as many are drawn as leave the bar
    ten cells (tqdm cut the line mid-number, "content 5.13" for 5.13e+03, and squeezed the bar to
    one cell). They are fitted here, as the bar is drawn (at most every 0.1 s): fitting them at
    each update cost 0.14 ms an iteration, 3 % of a 512² step on a GPU."""

    fields: list[str] = []

    @property
    def format_dict(self):
        terminal = _on_terminal()
        if terminal:
            self.ncols = _columns() - 2
        meter = super().format_dict
        if terminal and self.fields:
            meter["postfix"] = self._fitting(meter)
        return meter

    def _fitting(self, meter: dict) -> str:
        fields, unsized = self.fields, meter | {"ncols": None}  # no width: a bar of ten cells
        while True:
            text = " ".join(fields).rstrip(" |")
            if len(fields) == 1 or len(self.format_meter(**(unsized | {"postfix": text}))) <= _columns() - 2:
                return text
            fields = fields[:-1]


def _bar(**options) -> tqdm:
    """A bar as every vidstyle bar is drawn: to stderr (a line a redraw in a log file), redrawn
    at most every 0.1 s on a terminal and every LOG_INTERVAL seconds in a file."""
    return _Bar(file=_bar_file(), mininterval=_redraw_every(), **options)


class IterationBar:
    """The current frame's iterations; the postfix starts with the loss being optimised (the
    weighted total), then the unweighted components, so that a narrow terminal keeps the first.
    With `scales` (--scales N) the name says the size being optimised, as one bar runs them all."""

    def __init__(self, total: int, quiet: bool, desc: str = "iterations", position: int = 0, scales: bool = False):
        self.bar = _bar(total=total, desc=desc, unit="it", disable=quiet, leave=position == 0, position=position)
        self.label, self.scales, self.size = desc, scales, (0, 0)

    def reset(self, total: int, desc: str) -> None:
        """A new frame or window: its name first, and none of the last one's numbers."""
        self.label, self.size = desc, (0, 0)
        self.bar.set_description(desc, refresh=False)
        self.bar.fields = []
        self.bar.set_postfix_str("", refresh=False)
        self.bar.reset(total=total)

    def update(self, iteration: int, terms: np.ndarray, image: Tensor = None) -> None:
        if self.scales and image is not None:
            height, width = image.shape[1:3]  # of a (B, H, W, 3) batch
            if (width, height) != self.size:
                self.size = (width, height)
                self.bar.set_description(f"{self.label} at {width}x{height}", refresh=False)
        row = terms.sum(axis=0)
        fields = [f"loss {short(row[TOTAL])} |", f"content {short(row[CONTENT])}", f"style {short(row[STYLE])}",
                  f"tv {short(row[TV])}"] + ([f"temporal {short(row[TEMPORAL])}"] if row[TEMPORAL] else [])
        self.bar.fields = fields  # as many as fit on a terminal (_Bar)
        self.bar.set_postfix_str(" ".join(fields).rstrip(" |"), refresh=False)
        # update() redraws at most every mininterval: a redraw per iteration wrote 150 bytes per
        # iteration to a log file, 90 MB over 10,000 frames.
        self.bar.update(min(iteration, self.bar.total) - self.bar.n)

    def finish(self) -> None:
        """Stopped early by --tol: the bar ends full at the iterations run, with no ETA left."""
        if self.bar.n < self.bar.total:
            self.bar.total = self.bar.n
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


class VideoProgress:
    """Two bars: frames (s/frame, ETA) and the current frame's iterations (loss terms), then one
    for each step after the frames (E_warp, encoding). In a log file the frames bar and the steps',
    a line every LOG_INTERVAL seconds."""

    def __init__(self, quiet: bool, scales: bool = False):
        self.quiet, self.scales = quiet, scales
        # Shown from begin(): an error found before the run has no bars. Until then, hidden ones.
        self.frames: tqdm = _Bar(disable=True)
        self.iterations = IterationBar(0, quiet=True)
        self.after: tqdm = _Bar(disable=True)

    def begin(self, total_frames: int, finished: int) -> None:
        self.frames = _bar(total=total_frames, initial=finished,  # a resumed run counts its finished frames
                           desc="frames", unit="frame", disable=self.quiet, position=0)
        self.iterations = IterationBar(0, self.quiet or not _on_terminal(), position=1, scales=self.scales)

    def frame_start(self, position: int, iterations: int, frames: int) -> None:
        """Frame `position`, or a --batch window of `frames` frames from it (its terms are summed)."""
        label = f"frame {position}" if frames == 1 else f"frames {position}-{position + frames - 1}"
        self.iterations.reset(iterations, label)

    def iteration(self, iteration: int, terms: np.ndarray, image: Tensor = None) -> None:
        self.iterations.update(iteration, terms, image)

    def frame_done(self, position: int, seconds: float) -> None:
        self.iterations.finish()  # stopped early by --tol: no ETA left over while the output is written
        self.frames.set_postfix_str(f"last {seconds:.1f} s", refresh=False)
        self.frames.update(1)
        if _on_terminal():  # a --batch window's frames come milliseconds apart: all but the first were
            self.frames.refresh()  # within the redraw interval, and the count lagged for a window

    def stage(self, label: str, total: int, unit: str) -> None:
        """A step after the frames (E_warp over 10,000 frames takes minutes): a bar of its own."""
        self.frames.refresh()  # in a log file, the last line said 97 %: lines come every 10 s
        self.iterations.close()
        self.after.close()
        self.after = _bar(total=total, desc=label, unit=unit, disable=self.quiet, position=1, leave=False)

    def step(self) -> None:
        self.after.update(1)

    def close(self) -> None:
        self.iterations.close()
        self.after.close()
        self.frames.close()
