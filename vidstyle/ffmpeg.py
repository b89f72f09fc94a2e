"""Asking the ffmpeg binary bundled with imageio-ffmpeg: exact rates, rotation, sound length.

Shared by decoding (video.py) and encoding (encode.py); no OpenCV here.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg

from .errors import InputError, UsageError, VidstyleError
from .signals import held


def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg (or the one IMAGEIO_FFMPEG_EXE names)."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_path(path: str | os.PathLike) -> str:
    """A path as ffmpeg (and OpenCV through it) must get it: absolute, because a relative name
    like 'a:b.mp4' is read as the protocol 'a:' and one like '-x.mp4' as an option."""
    return os.path.abspath(path)


def as_fraction(fps: Fraction | float | int | str) -> Fraction:
    """An exact rate: a float like 29.97 becomes 30000/1001, 25.0 becomes 25."""
    try:
        exact = isinstance(fps, (Fraction, int)) or (isinstance(fps, str) and "/" in fps)
        value = Fraction(fps) if exact else snap_rate(float(fps))
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"frame rate {fps!r} is not a number") from None
    if value <= 0:
        raise UsageError(f"frame rate must be positive, got {fps}")
    return value


def snap_rate(value: float) -> Fraction:
    """Undo the rounding of a printed or floating-point rate (NTSC rates are n*1000/1001)."""
    if not math.isfinite(value) or value <= 0:
        return Fraction(0)
    if abs(value - round(value)) < 1e-3:
        return Fraction(round(value))
    ntsc = round(value * 1.001)
    if abs(value - ntsc / 1.001) < 6e-3:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(value).limit_denominator(1001)


def run(cmd: list[str], timeout: float | None = None) -> subprocess.CompletedProcess:
    """subprocess.run(cmd, capture_output=True), with Ctrl-C and SIGTERM held while the child is
    forked: one landing in logging's at-fork hook was lost (the run went on, with a traceback).
    The wait itself can be interrupted; the child is killed then."""
    proc = None
    try:
        with held():  # a signal noted here is raised as the block ends, with `proc` set: it is killed
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        if proc is not None:
            proc.kill()
            proc.wait()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def run_ffmpeg(args: list[str], *, error: type[VidstyleError] = InputError,
               timeout: float | None = 900.0) -> subprocess.CompletedProcess:
    """Run the bundled ffmpeg with `args` (a list, no shell); one that cannot be started or runs
    past `timeout` raises `error` (an input's or an output's) with one line."""
    try:
        return run([ffmpeg_exe(), *args], timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise error(f"cannot run ffmpeg: {exc}") from None


def ffmpeg_stderr(args: list[str], timeout: float = 900.0) -> str:
    """Run ffmpeg and return its stderr; the exit code is ignored because `ffmpeg -i file`
    without an output always exits 1."""
    done = run_ffmpeg(["-hide_banner", "-nostdin", *args], timeout=timeout)
    return done.stderr.decode("utf-8", errors="replace")


def stream_rate(video_line: str, unit: str) -> Fraction | None:
    """A rate printed on ffmpeg's stream line, e.g. '29.97 fps' or '1k tbr'."""
    match = re.search(rf"([\d.]+)(k?) {unit}\b", video_line)
    if not match:
        return None
    value = float(match.group(1)) * (1000 if match.group(2) else 1)
    snapped = snap_rate(value)
    return snapped if snapped > 0 else None


def rotation_of(stderr: str) -> int:
    """Clockwise rotation from a display matrix (counter-clockwise in ffmpeg) or a rotate tag."""
    match = re.search(r"rotation of (-?[\d.]+) degrees", stderr)
    if match:
        return round(-float(match.group(1))) % 360
    match = re.search(r"^\s*rotate\s*:\s*(-?\d+)", stderr, re.MULTILINE)
    return int(match.group(1)) % 360 if match else 0


def audio_duration(path: str | os.PathLike) -> float | None:
    """Length in seconds of the first audio stream, or None if the file has none."""
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    # Copying the packets to nowhere is fast and ffmpeg's last progress time is the stream's end.
    stderr = ffmpeg_stderr(["-i", ffmpeg_path(path), "-map", "0:a:0?", "-c", "copy", "-f", "null", "-"])
    times = re.findall(r"time=(\d+):(\d+):([\d.]+)", stderr)
    if not re.search(r"Stream #\d+:\d+.*?: Audio:", stderr) or not times:
        return None
    hours, minutes, seconds = times[-1]
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
