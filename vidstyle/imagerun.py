"""The image job of the command line: read, check, optimise with a bar and a preview, write the
image, the report and the plot, print the result line (pipeline.py is the video job)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from . import backend
from .api import check_image_job, run_image
from .backend import Tensor
from .config import TOTAL, StyleOptions
from .device import resolve_precision
from .images import read_image, resize, to_uint8, write_image
from .prepare import get_engine
from .preview import Preview
from .progress import IterationBar, short
from .report import REPORT_VERSION, config_dict, frame_entries, plot_losses, write_report


def image_run(source: Path, styles: list[str], output: Path, options: StyleOptions, args: argparse.Namespace) -> int:
    options = resolve_precision(options)  # the report names what ran
    start = time.perf_counter()
    content = read_image(source)
    style_images = [read_image(s) for s in styles]
    size = check_image_job(content, style_images, options)  # refused before the network is built
    preview = Preview(args.preview, args.preview_window, args.preview_every)
    if preview.active:  # the left half: the content at the working size
        original = resize(content, *size)
    get_engine(options)  # the network (cached for run_image): a weights error comes before the bar
    bar = IterationBar(options.iterations * options.scales, args.quiet, scales=options.scales > 1)  # each scale runs them all

    def on_iteration(k: int, terms: np.ndarray, image: Tensor) -> None:
        bar.update(k, terms, image)
        if preview.active and k % preview.every == 0:
            preview.show(original, backend.to_numpy(image)[0], f"it {k}  loss {terms[0, TOTAL]:.4g}")

    try:
        image, result = run_image(content, style_images, options, on_iteration=on_iteration)
        bar.finish()
    finally:
        bar.close()
    if preview.active:  # the result, not the last multiple of --preview-every
        preview.show(original, image, f"done  it {result.iterations}")
    write_image(output, to_uint8(image))
    seconds = time.perf_counter() - start
    entries = frame_entries(result, 0)
    report = {
        "version": REPORT_VERSION,
        "input": str(source),
        "output": str(output),
        "size": [int(image.shape[1]), int(image.shape[0])],
        "weights": options.weights,
        "backend": backend.name(),
        "config": config_dict(options) | {"style": list(styles)},
        "frames": entries,
        "seconds": seconds,
    }
    if args.report:
        write_report(args.report, report)
    if args.plot:
        plot_losses(args.plot, report)
    final = entries[0]["final"]
    # The result line on stdout, with -q too, as a video run prints its own.
    print(f"{output}: {result.iterations} iteration{'s' * (result.iterations != 1)}, {seconds:.1f} s, content {short(final['content'])} "
          f"style {short(final['style'])} tv {short(final['tv'])} total {short(final['total'])}")
    return 0
