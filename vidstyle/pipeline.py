"""Video and frame-folder orchestration: frames in → initialise → optimise → frames out.

Data flows one way: decode (background) → flow (background) → temporal inputs → optimise →
save the 8-bit frame (atomic) → ... → encode → report. Every frame is chained from the SAVED
8-bit previous frame, so a resumed run computes exactly what an uninterrupted one would.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from .config import StyleOptions, VideoOptions
from .device import resolve_precision
from .encode import VideoWriter
from .errors import IncompleteInputError, Interrupted, OutputError
from .finish import video_report, warp_errors, write_output
from .images import remove_stale_temps
from .jobs import Job, check_sizes, check_styles, plan
from .outputs import run_folders
from .optimize import Engine
from .prepare import ImageLike, as_list, blend_weights, get_engine, prepare_styles, working_size
from .preview import Preview
from .report import frame_entries, plot_losses, write_report
from .sequence import Progress, StyleAt, stylize_sequence
from .sidefiles import check_side_files
from .signals import stop_once
from .source import open_source
from .temporal import prefetch, source_frames
from .video import StreamInfo
from .workdir import WorkDir

log = logging.getLogger(__name__)


def _prepare(style_list: list[np.ndarray], style: StyleOptions,
             size: tuple[int, int]) -> tuple[Engine, StyleAt]:
    """The engine, and the style Grams at a working size: computed once for the run's size (before
    any work, so a failure leaves nothing behind) and once for each other size (a folder of
    images of several sizes scales the style to each, as an image run would)."""
    blend = blend_weights(style, len(style_list))
    engine = get_engine(style)

    @functools.cache
    def style_at(working: tuple[int, int]) -> list:
        return engine.style_targets(prepare_styles(style_list, working, style, None), blend)

    style_at(size)
    return engine, style_at


def iter_stylized_frames(input: str | os.PathLike, styles: ImageLike | Sequence[ImageLike],
                         **options: object) -> Iterator[tuple[int, np.ndarray]]:
    """Stylise a video or frame folder frame by frame: yields (source index, RGB uint8 frame).

    No work folder, resume or encoding: for programs that build on vidstyle.
    """
    style, video = _options(options)
    reader = open_source(Path(input), video)
    style_rgb = check_styles(as_list(styles), style)
    size = check_sizes(reader.info, style_rgb, style)
    engine, style_at = _prepare(style_rgb, style, size)
    frames = prefetch(source_frames(reader, size, video.long_term, video.flow, video.scene_cut,
                                    independent=video.independent, fit=_fit(reader.info, style)))
    preview = Preview(video.preview, video.preview_window, video.preview_every)
    for out, _ in stylize_sequence(frames, engine, style_at, style, video, {}, None, None, preview):
        yield out.source_index, out.image
    reader.check_complete()


def _options(options: dict) -> tuple[StyleOptions, VideoOptions]:
    """The API's keywords as the two option sets, the precision resolved (the report names what ran)."""
    style_kw, video_kw = VideoOptions.split_kwargs(options)
    return resolve_precision(StyleOptions.from_kwargs(**style_kw)), VideoOptions(**video_kw)


def _fit(info: StreamInfo, style: StyleOptions) -> Callable[[int, int], tuple[int, int]] | None:
    """Each image's own working size, for a folder of images of several sizes (--independent)."""
    return (lambda w, h: working_size(w, h, style.size)) if info.mixed_sizes else None


def stylize_video(
    input: str | os.PathLike,
    styles: ImageLike | Sequence[ImageLike],
    output: str | os.PathLike,
    *,
    progress: Progress | None = None,
    report_path: str | None = None,
    plot_path: str | None = None,
    **options,
) -> dict:
    """Stylise a video or frame folder into a video file or frame folder; returns the report.

    Resumable: finished frames are kept in the work folder, and the same call continues after
    the last one. Options are the CLI's by their Python names (StyleOptions and VideoOptions).
    """
    started = time.perf_counter()
    style, video = _options(options)
    return run_video(input, styles, output, style, video, progress=progress, report_path=report_path,
                     plot_path=plot_path, started=started)


