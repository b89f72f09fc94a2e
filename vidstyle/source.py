"""The input's frames within --start/--end/--every: one reader for a run and for warp-error.

Kept apart from jobs.py, which needs the network's modules: warp-error must not import Keras.
"""

from __future__ import annotations

from pathlib import Path

from .config import FOLDER_FPS, VideoOptions
from .errors import UsageError
from .ffmpeg import as_fraction
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
