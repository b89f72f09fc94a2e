"""Planning a video run: every check that can fail is made here (the output's in outputs.py),
before any work starts."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .config import StyleOptions, VideoOptions
from .errors import UsageError
from .ffmpeg import audio_duration
from .folders import folder_sizes, list_frames
from .formats import FORMATS
from .outputs import beside, check_disk, check_output, is_video_path, output_names
from .prepare import ImageLike, as_rgb, blend_weights, check_init, check_styles_at, checked_size
from .report import config_dict
from .source import open_source, reader_timing
from .video import FrameReader, StreamInfo
from .workdir import WorkDir

log = logging.getLogger(__name__)

# Settings that change how a result is shown or written, not the frames themselves: a resumed
# run may change them.
NOT_SETTINGS = {"keep_frames", "restart", "overwrite", "preview", "preview_every", "preview_window",
                "codec", "crf", "no_audio", "audio", "output_size"}


@dataclass
class Job:
    info: StreamInfo
    reader: FrameReader
    size: tuple[int, int]  # working (w, h)
    output: Path
    to_video: bool
    work: WorkDir
    fps_out: Fraction
    audio_from: Path | None
    audio_start: float
    settings: dict
    style_rgb: list[np.ndarray]  # the style images, decoded once
    stale: WorkDir | None = None  # the other output size's interrupted run, discarded by --restart
    names: list[str] | None = None  # the output frames' names (a folder of images in and out)
    repeats: list[int] | None = None  # a variable-rate input: times each frame is shown at fps_out


def file_digest(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def style_name(style: ImageLike) -> str:
    """How the report names a style: its path, or "array" for an array given to the API."""
    return os.fspath(style) if isinstance(style, (str, os.PathLike)) else "array"


def style_digest(style: ImageLike) -> str:
    """A style image's fingerprint, a file's or an array's: a changed style is not resumed."""
    if isinstance(style, (str, os.PathLike)):
        return file_digest(style)
    array = np.ascontiguousarray(style)
    return hashlib.sha256(f"{array.shape}{array.dtype}".encode() + array.tobytes()).hexdigest()[:16]


def input_digest(path: Path, part: int = 1 << 20) -> str:
    """A cheap fingerprint of the input, so a re-exported clip of the same length is not resumed
    as if it were the old one: a file's size and first and last MiB; a folder's names and sizes."""
    digest = hashlib.sha256()
    if path.is_dir():
        for frame in list_frames(path, one_size=False):
            digest.update(f"{frame.name}\0{frame.stat().st_size}\0".encode())
    else:
        size = path.stat().st_size
        digest.update(str(size).encode())
        with open(path, "rb") as fh:
            digest.update(fh.read(part))
            fh.seek(max(0, size - part))
            digest.update(fh.read(part))
    return digest.hexdigest()[:16]


def check_styles(styles: list, style: StyleOptions) -> list[np.ndarray]:
    """Every style image readable, one --style-blend weight each, an --init image readable: else
    the run would fail only after its work folder was made, leaving an interrupted run behind.
    Returns the styles as RGB arrays, decoded once for the whole run."""
    blend_weights(style, len(styles))
    style_rgb = [as_rgb(s, "style") for s in styles]  # InputError naming the file
    check_init(style.init)
    return style_rgb


def check_sizes(info: StreamInfo, style_rgb: list[np.ndarray], style: StyleOptions) -> tuple[int, int]:
    """The working size, checked for the input and every style image; for a folder of images of
    several sizes, every image's (the first image's size is returned)."""
    sizes = folder_sizes(info.path) if info.mixed_sizes else {str(info.path): (info.width, info.height)}
    working = [checked_size(w, h, style, name) for name, (w, h) in sizes.items()]
    for size in dict.fromkeys(working):
        check_styles_at(style_rgb, size, style)
    return working[0]


