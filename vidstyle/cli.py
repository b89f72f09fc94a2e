"""Command line: subcommands, and error display — the arguments are in arguments.py, the work elsewhere."""

from __future__ import annotations

import argparse
import errno
import logging
import math
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from .arguments import build_parser, parse, style_options, video_only_given, video_options
from .config import StyleOptions, VideoOptions
from .errors import InputError, UsageError, VidstyleError
from .images import IMAGE_SUFFIXES
from .outputs import check_image_output, run_folders
from .sidefiles import check_side_files
from .signals import after_ctrl_c, stop_once
from .video import VIDEO_SUFFIXES

__all__ = ["build_parser", "main"]

# E_warp is NaN without a pair of frames inside one shot: one frame, or scene cuts only.
NO_PAIRS = "E_warp n/a (no two consecutive frames of one shot)"


def is_video_input(source: Path) -> bool:
    """A folder, or a file that is not an image: anything else goes to ffmpeg, so camcorder .mts,
    .flv or an animated .gif decode, and a sound file or a document gets ffmpeg's own reason. An
    image with another suffix or none (.ppm, .jfif) is recognised by OpenCV from its header."""
    import cv2

    suffix = source.suffix.lower()
    if source.is_dir() or suffix in VIDEO_SUFFIXES:
        return True
    return suffix not in IMAGE_SUFFIXES and not (source.is_file() and cv2.haveImageReader(str(source)))


def cmd_stylize(args: argparse.Namespace) -> int:
    try:
        return _stylize(args)
    except Exception as exc:
        from .device import is_out_of_memory

        if not is_out_of_memory(exc) or args.debug:
            raise
        options = style_options(args, True)
        raise out_of_memory(options, options.size or _longest_side(Path(args.input)), args.batch) from None


def _longest_side(source: Path) -> int:
    """The input's longest side: the working size of `--size original`."""
    from .images import read_image
    from .video import probe

    if source.is_file() and not is_video_input(source):
        return max(read_image(source).shape[:2])
    info = probe(source, one_size=False)
    return max(info.width, info.height)


def _stylize(args: argparse.Namespace) -> int:
    source, output = Path(args.input), Path(args.output)
    is_video = is_video_input(source)
    options = style_options(args, is_video)
    video = video_options(args)  # values checked for images too: a typo is an error, not ignored
    check_side_files({"--preview": args.preview, "--report": args.report, "--plot": args.plot},
                     [source, output, *args.style], run_folders(source, output) if is_video else [])
    if not source.exists():
        raise InputError(f"{source}: no such file or folder")
    for style in args.style:
        if not Path(style).exists():
            raise InputError(f"{style}: no such file")  # as read_image says, 9 s sooner
    # The backend last: its import takes seconds, and a typo in a path should not wait for it.
    start_backend(args)
    if is_video:
        return _video_run(source, output, options, video, args)
    check_image_output(output, source, args.overwrite, args.style)
    if output.suffix.lower() not in IMAGE_SUFFIXES:
        raise UsageError(f"--output {output}: expected an image suffix ({', '.join(IMAGE_SUFFIXES)})")
    if ignored := video_only_given(video, args.preset):
        logging.getLogger("vidstyle").warning("note: %s: for videos and frame folders; an image ignores %s",
                                              ", ".join(ignored), "it" if len(ignored) == 1 else "them")
    from .imagerun import image_run

    return image_run(source, args.style, output, options, args)


