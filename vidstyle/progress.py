"""Progress display (tqdm) and the image job the CLI runs; library code only logs."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import backend
from .config import StyleOptions
from .report import REPORT_VERSION, config_dict, frame_entries, plot_losses, write_report

log = logging.getLogger(__name__)


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

    def update(self, iteration: int, terms: np.ndarray, image=None) -> None:
        row = terms.sum(axis=0)
        self.bar.set_postfix_str(
            f"content {short(row[0])} style {short(row[1])} tv {short(row[2])} "
            + (f"temporal {short(row[3])} " if row[3] else "")
            + f"total {short(row[4])}",
            refresh=False,
        )
        self.bar.n = min(iteration, self.bar.total)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def image_run(source: Path, styles: list[str], output: Path, options: StyleOptions, args: argparse.Namespace) -> int:
    from .api import check_image_job, get_engine, run_image, to_uint8
    from .device import resolve_precision
    from .images import read_image, resize, write_image
    from .preview import Preview

    options = resolve_precision(options)  # the report names what ran
    start = time.perf_counter()
    content = read_image(source)
    style_images = [read_image(s) for s in styles]
    size = check_image_job(content, style_images, options)  # refused before the network is built
    preview = Preview(args.preview, args.preview_window, args.preview_every)
    if preview.active:  # the left half: the content at the working size
        original = resize(content, *size)
    get_engine(options)  # the network (cached for run_image): a weights error comes before the bar
    bar = IterationBar(options.iterations * options.scales, args.quiet)  # each scale runs them all

    def on_iteration(k: int, terms: np.ndarray, image) -> None:
        bar.update(k, terms)
        if preview.active and k % preview.every == 0:
            preview.show(original, backend.to_numpy(image)[0], f"it {k}  loss {terms[0, 4]:.4g}")

    try:
        image, result = run_image(content, style_images, options, on_iteration=on_iteration)
    finally:
        bar.close()
    if preview.active:  # the result, not the last multiple of --preview-every
        preview.show(original, image, f"done  it {result.iterations}")
    write_image(output, to_uint8(image))
    seconds = time.perf_counter() - start
    report = {
        "version": REPORT_VERSION,
        "input": str(source),
        "output": str(output),
        "size": [int(image.shape[1]), int(image.shape[0])],
        "weights": options.weights,
        "backend": backend.name(),
        "config": config_dict(options) | {"style": list(styles)},
        "frames": frame_entries(result, 0),
        "seconds": seconds,
    }
    if args.report:
        write_report(args.report, report)
    if args.plot:
        plot_losses(args.plot, report)
    final = report["frames"][0]["final"]
    # The result line on stdout, with -q too, as a video run prints its own.
    print(f"{output}: {result.iterations} iterations, {seconds:.1f} s, content {short(final['content'])} "
          f"style {short(final['style'])} tv {short(final['tv'])} total {short(final['total'])}")
    return 0


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

    def iteration(self, iteration: int, terms: np.ndarray, image=None) -> None:
        self.iterations.update(iteration, terms)

    def frame_done(self, position: int, seconds: float) -> None:
        self.frames.set_postfix_str(f"{seconds:.1f} s/frame", refresh=False)
        self.frames.update(1)

    def close(self) -> None:
        if self.frames is not None:
            self.iterations.close()
            self.frames.close()