def plan(source: Path, output: Path, styles: list, style: StyleOptions, video: VideoOptions) -> Job:
    """Check everything a run needs before any work (each refusal names its option) and plan it."""
    style_rgb = check_styles(styles, style)
    reader = open_source(source, video)
    info, start, end = reader.info, reader.start, reader.end
    if video.audio and video.no_audio:
        raise UsageError("--audio and --no-audio: give one or the other")
    size = check_sizes(info, style_rgb, style)
    names = None if is_video_path(output) else output_names(reader)
    to_video, in_place, stale = check_output(source, output, info, video, names)
    fps_out, repeats = _output_timing(reader, to_video)
    audio_from = _audio_source(source, info, video, output if to_video else None)
    rows = (max(style.iterations, video.frame_iterations) + 1) * style.scales  # a frame's loss rows, at most
    check_disk(output, reader.expected, size, rows)
    settings = {
        "input": str(source.resolve()),
        "input_frames": info.frame_count,
        "input_digest": input_digest(source),
        "styles": [style_digest(s) for s in styles],
        "size": list(size),
        "range": [start, end, video.every],
        "style_options": config_dict(style),
        "video_options": {k: v for k, v in config_dict(video).items() if k not in NOT_SETTINGS},
    }
    work = WorkDir(output, names) if in_place else WorkDir(beside(output))
    own = audio_from is not None and audio_from.resolve() == source.resolve()  # the input's own sound: from its picture
    audio_start = reader.start_seconds + (info.video_start if own else 0.0)
    return Job(info=info, reader=reader, size=size, output=output, to_video=to_video, work=work, fps_out=fps_out,
               audio_from=audio_from, audio_start=audio_start, settings=settings, style_rgb=style_rgb,
               stale=stale, names=names, repeats=repeats)


def _output_timing(reader: FrameReader, to_video: bool) -> tuple[Fraction, list[int] | None]:
    """The output's rate, and for a variable-rate video into a video the times each frame is
    shown at it (timing.steady_timing); a note says which a variable-rate input gets."""
    info, source = reader.info, reader.info.path
    timing = reader_timing(reader) if info.variable_rate and to_video else None
    if timing is not None:
        rate, repeats = timing
        counts = [f"{n} {what}" for n, what in ((sum(k > 1 for k in repeats), "shown more than once"),
                                                (repeats.count(0), "left out, within a step of the next")) if n]
        log.warning("note: %s has a variable frame rate; the output runs at a steady %s fps, each frame shown "
                    "from its own time%s", source, rate, f" ({'; '.join(counts)})" if counts else "")
        return rate, repeats
    if info.variable_rate:
        kept = (f"; the output plays its frames at their average rate, {info.fps} fps" if to_video
                else ", which frames in a folder do not keep")
        log.warning("note: %s has a variable frame rate%s (times given to --start/--end follow the frames' "
                    "own timestamps)", source, kept)
    return info.fps / reader.every, None


def _audio_source(source: Path, info: StreamInfo, video: VideoOptions, output: Path | None) -> Path | None:
    """The sound for the output video: an --audio track (for a folder or a video alike), else the
    video's own; none for frames out, or a container without sound (GIF).

    It runs from the input's first frame and is cut at the range; --every keeps it, since the
    output's rate is the input's / N."""
    if output is not None and FORMATS[output.suffix.lower()].audio_codec is None:
        if video.audio:
            raise UsageError(f"--audio: a {output.suffix.lower()} file has no sound; write a .mp4, .webm, .mkv or .mov")
        if not info.is_folder and info.has_audio and not video.no_audio:
            log.warning("note: a %s file has no sound: the sound of %s is left out", output.suffix.lower(), source)
        return None
    if video.audio:
        track = Path(video.audio)
        if not track.is_file():
            raise UsageError(f"--audio {track}: no such file")
        if audio_duration(track) is None:
            raise UsageError(f"--audio {track}: holds no sound")
        return track
    if not info.is_folder and info.has_audio and not video.no_audio:
        return source
    return None
