"""Encoding: RGB uint8 frames → a video file, with the source's sound muxed back in.

Frames go to ffmpeg through `imageio_ffmpeg.write_frames` into a temporary file beside the
output; the sound is added in a second ffmpeg pass (video copied, audio re-encoded), and only
a finished file is renamed over the output, so a crash never leaves half a video behind.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Generator
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import imageio_ffmpeg
import numpy as np

from .config import DEFAULT_CRF
from .errors import OutputError, UsageError
from .ffmpeg import as_fraction, audio_duration, ffmpeg_path, run_ffmpeg
from .formats import FORMATS, check_crf, pix_fmt, quality_args
from .images import current_umask, remove_mkstemp_leftovers
from .signals import held

log = logging.getLogger(__name__)


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad an odd width or height by repeating the last column/row (4:2:0 needs even sizes)."""
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


class VideoWriter:
    """Context manager writing RGB uint8 frames to `path`; the output appears only on success."""

    def __init__(self, path: str | os.PathLike, fps: Fraction | float, *, codec: str | None = None,
                 crf: int = DEFAULT_CRF, audio_from: str | os.PathLike | None = None,
                 audio_start: float = 0.0, audio_duration: float | None = None,
                 audio_bitrate: str = "160k") -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in FORMATS:
            raise UsageError(f"{self.path}: unsupported video suffix {suffix!r} "
                             f"(expected one of {', '.join(FORMATS)})")
        if audio_start < 0 or (audio_duration is not None and audio_duration <= 0):
            raise UsageError(f"bad sound window: start {audio_start} s, duration {audio_duration} s")
        self.format = FORMATS[suffix]
        if audio_from is not None and self.format.audio_codec is None:
            raise UsageError(f"{self.path}: a {suffix} file has no sound")
        self.codec = codec or self.format.codec
        check_crf(self.codec, crf)
        self.fps = as_fraction(fps)
        self.crf = crf
        self.audio_from = Path(audio_from) if audio_from is not None else None
        self.audio_start = audio_start
        self.audio_duration = audio_duration
        self.audio_bitrate = audio_bitrate
        self.frames_written = 0
        self._size: tuple[int, int] | None = None  # (width, height) of the frames given
        self._encoder: Generator[None, bytes | np.ndarray | None, None] | None = None
        self._temps: list[Path] = []
        self._closed = False
        self._finished: Path | None = None  # the complete temporary video, once finish() ran

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    @staticmethod
    def remove_leftovers(path: str | os.PathLike) -> None:
        """Delete the temporary videos a killed writer of `path` left beside it (see _temp), whatever
        their age: the caller holds the output's lock, so no live writer has them."""
        path = Path(path)
        for tag in ("video", "mux"):
            remove_mkstemp_leftovers(path.parent, f".{path.stem}.", f".{tag}{path.suffix}")

    def _temp(self, tag: str) -> Path:
        folder = Path(ffmpeg_path(self.path.parent))  # ffmpeg gets these names: absolute, see ffmpeg_path
        try:
            fd, name = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=f".{tag}{self.path.suffix}",
                                        dir=folder)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write in {folder} ({exc.strerror})") from None
        os.close(fd)
        self._temps.append(Path(name))
        return Path(name)

    def _pads(self) -> bool:
        """Odd sizes are padded to even: 4:2:0 needs them; a GIF's palette does not."""
        return pix_fmt(self.codec).endswith("420p")

    def _start(self, width: int, height: int) -> Generator[None, bytes | np.ndarray | None, None]:
        out_w, out_h = (width + width % 2, height + height % 2) if self._pads() else (width, height)
        if (out_w, out_h) != (width, height):
            log.info("%s: odd size %dx%d padded to %dx%d by repeating the last column/row",
                     self.path, width, height, out_w, out_h)
        temp = self._temp("video")
        encoder = imageio_ffmpeg.write_frames(
            str(temp), (out_w, out_h), fps=self.fps, codec=self.codec, pix_fmt_out=pix_fmt(self.codec),
            quality=None, macro_block_size=1, ffmpeg_log_level="error",
            output_params=[*quality_args(self.codec, self.crf), *self.format.extra],
        )
        with held():  # ffmpeg is forked here (see ffmpeg.run); kept before a held signal is raised
            encoder.send(None)  # run up to the first `yield`; only a started encoder is kept
            self._encoder, self._size = encoder, (width, height)
        return encoder

    def write(self, frame_rgb: np.ndarray) -> None:
        """Append one H×W×3 uint8 RGB frame; every frame must have the size of the first."""
        if self._closed:
            raise ValueError(f"{self.path}: write after close")
        frame = np.asarray(frame_rgb)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected an H×W×3 uint8 frame, got {frame.shape} {frame.dtype}")
        height, width = frame.shape[:2]
        encoder = self._encoder if self._encoder is not None else self._start(width, height)
        if self._size != (width, height):
            first = "x".join(map(str, self._size or ()))
            raise ValueError(f"frame {self.frames_written} is {width}x{height}, the first was {first}")
        try:
            encoder.send(np.ascontiguousarray(_even(frame) if self._pads() else frame))
        except OSError:
            self.abort()
            raise OutputError(f"{self.path}: ffmpeg stopped at frame {self.frames_written} "
                              f"(codec {self.codec!r}; its own message is above)") from None
        self.frames_written += 1

    def close(self) -> None:
        """Finish the video, mux the sound in, and move the result onto the output path."""
        if self._closed:
            return
        self.finish()
        self.commit()

    def finish(self) -> None:
        """Finish the video and mux the sound in, in a temporary file; commit() puts it in place.
        Between the two, a caller writes what must exist whenever the output does (the report)."""
        if self._finished is not None:
            return
        self._closed = True
        if self._encoder is None:
            self.abort()
            raise OutputError(f"{self.path}: no frames were written")
        self._encoder.close()
        self._encoder = None
        video = self._temps[0]
        try:
            if video.stat().st_size == 0:
                raise OutputError(f"{self.path}: ffmpeg wrote nothing (codec {self.codec!r})")
            self._finished = self._mux(video) if self.audio_from is not None else video
            os.chmod(self._finished, 0o666 & ~current_umask())  # mkstemp made it private: a normal file's mode
        except (OSError, OutputError) as exc:
            self.abort()
            if isinstance(exc, OutputError):
                raise
            raise OutputError(f"{self.path}: cannot write ({exc.strerror})") from None

    def commit(self) -> None:
        """Move the finished video onto the output path (one rename)."""
        if self._finished is None:
            raise ValueError(f"{self.path}: commit before finish")
        try:
            os.replace(self._finished, self.path)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write ({exc.strerror})") from None
        finally:
            self.abort()
        log.info("%s: %d frame%s at %s fps written", self.path, self.frames_written, "s" * (self.frames_written != 1), self.fps)

    def abort(self) -> None:
        """Stop ffmpeg and delete the temporary files; the output path is left untouched."""
        self._closed = True
        if self._encoder is not None:
            quiet = logging.getLogger("imageio_ffmpeg")  # "no frames have been written": we know
            level = quiet.level
            quiet.setLevel(logging.ERROR)
            try:
                self._encoder.close()
            finally:
                quiet.setLevel(level)
            self._encoder = None
        for temp in self._temps:
            temp.unlink(missing_ok=True)
        self._temps.clear()
        self._finished = None

    def _mux(self, video: Path) -> Path:
        """Return a temp file with the video copied and the source's sound (if any) in the container's audio codec."""
        assert self.audio_from is not None and self.format.audio_codec is not None  # a container without sound is refused in __init__
        available = audio_duration(self.audio_from)
        if available is None or available <= self.audio_start:
            log.info("%s: no sound to carry over from %s", self.path, self.audio_from)
            return video
        length = self.audio_duration if self.audio_duration is not None else self.frames_written / self.fps
        out = self._temp("mux")
        cmd = [
            "-hide_banner", "-nostdin", "-y", "-v", "error",
            "-i", str(video),
            "-ss", f"{self.audio_start:.6f}", "-t", f"{float(length):.6f}", "-i", ffmpeg_path(self.audio_from),
            "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
            "-c:a", self.format.audio_codec, "-b:a", self.audio_bitrate, *self.format.extra, str(out),
        ]
        done = run_ffmpeg(cmd, error=OutputError, timeout=None)
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-3:]
            raise OutputError(f"{self.path}: adding the sound failed: {' / '.join(tail)}")
        log.info("%s: sound from %s (%.2f s from %.2f s) muxed in", self.path, self.audio_from,
                 float(length), self.audio_start)
        return out
