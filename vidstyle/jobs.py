"""Planning a video run: every check that can fail is made here, before any work starts."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .config import DEFAULT_CRF, StyleOptions, VideoOptions
from .errors import OutputError, UsageError
from .ffmpeg import audio_duration
from .folders import folder_sizes, list_frames
from .formats import FORMATS, check_codec, check_crf, note_ignored_crf
from .images import IMAGE_SUFFIXES
from .prepare import ImageLike, as_rgb, blend_weights, check_styles_at, checked_size
from .report import config_dict
from .sidefiles import check_parent
from .source import open_source, reader_timing
from .video import VIDEO_SUFFIXES, FrameReader, StreamInfo
from .workdir import MANIFEST, WorkDir, plain_names

log = logging.getLogger(__name__)

DISK_SLACK = 64 << 20  # bytes beyond the frames: manifest, report entries, the encoder's temporary video

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


def is_video_path(path: Path) -> bool:
    return path.suffix.lower() in FORMATS


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
    if style.init not in ("content", "noise"):
        as_rgb(style.init, "--init")
    return style_rgb


def check_sizes(info: StreamInfo, style_rgb: list[np.ndarray], style: StyleOptions) -> tuple[int, int]:
    """The working size, checked for the input and every style image; for a folder of images of
    several sizes, every image's (the first image's size is returned)."""
    sizes = folder_sizes(info.path) if info.mixed_sizes else {str(info.path): (info.width, info.height)}
    working = [checked_size(w, h, style, name) for name, (w, h) in sizes.items()]
    for size in dict.fromkeys(working):
        check_styles_at(style_rgb, size, style)
    return working[0]


def check_folder(output: Path) -> None:
    """The folder the output (and the work folder beside it) goes in exists and takes files."""
    # frames go into an existing folder, which must take them
    check_parent(output, str(output), output.resolve() if output.is_dir() else None)


def beside(output: Path) -> Path:
    """The work folder beside an output: `painted.mp4.vidstyle/` (from the absolute path, so
    that `-o .` has a name)."""
    output = output.resolve()
    return output.with_name(output.name + ".vidstyle")


def run_folders(source: Path, output: Path) -> list[Path]:
    """The folders a video run reads or writes frames in: the input's (a frame folder), the
    output's (frames out) and the work folder beside the output."""
    folders = [source] if source.is_dir() else []
    if not is_video_path(output):
        folders.append(output)
    return [*folders, beside(output)]


def output_names(reader: FrameReader) -> list[str] | None:
    """A folder of images out to a folder keeps their names, as PNG (beach.jpg -> beach.png), so
    photos stay recognisable and frames keep their numbers. None (numbered frame_NNNNNN.png) for a
    video, or where two names would become one (a.jpg and a.png)."""
    if not reader.info.is_folder:
        return None
    files = list_frames(reader.info.path, one_size=False)
    names = [files[i].stem + ".png" for i in range(reader.start, reader.stop, reader.every)]
    if len({n.lower() for n in names}) < len(names):
        log.info("%s: two images would get one name as PNG; the frames are numbered instead", reader.info.path)
        return None
    return names


def check_frame_folder(output: Path, in_place: bool, video: VideoOptions,
                       names: list[str] | None = None) -> WorkDir | None:
    """Frames out to a folder: the work folder is the output itself at the working size, or
    `<output>.vidstyle/` with --output-size original. Neither run may clobber the other's frames,
    nor files of the output's names that no run of ours wrote.
    Returns the other kind's interrupted work folder that --restart discards (once locked)."""
    sibling = WorkDir(beside(output))
    manifest = WorkDir(output).read_manifest() if output.is_dir() else None
    ours = WorkDir(output, names).replaceable(manifest)  # what clear() would remove here
    recorded = set(plain_names(manifest.get("names")) or []) if manifest else set()
    foreign = [n for n in names or [] if n not in recorded and (output / n).is_file()]
    if foreign and not video.overwrite:  # a user's own file of that name (e.g. in a folder of images)
        raise OutputError(f"{output}: holds {foreign[0]}, which no vidstyle run wrote here; pass --overwrite to "
                          "replace it, or write elsewhere")
    complete = bool(manifest and manifest["state"].get("complete"))
    writing = bool(manifest and manifest["state"].get("writing"))  # an --output-size original output, stopped
    interrupted = manifest is not None and not complete and not writing
    if in_place:
        # Frames without a readable manifest cannot be told from finished ones: never wiped unasked.
        if complete and not video.overwrite:
            raise OutputError(f"{output}: holds finished frames; pass --overwrite to replace them")
        if ours and manifest is None and not video.overwrite:  # e.g. a user's own frame_000000.png
            raise OutputError(f"{output}: holds {ours[0].name}, named like this "
                              "run's frames but with no record of a run; pass --overwrite to replace it, or write elsewhere")
        other = sibling.read_manifest()
        if other and not other.get("state", {}).get("complete"):
            if not video.restart:
                raise UsageError(f"{sibling.folder} holds an interrupted --output-size original run; add "
                                 "--output-size original to resume it, or pass --restart to start over")
            return sibling
    elif ours and not video.overwrite and not writing:
        what = ("an interrupted run at the working size; run without --output-size original to resume it, or"
                if interrupted else "finished frames;")
        raise OutputError(f"{output}: holds {what} pass --overwrite to replace them")
    return None


