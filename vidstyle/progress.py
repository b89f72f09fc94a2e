"""Progress display (tqdm) for the command line; library code only logs."""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from .backend import Tensor
from .losses import TOTAL


def short(value: float) -> str:
    return f"{value:.3g}"


class IterationBar:
    """The current frame's iterations, with the loss terms in the postfix."""

    def __init__(self, total: int, quiet: bool, desc: str = "iterations", position: int = 0):
        self.bar = tqdm(total=total, desc=desc, unit="it", disable=quiet, leave=position == 0,
                        position=position, dynamic_ncols=True)

    def reset(self, total: int, desc: str) -> None:
        self.bar.reset(total=total)
        self.bar.set_description(desc)

    def update(self, iteration: int, terms: np.ndarray, image: Tensor = None) -> None:
        row = terms.sum(axis=0)
        self.bar.set_postfix_str(
            f"content {short(row[0])} style {short(row[1])} tv {short(row[2])} "
            + (f"temporal {short(row[3])} " if row[3] else "")
            + f"total {short(row[TOTAL])}",
            refresh=False,
        )
        # update() redraws at most every 0.1 s (tqdm's mininterval): a redraw per iteration wrote
        # 150 bytes per iteration to a log file, 90 MB over 10,000 frames.
        self.bar.update(min(iteration, self.bar.total) - self.bar.n)

    def close(self) -> None:
        self.bar.close()


class VideoProgress:
    """Two bars: frames (s/frame, ETA) and the current frame's iterations (loss terms)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.frames: tqdm | None = None  # shown from begin(): an error found before the run has no bars
        self.iterations: IterationBar | None = None

    def begin(self, total_frames: int, finished: int) -> None:
        self.frames = tqdm(total=total_frames, initial=finished,  # a resumed run counts its finished frames
                           desc="frames", unit="frame", disable=self.quiet, position=0, dynamic_ncols=True)
        self.iterations = IterationBar(0, self.quiet, position=1)

    def frame_start(self, position: int, iterations: int) -> None:
        self.iterations.reset(iterations, f"frame {position}")

    def iteration(self, iteration: int, terms: np.ndarray, image: Tensor = None) -> None:
        self.iterations.update(iteration, terms)

    def frame_done(self, position: int, seconds: float) -> None:
        self.frames.set_postfix_str(f"{seconds:.1f} s/frame", refresh=False)
        self.frames.update(1)

    def close(self) -> None:
        if self.frames is not None:
            self.iterations.close()
            self.frames.close()
