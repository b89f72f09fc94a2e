"""Frame timing from timestamps: a video's rate from its packets' times, a variable-rate range
played at a steady rate with each frame shown from its own time, and --start/--end as frames.

Pure functions of timestamps; asking ffmpeg and OpenCV for them is video.py's work.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from .errors import UsageError
from .ffmpeg import as_fraction, snap_rate

NO_PTS = -(2**63)  # AV_NOPTS_VALUE: a packet without a timestamp
# The rates cameras, editors and screen recorders use: a steady rate measured from timestamps is
# taken as the nearest of these within 3 %, so that a frame is not repeated or left out now and
# then for the measurement's error.
COMMON_RATES = tuple(Fraction(r) for r in ("8", "10", "12", "25/2", "15", "20", "24000/1001", "24", "25",
                                           "30000/1001", "30", "48", "50", "60000/1001", "60", "72", "90",
                                           "100", "120", "144", "240"))


class PacketSpan(NamedTuple):
    frames: int
    timed: bool  # every frame has a timestamp; else the times below are 0 and tell nothing
    first: float  # the first frame's time, in seconds, as the file stamps it
    seconds: float  # from the first frame's start to the last one's end
    starts: float  # from the first frame's start to the last one's start
    even: bool  # the frames' starts are evenly spaced, to the timestamps' rounding


def packet_span(table: str) -> PacketSpan | None:
    """Frames, span and spacing of the video stream from ffmpeg's framecrc listing of it
    (`#tb 0: 1/1000`, then `stream, dts, pts, duration, size, crc[, F=flags]`).

    Packets flagged discard (0x4) are left out: an edit list hides them (a cut made with
    `-ss … -c copy` keeps the frames before its start, to decode from the keyframe) and no decoder
    shows them. Packets without a timestamp count, but leave the timing unknown."""
    base = re.search(r"^#tb 0: (\d+)/(\d+)", table, re.MULTILINE)
    listed = re.findall(r"^0,\s*-?\d+,\s*(-?\d+),\s*(\d+),[^\n]*?(?:F=0x([0-9a-fA-F]+))?\s*$", table, re.MULTILINE)
    rows = [(int(pts), int(duration)) for pts, duration, flags in listed if not int(flags or "0", 16) & 0x4]
    if base is None or not rows:
        return None
    if any(pts == NO_PTS for pts, _ in rows):
        return PacketSpan(len(rows), False, 0.0, 0.0, 0.0, True)
    unit = Fraction(int(base.group(1)), int(base.group(2)))
    rows.sort()
    steps = [b[0] - a[0] for a, b in zip(rows, rows[1:])]
    # To the timestamps' rounding: a tick (30000/1001 fps in milliseconds: 33, 34, 33, …), or a
    # millisecond where a file was remuxed from one stamped in them (83 and 84 ms as 1328 and 1344/16000).
    even = not steps or max(steps) - min(steps) <= max(1, round(Fraction(1, 1000) / unit))
    return PacketSpan(len(rows), True, float(rows[0][0] * unit), float((rows[-1][0] + rows[-1][1] - rows[0][0]) * unit),
                      float((rows[-1][0] - rows[0][0]) * unit), even)


def timestamps_rate(span: PacketSpan | None, fps: Fraction) -> tuple[bool, Fraction] | None:
    """(variable, rate) from the packets' own timestamps (matroska, MPEG-TS, MP4); None when there
    are too few frames to tell.

    Unevenly spaced frames are variable-rate, at their average over the whole span (a dropped
    frame included). Evenly spaced ones are constant, at the rate of their spacing: the common
    rate it is within 0.1 % of, else the header's exact fraction where it agrees (a 1 fps mkv
    prints '2 tbr'); not the span's average, whose last frame lasts what the header says."""
    if span is None or span.frames < 3 or span.seconds <= 0 or span.starts <= 0:  # 2 steps to compare
        return None
    if not span.even:
        return True, snap_rate(span.frames / span.seconds)
    spacing = (span.frames - 1) / span.starts
    common = nominal_rate(spacing, within=0.001)  # 24000/1001 remuxed from milliseconds: not 23.984
    if common in COMMON_RATES:
        return False, common
    return False, fps if abs(spacing - float(fps)) <= 0.02 * float(fps) else snap_rate(spacing)


def gif_rate(span: PacketSpan | None) -> tuple[bool, Fraction] | None:
    """(variable, rate) of a GIF. Its delays are whole hundredths of a second (30 fps is written
    3, 3, 4 cs, …) and ffmpeg's header rates come from single delays (it printed 33.33 fps for
    that): the rate is the frames over the whole span, the last frame's delay included, taken as
    a common rate where it is within 1 % of one."""
    if span is None or span.frames < 3 or span.seconds <= 0:
        return None
    return not span.even, nominal_rate(span.frames / span.seconds, within=0.01)


