"""What a video job does after its last frame: E_warp, the output (written but not yet in
place), and the report. pipeline.py commits the output once the report and plot are written."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import backend
from .config import StyleOptions, VideoOptions
from .encode import VideoWriter
from .images import resize
from .jobs import Job, style_name
from .prepare import ImageLike
from .report import REPORT_VERSION, config_dict
from .stability import mean_counted, pair_errors
from .workdir import ENTRIES, WorkDir, new_manifest


def video_report(job: Job, styles: Sequence[ImageLike], style: StyleOptions, video: VideoOptions, state: dict,
                 entries: list[dict], busy: float, wall: float, warp: dict) -> dict:
    """The run's report (docs/REPORT.md)."""
    return {
        "version": REPORT_VERSION,
        "input": str(job.info.path),
        "output": str(job.output),
        "size": list(job.size),
        "weights": style.weights,
        "backend": backend.name(),
        "config": config_dict(style) | config_dict(video) | {"style": [style_name(s) for s in styles]},
        "frames": entries,
        "fps": str(job.fps_out),
        "temporal_delta": state.get("delta"),
        "seconds": wall,  # this run's; with the interrupted runs before it:
        "seconds_all_runs": wall + state.get("seconds_before", 0.0),
        "busy": busy / wall if wall else None,
        "warp_error": warp,
    }


class PendingOutput:
    """An output written but not yet in place: commit() puts it there (a rename, or the manifest
    that marks a folder complete); abort() removes what commit() would have placed."""

    def __init__(self, commit: Callable[[], object] = lambda: None, abort: Callable[[], object] = lambda: None):
        self.commit, self.abort = commit, abort


def write_output(job: Job, video: VideoOptions, count: int, step: Callable[[], object] = lambda: None) -> PendingOutput:
    """Write the output (video, or frames at the original size) up to its last step; `step()`
    after each of the run's frames."""
    original = (job.info.width, job.info.height)

    def load(position: int) -> np.ndarray:
        frame = job.work.load(position)
        step()
        return frame

    frames = (load(p) for p in range(count))
    if video.output_size == "original" and job.info.mixed_sizes:
        sources = (f for _, f in job.reader)  # each image back to its own size
        frames = (resize(f, s.shape[1], s.shape[0]) for f, s in zip(frames, sources))
    elif video.output_size == "original":
        frames = (resize(f, *original) for f in frames)
    if job.to_video:
        shown = count
        if job.repeats is not None:  # a variable-rate input, at a steady rate: each frame from its own time
            frames = (frame for frame, n in zip(frames, job.repeats) for _ in range(n))
            shown = sum(job.repeats[:count])
        writer = VideoWriter(job.output, job.fps_out, codec=video.codec, crf=video.crf, audio_from=job.audio_from,
                             audio_start=job.audio_start, audio_duration=float(shown / job.fps_out))
        try:
            for frame in frames:
                writer.write(frame)
            writer.finish()  # the video is complete in a temporary file beside the output
        except BaseException:
            writer.abort()
            raise
        return PendingOutput(writer.commit, writer.abort)
    if video.output_size == "original":
        job.output.mkdir(exist_ok=True)
        out = WorkDir(job.output, job.names)
        out.clear()  # an earlier run's frames (plan() required --overwrite for them)
        (job.output / ENTRIES).unlink(missing_ok=True)
        # The manifest, as a working-size output folder has, says which files are ours to replace,
        # and while it says "writing", a rerun rewrites them (a stop here left some behind).
        manifest = new_manifest(job.settings, job.names, writing=True)
        out.write_manifest(manifest)
        for position, frame in enumerate(frames):
            out.save(position, frame)
        return PendingOutput(lambda: out.write_manifest(manifest | {"state": {"complete": True}}))
    return PendingOutput()  # working-size frames: the work folder is the output


def warp_errors(job: Job, video: VideoOptions, count: int, step: Callable[[], object] = lambda: None) -> dict:
    """E_warp (METHOD.md 5) of the output and of the original frames at the working size, in one
    pass along one flow per pair; `step()` after each pair."""
    if job.info.mixed_sizes:  # unrelated images: no flow between them
        nan = float("nan")
        return {"output": nan, "original": nan, "pairs": [], "original_pairs": [],
                "skipped": "images of several sizes"}
    def originals():
        for k, (_, frame) in enumerate(job.reader):
            if k >= count:
                return
            yield resize(frame, *job.size)

    out = (job.work.load(p) for p in range(count))
    pairs: list[float] = []
    floor_pairs: list[float] = []
    # The pairs the run treated as cuts (--scene-cut) are the ones left out.
    for output, original in pair_errors(out, originals(), video.flow, video.scene_cut):
        pairs.append(output)
        floor_pairs.append(original)
        step()
    return {"output": mean_counted(pairs), "original": mean_counted(floor_pairs), "pairs": pairs,
            "original_pairs": floor_pairs}
