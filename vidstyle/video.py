"""Decoding: probe a video or a frame folder, and stream its frames as RGB uint8.

OpenCV decodes the pixels, one frame at a time, so a long video never sits in memory.
The ffmpeg binary shipped with imageio-ffmpeg is asked (ffmpeg.py) what OpenCV does not say reliably:
the exact frame rate, the sound track, the rotation and the true frame count (OpenCV
estimates it from the duration for mkv/avi). Encoding lives in `encode.py`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from .config import FOLDER_FPS
from .errors import IncompleteInputError, InputError, UsageError
from .ffmpeg import as_fraction, ffmpeg_path, rotation_of, run_ffmpeg, snap_rate, stream_rate
from .folders import folder_sizes, list_frames
from .images import IMAGE_SUFFIXES, read_image
from .timing import gif_rate, packet_span, timestamps_rate

log = logging.getLogger(__name__)

# OpenCV's FFmpeg backend prints libav's complaints about a damaged stream (dozens of lines for a
# truncated file) straight to stderr, burying the one `error:` line; we report damage ourselves.
# Read when OpenCV first opens a video, so setting it here, before any capture, is in time.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

# Video containers, some of which OpenCV's image reader also claims (an animated GIF): inputs
# with these suffixes are always decoded as videos, and outputs with them are never frame folders.
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".gif", ".ts", ".mts",
                  ".m2ts", ".flv", ".wmv", ".3gp", ".ogv", ".vob", ".mxf")


@dataclass(frozen=True)
class StreamInfo:
    """What the pipeline needs to know about a source before decoding it."""

    path: Path
    width: int  # after rotation, i.e. as the frames are yielded
    height: int
    fps: Fraction
    frame_count: int
    duration: float  # of the video stream: frame_count / fps
    has_audio: bool
    audio_codec: str | None
    rotation: int  # clockwise degrees a player applies (OpenCV's convention)
    variable_rate: bool  # unevenly spaced timestamps (AVI and others: ffmpeg's average and base rates disagree)
    is_folder: bool
    mixed_sizes: bool = False  # a folder of unrelated images (--independent); width, height: the first's
    video_start: float = 0.0  # seconds from the file's start (its earliest stream) to the first frame


def _open_capture(path: Path) -> tuple[cv2.VideoCapture, bool]:
    """Open a capture with OpenCV's own rotation on; say if we must rotate frames ourselves."""
    cap = cv2.VideoCapture(ffmpeg_path(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise InputError(f"{path}: OpenCV cannot open this video")
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    manual = cap.get(cv2.CAP_PROP_ORIENTATION_AUTO) == 0
    return cap, manual


_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def _to_rgb(bgr: np.ndarray, rotate_by: int) -> np.ndarray:
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return cv2.rotate(rgb, _ROTATE[rotate_by]) if rotate_by in _ROTATE else rgb


def probe(path: str | os.PathLike, *, fps: Fraction | float = FOLDER_FPS,
          one_size: bool = True) -> StreamInfo:
    """Describe a video file or a frame folder (`fps` is used for folders only; `one_size=False`
    accepts a folder of images of several sizes)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        frames = list_frames(path, one_size=one_size)
        height, width = read_image(frames[0]).shape[:2]
        mixed = not one_size and len(set(folder_sizes(path).values())) > 1
        rate = as_fraction(fps)
        return StreamInfo(path, width, height, rate, len(frames), float(len(frames) / rate),
                          False, None, 0, False, True, mixed)
    return _probe_video(path)


def _probe_video(path: Path) -> StreamInfo:
    # One demuxing pass (no decoding): the header tells streams, rate and rotation; the packet
    # count is exact where OpenCV only estimates (mkv, avi: duration × fps, audio tail included).
    # -copyts: the file's own times, to set the first frame's against the header's `start:` (where
    # the sound lines up); ffmpeg would otherwise shift the listing to start at 0.
    done = run_ffmpeg(["-hide_banner", "-nostdin", "-copyts", "-i", ffmpeg_path(path), "-map", "0:v:0?",
                       "-c", "copy", "-f", "framecrc", "-"])
    if done.returncode < 0:  # killed by a signal: a crash, not an unreadable file
        # imageio-ffmpeg 0.7.0's ffmpeg 7.0.2 crashed on every MPEG-TS file (docs/RELIABILITY.md).
        other = "IMAGEIO_FFMPEG_EXE" if os.environ.get("IMAGEIO_FFMPEG_EXE") else \
            "pip install -U imageio-ffmpeg, or IMAGEIO_FFMPEG_EXE"
        raise InputError(f"{path}: ffmpeg ({done.args[0]}) crashed reading it (signal {-done.returncode}); "
                         f"try another ffmpeg build ({other}) or re-encode the file")
    stderr = done.stderr.decode("utf-8", errors="replace")
    span = packet_span(done.stdout.decode("ascii", errors="replace"))  # every packet's time, no decoding
    header = stderr.split("Output #", 1)[0]
    if "Input #" not in header:
        last = stderr.strip().splitlines()[-1:] or ["no output from ffmpeg"]
        raise InputError(f"{path}: neither an image ({', '.join(IMAGE_SUFFIXES)}) nor a video ffmpeg can read "
                         f"({last[0].strip()})")
    video = re.search(r"Stream #\d+:\d+.*?: Video: (.*)", header)
    if video is None:
        raise InputError(f"{path}: no video stream, so no frames")
    audio = re.search(r"Stream #\d+:\d+.*?: Audio: (\w+)", header)
    avg, base = stream_rate(video.group(1), "fps"), stream_rate(video.group(1), "tbr")
    rotation = rotation_of(header)
    packets = re.findall(r"frame=\s*(\d+)", stderr)
    damaged = re.search(r"partial file|ended prematurely|corrupt|Invalid data|truncat", stderr, re.I)

    cap, manual = _open_capture(path)
    try:
        ok, first = cap.read()
        if not ok or first is None:
            raise InputError(f"{path}: the video has no decodable frames")
        cv_fps = cap.get(cv2.CAP_PROP_FPS)
        announced = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        cap.release()
    first = _to_rgb(first, rotation if manual else 0)

    # r_frame_rate (tbr) is exact for constant-rate video; the average only wins when they
    # disagree, i.e. the rate varies and the average gives the right duration.
    variable = avg is not None and base is not None and abs(float(avg - base)) > 0.01 * float(base)
    fps = (avg if variable else base or avg) or snap_rate(cv_fps)
    if fps and 0 < cv_fps and abs(cv_fps - float(fps)) < 0.006 * float(fps):
        # ffmpeg prints rates to 2 decimals (10/3 as '3.33'); OpenCV has the same rate in full.
        fps = snap_rate(cv_fps)
    if fps <= 0:
        raise InputError(f"{path}: cannot tell the frame rate")
    count = span.frames if span else int(packets[-1]) if packets else 0
    if damaged and announced > count:
        # Keep the length the container announces, so that decoding short of it is reported.
        log.warning("%s: damaged or truncated, %d of %d frames readable", path, count, announced)
        count = announced
    elif count <= 0:
        count = max(1, announced)
    container = re.search(r"Input #0, ([\w,]+)", header)
    # The rate from the timestamps, where the header gives one rate for both of ffmpeg's (matroska,
    # MPEG-TS), none to trust (GIF), or an average that leaves out the last frame's duration and
    # missed a short variable-rate MP4 altogether ('12 fps, 12 tbr' for 12, then 6 fps). Not in
    # AVI, whose timestamps come from index positions (its muxer leaves gaps for the sound's preroll).
    formats = set(container.group(1).split(",")) if container and not damaged else set()
    timed = {"matroska", "mpegts", "mp4"} & formats
    measured = gif_rate(span) if "gif" in formats else timestamps_rate(span, fps) if timed else None
    if measured is not None:
        variable, fps = measured
    # Where the sound lines up: a file whose sound starts before its picture (a camcorder's .mts,
    # a cut .mkv) has its first frame that far into the file, and the sound's own start was taken.
    file_start = re.search(r"Duration: .*?, start: (-?[\d.]+)", header)
    video_start = max(0.0, span.first - float(file_start.group(1))) if span and span.timed and file_start else 0.0
    height, width = first.shape[:2]
    return StreamInfo(path, width, height, fps, count, float(count / fps), audio is not None,
                      audio.group(1) if audio else None, rotation, variable, False, video_start=video_start)


class FrameReader:
    """Iterates (source index, RGB uint8 frame) over [start, end) every `every` frames.

    A truncated video does not raise mid-way: iteration just stops, `decoded` stays below
    `expected`, and the caller calls `check_complete()` once the frames it got are processed.
    """

    def __init__(self, path: str | os.PathLike, *, start: int = 0, end: int | None = None,
                 every: int = 1, info: StreamInfo | None = None, times: list[float] | None = None) -> None:
        self.info = info or probe(path)
        if start < 0 or every < 1 or (end is not None and end <= start):
            raise UsageError(f"frame range start={start} end={end} every={every}: expected start >= 0, "
                             "end > start (or none) and every >= 1")
        if start >= self.info.frame_count:
            raise UsageError(f"{self.info.path}: start frame {start} is past the last frame "
                             f"({self.info.frame_count} frames)")
        self.start, self.end, self.every = start, end, every
        self.times = times  # each frame's start in seconds, where the rate varies (frame_times)
        # Where the range starts, from the first frame (the sound runs from there).
        self.start_seconds = times[start] - times[0] if times and start < len(times) else float(start / self.info.fps)
        self.expected = len(range(start, self.stop, every))
        self.decoded = 0
        self.last_index: int | None = None
        self._warned = False

    @property
    def stop(self) -> int:
        """Where the range ends (exclusive), within the input."""
        return self.info.frame_count if self.end is None else min(self.end, self.info.frame_count)

    @property
    def complete(self) -> bool:
        return self.decoded >= self.expected

    def check_complete(self) -> None:
        """Raise IncompleteInputError if the source ended before its announced length."""
        if not self.complete:
            raise IncompleteInputError(
                f"{self.info.path}: only {self.decoded} of {self.expected} frames could be decoded "
                f"(last good source frame: {self.last_index}); the file may be truncated"
            )

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        # The best pass counts: a reader is iterated again, even by two generators at once (the
        # warp error reads the originals twice side by side), so a shared counter reset per pass
        # would add up frames from both and overstate what a truncated file holds.
        source = self._folder() if self.info.is_folder else self._video()
        for count, (index, frame) in enumerate(source, start=1):
            self.decoded = max(self.decoded, count)
            self.last_index = max(self.last_index if self.last_index is not None else index, index)
            yield index, frame

    def _folder(self) -> Iterator[tuple[int, np.ndarray]]:
        mixed = self.info.mixed_sizes
        frames = list_frames(self.info.path, one_size=not mixed)
        stop = len(frames) if self.end is None else min(self.end, len(frames))
        for index in range(self.start, stop, self.every):
            rgb = read_image(frames[index])
            if not mixed and rgb.shape[:2] != (self.info.height, self.info.width):
                raise InputError(f"{frames[index]}: size {rgb.shape[1]}x{rgb.shape[0]} differs from "
                                 f"{self.info.width}x{self.info.height} of the first frame")
            yield index, rgb

    def _video(self) -> Iterator[tuple[int, np.ndarray]]:
        cap, manual = _open_capture(self.info.path)
        rotate_by = self.info.rotation if manual else 0
        try:
            index = 0
            # Frames are stepped over one by one: seeking in compressed streams is not frame exact.
            while self.end is None or index < self.end:
                wanted = index >= self.start and (index - self.start) % self.every == 0
                if not wanted:
                    if not cap.grab():
                        break
                else:
                    ok, bgr = cap.read()
                    if not ok or bgr is None:
                        break
                    yield index, _to_rgb(bgr, rotate_by)
                index += 1
        finally:
            cap.release()
        if self.decoded < self.expected and not self._warned:
            self._warned = True  # once, though the reader is iterated for flow, frames and E_warp
            log.warning("%s: decoding stopped at source frame %d, %d of %d frames decoded",
                        self.info.path, index, self.decoded, self.expected)


def iter_frames(path: str | os.PathLike, *, start: int = 0, end: int | None = None,
                every: int = 1, info: StreamInfo | None = None) -> FrameReader:
    """Frames of a video or frame folder as a `FrameReader` (iterate it; then `check_complete()`)."""
    return FrameReader(path, start=start, end=end, every=every, info=info)


def frame_times(path: str | os.PathLike) -> list[float]:
    """Each frame's start in seconds, from its timestamp: a variable-rate video's frames are not
    index / rate. Costs one decoding pass, so it is read only when a time must be placed exactly."""
    cap, _ = _open_capture(Path(path))
    times = []
    try:
        while cap.grab():
            times.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
    finally:
        cap.release()
    return times
