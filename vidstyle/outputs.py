"""Where a video run's output goes: a video file or a folder of frames, the work folder beside
it, and every refusal of an output that cannot or must not be written (planning, before any work)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from .config import DEFAULT_CRF, VideoOptions
from .errors import OutputError, UsageError
from .folders import list_frames
from .formats import FORMATS, check_codec, check_crf, note_ignored_crf
from .images import IMAGE_SUFFIXES
from .sidefiles import check_parent
from .video import VIDEO_SUFFIXES, FrameReader, StreamInfo
from .workdir import MANIFEST, WorkDir, plain_names

log = logging.getLogger(__name__)

DISK_SLACK = 64 << 20  # bytes beyond the frames and entries: the manifest, the encoder's temporary video
ENTRY_ROW_BYTES = 128  # a report entry's loss row as JSON: 106 bytes measured, rounded up


def check_image_output(path: Path, input_path: Path, overwrite: bool, styles: Sequence[str] = ()) -> None:
    """An image run's output: refused, before any work, where it is the input or a style, exists, or
    cannot be written."""
    if path.resolve() == input_path.resolve():
        raise OutputError(f"{path}: the output is the input; choose another path")
    if any(path.resolve() == Path(s).resolve() for s in styles):
        raise OutputError(f"{path}: the output is a style image; choose another path")
    if path.exists() and not path.is_dir() and not path.is_file():
        raise OutputError(f"{path}: is not a regular file")
    if path.is_dir():  # --overwrite replaces a file, never a folder
        raise OutputError(f"{path}: is a folder; give the output image a file name")
    if path.exists() and not overwrite:
        raise OutputError(f"{path}: exists; pass --overwrite to replace it")
    check_parent(path, str(path))


def is_video_path(path: Path) -> bool:
    return path.suffix.lower() in FORMATS


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


def check_output(source: Path, output: Path, info: StreamInfo, video: VideoOptions,
                 names: list[str] | None) -> tuple[bool, bool, WorkDir | None]:
    """Whether the output is a video (else a frame folder), whether frames are written in it
    (a folder at the working size: it is the work folder), and the other kind's interrupted work
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
    stale = check_frame_folder(output, in_place, video, names) if not to_video else None
    return to_video, in_place, stale


def note_unencoded(video: VideoOptions) -> None:
    """Frames out to a folder are PNG: say that the encoder's options given are ignored."""
    given = [name for name, value in (("--codec", video.codec), ("--crf", video.crf != DEFAULT_CRF)) if value]
    if given:
        log.warning("note: %s: for a video file; frames in a folder are PNG", ", ".join(given))


def check_disk(output: Path, frames: int, size: tuple[int, int], rows: int) -> None:
    """Refuse a run whose work folder would not fit: PNG frames at about 2 bytes a pixel, and each
    frame's report entry, `rows` loss rows (2.0-2.1 bytes a pixel measured on painted frames)."""
    need = frames * (size[0] * size[1] * 2 + rows * ENTRY_ROW_BYTES) + DISK_SLACK
    free = shutil.disk_usage(output.resolve().parent).free
    if free < need:
        raise OutputError(f"{output.resolve().parent}: {free >> 20} MiB free, about {need >> 20} MiB "
                          f"needed for {frames} frames at {size[0]}x{size[1]}; free some space or write elsewhere")