def run_video(input: str | os.PathLike, styles: ImageLike | Sequence[ImageLike], output: str | os.PathLike,
              style: StyleOptions, video: VideoOptions, *, progress: Progress | None = None,
              report_path: str | None = None, plot_path: str | None = None, started: float | None = None) -> dict:
    """stylize_video with its options built (the command's way in); `started`: when the job began."""
    started = time.perf_counter() if started is None else started
    style = resolve_precision(style)
    style_list = as_list(styles)
    paths = [s for s in style_list if isinstance(s, (str, os.PathLike))]
    check_side_files({"--preview": video.preview, "--report": report_path, "--plot": plot_path},
                     [input, output, *paths], run_folders(Path(input), Path(output)))
    job = plan(Path(input), Path(output), style_list, style, video)
    # The network before the work folder: a weights error leaves nothing behind.
    engine, style_at = _prepare(job.style_rgb, style, job.size)
    job.work.lock()
    undo_stops = stop_once()
    try:
        if job.stale is not None:
            job.stale.lock()  # fails if a live run is writing it
            job.stale.remove()
        # What a kill -9 left beside the output (the lock makes those ours) and the side files.
        if job.to_video:
            VideoWriter.remove_leftovers(job.output)
        for side in (report_path, plot_path, video.preview):
            if side:
                remove_stale_temps(side)
        return _run(job, style_list, engine, style_at, style, video, progress, report_path, plot_path, started)
    finally:
        undo_stops()
        job.work.unlock()


def _run(job: Job, styles: Sequence[ImageLike], engine: Engine, style_at: StyleAt, style: StyleOptions, video: VideoOptions,
         progress: Progress | None, report_path: str | os.PathLike | None, plot_path: str | os.PathLike | None,
         started: float) -> dict:
    work = job.work
    manifest = work.prepare(job.settings, video.restart)
    done = _resume_point(work, manifest, video.batch)
    total = job.reader.expected
    if done:
        log.info("resuming after %d of %d finished frames in %s", done, total, work.folder)
    if progress:
        progress.begin(total, done)
    try:
        busy = _stylize_frames(job, engine, style_at, style, video, manifest, done, progress)
    except KeyboardInterrupt:
        _add_stopped_time(work, manifest, started)
        raise Interrupted(f"stopped after {work.finished()} of {total} frames, kept in {work.folder}; "
                          "run the same command again to resume") from None
    except Exception:
        _add_stopped_time(work, manifest, started)
        raise
    count = work.finished()
    # Read back rather than kept: a frame's entry holds its loss history (42 KB at 150 iterations,
    # 420 MB over 10,000 frames, held for the whole run).
    entries = work.load_entries(count)
    # Everything up to the output's last step (a rename) can be stopped: the run resumes with all
    # frames done and writes it. The report and plot come first, so an output never lacks them.
    pending = None
    try:
        tick = time.perf_counter()
        warp = warp_errors(job, video, count, _stage(progress, "E_warp", max(count - 1, 0), "pair"))
        measuring = time.perf_counter() - tick
        writes = job.to_video or video.output_size == "original"  # else the frames are the output
        label = "encoding" if job.to_video else "writing frames"
        pending = write_output(job, video, count, _stage(progress, label, count, "frame") if writes else _nothing)
        wall = time.perf_counter() - started - measuring  # the job's time; E_warp is a measurement of it
        report = video_report(job, styles, style, video, manifest["state"], entries, busy, wall, warp)
        if report_path:
            write_report(report_path, report)
        if plot_path:
            plot_losses(plot_path, report)
        pending.commit()
    except BaseException as exc:
        if pending is not None:
            pending.abort()
        _add_stopped_time(work, manifest, started)
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(f"stopped with all {count} frames done, kept in {work.folder}, before the output "
                              "was written; run the same command again to write it") from None
        raise
    manifest["state"]["complete"] = True
    if (job.to_video or video.output_size == "original") and not video.keep_frames:
        work.remove()
    else:
        work.write_manifest(manifest)  # the output folder itself, or kept: marked complete
    try:
        job.reader.check_complete()  # exit 3 after writing what could be decoded
    except IncompleteInputError as exc:
        raise IncompleteInputError(f"{exc}; the {count} frames decoded are stylised and written to {job.output}") \
            from None
    return report