def _video_run(source: Path, output: Path, options: StyleOptions, video: VideoOptions, args) -> int:
    from .pipeline import run_video
    from .progress import VideoProgress

    progress = VideoProgress(args.quiet, scales=options.scales > 1)
    try:
        report = run_video(source, args.style, output, options, video, progress=progress,
                           report_path=args.report, plot_path=args.plot)
    finally:
        progress.close()
    frames = report["frames"]
    per_frame = sum(f["seconds"] for f in frames) / max(1, len(frames))
    warp = report["warp_error"]
    if "skipped" in warp:
        stability = f"E_warp n/a ({warp['skipped']})"
    elif math.isnan(warp["output"]):
        stability = NO_PAIRS
    else:
        # Measured on the frames at the working size, before lossy encoding (warp-error on the
        # encoded file reads higher: compression noise is flicker too).
        width, height = report["size"]
        stability = f"E_warp {warp['output']:.5f} (input {warp['original']:.5f}; frames at {width}x{height}, unencoded)"
    print(f"{output}: {len(frames)} frame{'s' * (len(frames) != 1)}, {per_frame:.2f} s/frame, {stability}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from .images import read_image
    from .source import probe_input

    source = Path(args.input)
    if source.is_file() and not is_video_input(source):
        height, width = read_image(source).shape[:2]
        print(f"{source}: an image, {width}x{height}")
        return 0
    info = probe_input(source, args.fps, one_size=False)  # a folder of several sizes is described, not refused
    sound = f"{info.audio_codec or 'yes'}" if info.has_audio else "none"
    size = f"{info.width}x{info.height}"
    if info.mixed_sizes:
        size = f"several sizes (the first {size}; for --independent)"
    print(f"{info.path}: {info.frame_count} frame{'s' * (info.frame_count != 1)}, {info.fps} fps ({float(info.fps):.3f}), "
          f"{size}, {info.duration:.3f} s, sound: {sound}"
          + (f", rotation {info.rotation}" if info.rotation else "")
          + (", variable frame rate" if info.variable_rate else ""))
    return 0


def cmd_warp_error(args: argparse.Namespace) -> int:
    from .source import as_shown, open_source
    from .stability import warp_error
    from .video import iter_frames

    # The original's range, as the run was given it (a ranged run's output differed in length).
    original = open_source(Path(args.original), VideoOptions(start=args.start, end=args.end, every=args.every,
                                                             flow=args.flow, scene_cut=args.scene_cut))
    stylized = iter_frames(Path(args.stylized))
    value, pairs = warp_error(*as_shown(stylized, original), args.flow, args.scene_cut)
    counted = sum(1 for p in pairs if not math.isnan(p))  # cuts and empty masks are left out
    left_out = f", {len(pairs) - counted} left out (scene cuts)" if counted < len(pairs) else ""
    print(NO_PAIRS if math.isnan(value) else
          f"E_warp {value:.6f} over {counted} frame pairs{left_out} ({args.flow} flow)")
    return 0


def start_backend(args: argparse.Namespace) -> None:
    """Pick the device (before the backend starts), then start the backend quietly."""
    from . import device
    from .backend import chosen_name

    chosen, where = chosen_name()  # keras.json may choose it too: the cache and messages follow Keras
    if chosen not in ("tensorflow", "jax"):
        raise UsageError(f"{where}={chosen}: vidstyle runs on tensorflow or jax")
    device.select(args.device)
    if chosen == "jax":
        from .jaxcache import keep_compiled_steps

        keep_compiled_steps()
    # The network's weights never change in a vidstyle process, so oneDNN may keep them in its
    # own layout: 0.73 against 0.64 of the matrix product's GFLOP/s at 256² (docs/BENCHMARKS.md).
    # Not set by the library: a program that also trains models must not get it by importing us.
    os.environ.setdefault("TF_ONEDNN_ASSUME_FROZEN_WEIGHTS", "1")
    if not args.debug:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from .backend import import_quietly
        from .signals import held

        try:
            with held():  # a Ctrl-C inside JAX's import was swallowed; it is delivered after it
                import_quietly()
        except ImportError as exc:
            raise VidstyleError(f"{where}={chosen}: cannot import it ({exc}); install it, or use the other "
                                "of tensorflow and jax") from None
    device.check(args.device)


def out_of_memory(options: StyleOptions, size: int, batch: int) -> VidstyleError:
    """Probe what fits (one step at a time) and name it in the error."""
    from .prepare import get_engine
    from .device import largest_fitting, step_fits
    from .errors import OutOfMemory
    from .vgg import min_long_side

    smallest = min_long_side(options.layers)
    hint = largest_fitting(step_fits(get_engine(options)), size, batch, smallest)
    return OutOfMemory(f"--size {size} with --batch {batch} does not fit in the device's memory; {hint}")


def main(argv: Sequence[str] | None = None) -> int:
    # ffmpeg is started by subprocess after JAX's threads are up, and JAX warns of os.fork; the
    # child runs ffmpeg at once and never JAX, so the warning's deadlock cannot happen here.
    warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
    args = parse(argv)
    from .progress import TqdmLogHandler

    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s", handlers=[TqdmLogHandler()],
    )
    # JAX's INFO lines ("Unable to initialize backend 'tpu'") printed on every run.
    logging.getLogger("jax").setLevel(logging.NOTSET if args.debug else logging.WARNING)
    if args.debug:  # libav's own messages about a damaged video (video.py silences them)
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "24")
    undo_stops = stop_once()  # from the start (the `vidstyle` command's entry already did it)
    try:
        commands = {"stylize": cmd_stylize, "info": cmd_info, "warp-error": cmd_warp_error}
        return commands[args.command](args)
    except VidstyleError as exc:
        return _fail(args, str(exc), exc.exit_code)
    except OSError as exc:
        # A file-system fault outside the checked writes (e.g. the disk filling up while a log
        # line is appended) is still one line, saying what to do where we know it.
        where = f"{exc.filename}: " if exc.filename else ""
        hint = "; free some space and run the same command again to resume" if exc.errno == errno.ENOSPC else ""
        return _fail(args, f"{where}{exc.strerror or exc}{hint}", 1)
    except KeyboardInterrupt as exc:  # vidstyle.errors.Interrupted says what was kept
        return _fail(args, str(exc) or "interrupted", 130)
    except MemoryError:
        return _fail(args, "out of memory; try a smaller --size", 1)
    finally:
        undo_stops()


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    """One `error:` line and the exit code; --debug adds the traceback but keeps the code."""
    if args.debug:
        traceback.print_exc()
    sys.stderr.write(f"{after_ctrl_c() if code == 130 else ''}error: {message}\n")
    return code
