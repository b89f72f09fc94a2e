"""The input's frames within --start/--end/--every: one reader for a run and for warp-error, and
a variable-rate range's timing at a steady rate.

Kept apart from jobs.py, which needs the network's modules: warp-error must not import Keras.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from .config import FOLDER_FPS, VideoOptions
from .errors import UsageError
from .ffmpeg import as_fraction, snap_rate
from .video import FrameReader, frame_times, parse_seconds, parse_time, probe


def _named(option: str, parse, *args):
    """`parse(*args)`, its UsageError prefixed with the option it came from."""
    try:
        return parse(*args)
    except UsageError as exc:
        raise UsageError(f"{option}: {exc}") from None


def open_source(source: Path, video: VideoOptions) -> FrameReader:
    """The input's frames within --start/--end/--every, checked (for stylize_video and
    iter_stylized_frames alike)."""
    rate = _named("--fps", as_fraction, video.fps) if video.fps else FOLDER_FPS
    info = probe(source, fps=rate, one_size=not video.independent)
    if video.fps and not info.is_folder:
        raise UsageError(f"--fps {video.fps}: sets a frame folder's rate; a video keeps its own ({info.fps} fps)")
    # A variable-rate video's times are placed by its frames' timestamps (a decoding pass), not the average rate.
    timed = any(value is not None and _named(option, parse_seconds, value) is not None
                for option, value in (("--start", video.start), ("--end", video.end)))
    times = frame_times(source) if timed and info.variable_rate and not info.is_folder else None
    start = _named("--start", parse_time, video.start, info.fps, times) if video.start is not None else 0
    end = _named("--end", parse_time, video.end, info.fps, times) if video.end is not None else None
    if end is not None and end <= start:
        raise UsageError(f"--start {video.start or 0} is not before --end {video.end}")
    if start >= info.frame_count:
        raise UsageError(f"--start {video.start}: past the last frame ({info.frame_count} frames)")
    reader = FrameReader(source, start=start, end=end, every=video.every, info=info)
    # The sound runs from the first frame: a timestamped start is measured from it.
    reader.start_seconds = times[start] - times[0] if times and start < len(times) else float(start / info.fps)
    return reader


def steady_timing(times: Sequence[float], start: int, stop: int, every: int,
                  duration: float) -> tuple[Fraction, list[int]] | None:
    """A variable-rate range played at a steady rate, each taken frame shown from the time the
    input shows it (the sound stays in step all along; at the average rate it drifted mid-clip):
    the rate (the input's median frame spacing, times `every`) and how many times each frame is
    shown, 0 where frames come closer than one step. None where the timestamps miss the range.

    A frame lasts until the next taken one, as at a constant rate; the last one, until the one
    after it in the input, or the input's end (`duration` after its first frame)."""
    if stop > len(times) or stop - start < 2:
        return None
    spacing = float(np.median(np.diff(times[start:stop])))
    if spacing <= 0:
        return None
    rate = snap_rate(1 / (spacing * every))
    taken = range(start, stop, every)
    after = taken[-1] + every
    end = times[after] if after < len(times) else max(times[0] + duration, times[-1] + spacing / 2)
    ticks = [round((t - times[start]) * float(rate)) for t in [times[k] for k in taken] + [end]]
    return rate, [b - a for a, b in zip(ticks, ticks[1:])]


def reader_timing(reader: FrameReader) -> tuple[Fraction, list[int]] | None:
    """steady_timing of a variable-rate video's range (one decoding pass for the timestamps)."""
    info = reader.info
    stop = info.frame_count if reader.end is None else min(reader.end, info.frame_count)
    return steady_timing(frame_times(info.path), reader.start, stop, reader.every, info.duration)


def first_showings(repeats: Sequence[int]) -> list[int]:
    """Where each frame shown `repeats[i]` times first appears in the output (frames shown 0
    times have none)."""
    starts = [0, *itertools.accumulate(repeats)]
    return [k for k, n in zip(starts, repeats) if n]