def _nothing() -> None:
    pass


def _stage(progress: Progress | None, label: str, total: int, unit: str) -> Callable[[], None]:
    """Show a step after the frames as a bar of its own; returns what advances it. A program's
    progress object written before stage() and step() existed has none: nothing is shown."""
    stage, step = getattr(progress, "stage", None), getattr(progress, "step", None)
    if stage is None or step is None:
        return _nothing
    stage(label, total, unit)
    return step


def _add_stopped_time(work: WorkDir, manifest: dict, started: float) -> None:
    """A stopped or failed run's time adds up in the manifest (not a kill -9's), for the report's
    total. Best effort: a full disk that failed the run must not hide its error behind this one."""
    state = manifest["state"]
    state["seconds_before"] = state.get("seconds_before", 0.0) + time.perf_counter() - started
    try:
        work.write_manifest(manifest)
    except (OSError, OutputError):
        pass


def _resume_point(work: WorkDir, manifest: dict, batch: int) -> int:
    """The first frame to optimise: after the finished ones, at a window's start with --batch."""
    state = manifest["state"]
    done = work.finished()
    if batch > 1:
        # A window's frames come from one joint optimisation: a run stopped between saving two of
        # them resumes at the window's start, so windows group as in an uninterrupted run.
        if "windows_done" in state:
            done = min(done, state["windows_done"])
        elif done == 0:
            state["windows_done"] = 0
            work.write_manifest(manifest)
        # else: a run by a version that did not record windows; it resumes where its frames end
    return done


def _stylize_frames(job: Job, engine: Engine, style_at: StyleAt, style: StyleOptions, video: VideoOptions,
                    manifest: dict, done: int, progress: Progress | None) -> float:
    """Optimise the frames from `done` on, saving each and its report entry as it is finished;
    returns the seconds spent inside the compiled steps."""
    work, state = job.work, manifest["state"]
    reach = max(video.long_term)
    history = {p: work.load(p) for p in range(max(0, done - reach), done)}
    work.load_entries(done)  # an interrupted run's entry for a frame it did not save is dropped
    preview = Preview(video.preview, video.preview_window, video.preview_every)
    frames = prefetch(source_frames(job.reader, job.size, video.long_term, video.flow, video.scene_cut, done,
                                    video.independent, _fit(job.info, style)))
    busy = 0.0
    for out, delta in stylize_sequence(frames, engine, style_at, style, video, history,
                                       state.get("delta"), progress, preview):
        if delta is not None and state.get("delta") != delta:
            state["delta"] = delta  # recorded before the frame, so a resumed run reuses it
            work.write_manifest(manifest)
        if out.slot == 0:
            busy += out.result.step_seconds
        entry = frame_entries(out.result, out.position - out.slot, out.seconds)[out.slot]
        entry |= {"source_index": out.source_index, "cut": out.cut}
        if job.info.mixed_sizes:
            entry["size"] = [out.image.shape[1], out.image.shape[0]]
        if video.batch > 1 and not video.independent:
            # The total weighs this frame's temporal term by δ times this (docs/BATCH.md).
            entry["temporal_stiffness"] = out.window_size - out.slot
        # The entry before the frame: a frame is finished once saved, and a stop between the two
        # leaves an entry that load_entries drops (after the save, it left a frame with none).
        work.append_entry(entry)
        work.save(out.position, out.image)
        if video.batch > 1 and out.slot == out.window_size - 1:  # the window is complete
            state["windows_done"] = out.position + 1
            work.write_manifest(manifest)
        if progress:
            progress.frame_done(out.position, out.seconds)
    return busy