def nominal_rate(rate: float, within: float = 0.03) -> Fraction:
    """The common rate nearest `rate`, where it is `within` that fraction of it (see
    COMMON_RATES), else `rate` as measured."""
    nearest = min(COMMON_RATES, key=lambda r: abs(float(r) - rate))
    return nearest if abs(float(nearest) - rate) <= within * rate else snap_rate(rate)


def _usual_step(steps: np.ndarray) -> float | None:
    """The frame step of the fastest part that holds a quarter of the steps or more, so that a
    clip at 30 fps, then 15, keeps all its 30 fps frames. The mean of the steps around it, as
    their rounding and jitter even out: 60 fps stamped in milliseconds (17, 17, 16 ms) is 16.67
    (17 by the median, 58.8 fps, which left a frame out now and then), a phone's ±3 ms 33.3."""
    ordered = np.sort(steps[steps > 0])
    if ordered.size == 0:
        return None
    within = np.searchsorted(ordered, 1.25 * ordered, side="right") - np.arange(ordered.size)
    shared = np.flatnonzero(within >= 0.25 * ordered.size)
    low = ordered[shared[0]] if shared.size else np.median(ordered)
    center = np.median(ordered[(ordered >= low) & (ordered <= 1.25 * low)])
    return float(ordered[np.abs(ordered - center) <= 0.25 * center].mean())


def steady_timing(times: Sequence[float], start: int, stop: int, every: int,
                  duration: float) -> tuple[Fraction, list[int]] | None:
    """A variable-rate range played at a steady rate, each taken frame shown from the time the
    input shows it (the sound stays in step all along; at the average rate it drifted mid-clip):
    the rate (the input's usual frame step, times `every`) and how many times each frame is
    shown, 0 where frames come closer than one step. None where the timestamps miss the range.

    A frame lasts until the next taken one, as at a constant rate; the last one, until the one
    after it in the input, or the input's end (`duration` after its first frame), and at least
    one step."""
    if stop > len(times) or stop - start < 2:
        return None
    step = _usual_step(np.diff(times[start:stop]))
    if step is None:
        return None
    rate = nominal_rate(1 / (step * every))

    def tick(t: float) -> int:  # half a step rounds up, always (round() alternated, and left frames out)
        return math.floor((t - times[start]) * rate + 0.5 + 1e-6)

    taken = range(start, stop, every)
    after = taken[-1] + every
    end = times[after] if after < len(times) else times[0] + duration
    # Never backwards: OpenCV stamps a frame that has no timestamp 0.
    ticks = list(itertools.accumulate((tick(times[k]) for k in taken), max))
    ticks.append(max(tick(end), ticks[-1] + 1))
    return rate, [b - a for a, b in zip(ticks, ticks[1:])]


def first_showings(repeats: Sequence[int]) -> list[int]:
    """Where each frame shown `repeats[i]` times first appears in the output (frames shown 0
    times have none)."""
    starts = [0, *itertools.accumulate(repeats)]
    return [k for k, n in zip(starts, repeats) if n]


_TIME_FORMS = "a frame index (120), seconds (12.5s) or a timecode (01:02.5, 00:01:02.5)"
_TIMECODE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d*)?)$")


def parse_time(text: str | int, fps: Fraction | float, times: Sequence[float] | None = None) -> int:
    """A frame index from '120' or 120 (frame), '12.5s' (seconds) or '[hh:]mm:ss[.s]' (timecode,
    decimal seconds). A time gives the frame on screen then: by `times` (each frame's start, for a
    variable rate) when given, else by the rate."""
    seconds = parse_seconds(text)
    if seconds is None:
        return int(str(text).strip())
    if times:
        last = times[-1] + (times[-1] - times[-2] if len(times) > 1 else float(1 / as_fraction(fps)))
        if seconds >= last:  # past the last frame's end, as floor(t · rate) is for a constant rate
            return len(times)
        return max(0, bisect.bisect_right(times, float(seconds) + 1e-6) - 1)
    # The frame on screen at time t is the one that started at or before t.
    return math.floor(seconds * as_fraction(fps))


def parse_seconds(text: str | int) -> Fraction | None:
    """The seconds of a time ('12.5s', '01:02.5'), or None for a frame index ('120', 120)."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise UsageError(f"time {text!r}: expected {_TIME_FORMS}")
    raw = str(text).strip().lower()
    if raw.startswith("-"):
        raise UsageError(f"time {text!r} is negative")
    if re.fullmatch(r"\d+", raw):
        return None
    if re.fullmatch(r"(\d+(\.\d*)?|\.\d+)s", raw):
        seconds = Fraction(raw[:-1])
    elif match := _TIMECODE.match(raw):
        hours, minutes, secs = match.groups()
        if Fraction(secs) >= 60 or (hours is not None and int(minutes) >= 60):
            raise UsageError(f"time {text!r}: minutes and seconds must be below 60")
        seconds = int(hours or 0) * 3600 + int(minutes) * 60 + Fraction(secs)
    else:
        raise UsageError(f"time {text!r}: expected {_TIME_FORMS}")
    return seconds
