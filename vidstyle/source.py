"""The input's frames within --start/--end/--every: one reader for a run and for warp-error.

Kept apart from jobs.py, which needs the network's modules: warp-error must not import Keras.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from .config import FOLDER_FPS, VideoOptions
from .errors import UsageError
from .ffmpeg import as_fraction
from .timing import first_showings, parse_time, steady_timing
from .video import FrameReader, StreamInfo, frame_times, probe


def _named(option: str, parse, *args):
    """`parse(*args)`, its UsageError prefixed with the option it came from."""
    try:
        return parse(*args)
    except UsageError as exc:
        raise UsageError(f"{option}: {exc}") from None


def probe_input(source: Path, fps: str | float | None, one_size: bool) -> StreamInfo:
    """The input's stream, with --fps (a frame folder's rate; refused for a video) applied."""
    rate = _named("--fps", as_fraction, fps) if fps else FOLDER_FPS
    info = probe(source, fps=rate, one_size=one_size)
    if fps and not info.is_folder:
        raise UsageError(f"--fps {fps}: sets a frame folder's rate; a video keeps its own ({info.fps} fps)")
    return info


def open_source(source: Path, video: VideoOptions) -> FrameReader:
    """The input's frames within --start/--end/--every, checked (for stylize_video and
    iter_stylized_frames alike)."""
    info = probe_input(source, video.fps, one_size=not video.independent)
    # A variable-rate video's frames are placed by their timestamps (a decoding pass), not by the
    # average rate: the range's times, where the sound starts, and the output's timing (reader_timing).
    times = frame_times(source) if info.variable_rate and not info.is_folder else None
    start = _named("--start", parse_time, video.start, info.fps, times) if video.start is not None else 0
    end = _named("--end", parse_time, video.end, info.fps, times) if video.end is not None else None
    if end is not None and end <= start:
        raise UsageError(f"--start {video.start or 0} is not before --end {video.end}")
    if start >= info.frame_count:
        raise UsageError(f"--start {video.start}: past the last frame ({info.frame_count} frames)")
    return FrameReader(source, start=start, end=end, every=video.every, info=info, times=times)


def reader_timing(reader: FrameReader) -> tuple[Fraction, list[int]] | None:
    """The steady rate and repeats (timing.steady_timing) of a variable-rate video's range."""
    if reader.times is None:
        return None
    return steady_timing(reader.times, reader.start, reader.stop, reader.every, reader.info.duration)


def as_shown(stylized: FrameReader, original: FrameReader) -> tuple[Iterator[np.ndarray], Iterator[np.ndarray]]:
    """The stylized frames and the original's, pair by pair. A variable-rate input's output,
    written at its steady rate (it has that rate and as many frames as the repeats add up to),
    shows some frames more than once and some not at all: each frame's first showing is its own."""
    painted, originals = (f for _, f in stylized), (f for _, f in original)
    timing = reader_timing(original)
    # The rate to 1 %: a GIF stores hundredths of a second, and 30000/1001 reads back as 30.
    if (timing is None or stylized.info.frame_count != sum(timing[1])
            or abs(stylized.info.fps - timing[0]) > timing[0] / 100):
        return painted, originals
    firsts = set(first_showings(timing[1]))
    return ((f for k, f in enumerate(painted) if k in firsts),
            (f for f, n in zip(originals, timing[1]) if n > 0))