def plan(source: Path, output: Path, styles: list, style: StyleOptions, video: VideoOptions) -> Job:
    """Check everything a run needs before any work (each refusal names its option) and plan it."""
    style_rgb = check_styles(styles, style)
    reader = open_source(source, video)
    info, start, end = reader.info, reader.start, reader.end
    if video.audio and video.no_audio:
        raise UsageError("--audio and --no-audio: give one or the other")
    size = check_sizes(info, style_rgb, style)
    names = None if is_video_path(output) else output_names(reader)
    to_video, stale = _check_output(source, output, info, video, names)
    in_place = not to_video and video.output_size == "working"
    fps_out, repeats = _output_timing(reader, to_video)
    audio_from = _audio_source(source, info, video, output if to_video else None)
    _check_disk(output, reader.expected, size)
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
    return Job(info, reader, size, output, to_video, work, fps_out, audio_from,
               audio_start, settings, style_rgb, stale, names, repeats)


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


def _check_output(source: Path, output: Path, info: StreamInfo, video: VideoOptions,
                  names: list[str] | None) -> tuple[bool, WorkDir | None]:
    """Whether the output is a video (else a frame folder), and the other kind's interrupted work
    folder that --restart discards; refuses outputs that cannot or must not be written."""
    to_video = is_video_path(output)
    if not to_video and output.suffix.lower() in VIDEO_SUFFIXES:
        raise UsageError(f"--output {output}: vidstyle writes {', '.join(FORMATS)} videos, or frames to a folder")
    if to_video and info.mixed_sizes:
        raise UsageError(f"{source}: the images differ in size, and a video has one; give a folder as --output")
    if to_video and video.codec:
        check_codec(video.codec, output.suffix.lower())
    if to_video:
        codec = video.codec or FORMATS[output.suffix.lower()].codec
        check_crf(codec, video.crf)
        note_ignored_crf(codec, video.crf)
    if not to_video and output.suffix.lower() in IMAGE_SUFFIXES:
        raise UsageError(f"--output {output}: for a video or frame folder, give a video file "
                         f"({', '.join(FORMATS)}) or a folder")
    if output.resolve() == source.resolve():
        raise OutputError(f"{output}: the output is the input; choose another path")
    check_folder(output)
    if to_video and output.exists() and not video.overwrite:
        kept = WorkDir(beside(output)).read_manifest() if (beside(output) / MANIFEST).exists() else None
        if kept and not kept["state"].get("complete") and not video.keep_frames:  # a run stopped as it ended
            raise OutputError(f"{output}: exists, and so does {beside(output)}, left by a run stopped just after "
                              "writing it: delete that folder, or pass --overwrite to write the output again from it")
        raise OutputError(f"{output}: exists; pass --overwrite to replace it")
    if not to_video and output.is_file():
        raise OutputError(f"{output}: is a file; expected a folder for frame output")
    if not to_video and output.suffix and not output.exists():  # out.mp5: a typo, or a folder named so
        log.warning("note: %s is not a video file name (%s): writing frames into the folder %s/",
                    output, ", ".join(FORMATS), output)
    if not to_video:
        note_unencoded(video)
    in_place = not to_video and video.output_size == "working"
    return to_video, (check_frame_folder(output, in_place, video, names) if not to_video else None)


def note_unencoded(video: VideoOptions) -> None:
    """Frames out to a folder are PNG: say that the encoder's options given are ignored."""
    given = [name for name, value in (("--codec", video.codec), ("--crf", video.crf != DEFAULT_CRF)) if value]
    if given:
        log.warning("note: %s: for a video file; frames in a folder are PNG", ", ".join(given))


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


def _check_disk(output: Path, frames: int, size: tuple[int, int]) -> None:
    """Refuse a run whose work folder would not fit: PNG frames at about 1.5 bytes a pixel, generously."""
    need = frames * size[0] * size[1] * 3 // 2 + DISK_SLACK
    free = shutil.disk_usage(output.resolve().parent).free
    if free < need:
        raise OutputError(f"{output.resolve().parent}: {free >> 20} MiB free, about {need >> 20} MiB "
                          f"needed for {frames} frames at {size[0]}x{size[1]}; free some space or write elsewhere")
