"""Video runs end to end on tiny clips: round trips, resume, scene cuts, the temporal term."""

from __future__ import annotations

import json
import os
import signal
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import vidstyle
from vidstyle import backend
from vidstyle.api import get_engine
from vidstyle.config import StyleOptions
from vidstyle.errors import InputError, Interrupted, OutputError, UsageError
from vidstyle.flow import FlowPair
from vidstyle.images import read_image
from vidstyle.temporal import SourceFrame, temporal_inputs
from vidstyle.ffmpeg import audio_duration
from vidstyle.folders import list_frames
from vidstyle.video import iter_frames, probe
from vidstyle.workdir import MANIFEST
from clips import NTSC, make_frames, write_clip, write_frame, write_wav
from conftest import smooth_image

FAST = dict(weights="random", iterations=4, frame_iterations=2, tol=0.0)


@pytest.fixture(scope="module")
def style_png(tmp_path_factory) -> Path:
    from vidstyle.images import write_image

    path = tmp_path_factory.mktemp("style") / "style.png"
    write_image(path, smooth_image(np.random.default_rng(1), 48, 48).astype(np.uint8))
    return path


@pytest.mark.parametrize("fps,sound", [(Fraction(10), True), (NTSC, True), (Fraction(25), False)])
def test_round_trip_keeps_frames_rate_and_sound(tmp_path, style_png, fps, sound):
    wav = write_wav(tmp_path / "tone.wav", 2.0) if sound else None
    clip = write_clip(tmp_path / "in.mp4", make_frames(6, 64, 48), fps, audio_from=wav)
    report = vidstyle.stylize_video(clip, style_png, tmp_path / "out.mp4", **FAST)
    src, out = probe(clip), probe(tmp_path / "out.mp4")
    assert (out.frame_count, out.fps, out.has_audio) == (src.frame_count, src.fps, sound)
    if sound:
        assert abs(audio_duration(tmp_path / "out.mp4") - audio_duration(clip)) <= float(1 / fps) + 0.03
    assert len(report["frames"]) == 6 and report["warp_error"]["output"] >= 0
    assert not (tmp_path / "out.mp4.vidstyle").exists()  # work folder removed once complete


def test_round_trip_with_an_audio_track_gives_a_silent_video_that_sound(tmp_path, style_png):
    wav = write_wav(tmp_path / "tone.wav", 2.0)
    clip = write_clip(tmp_path / "in.mp4", make_frames(5, 64, 48), Fraction(10))
    assert not probe(clip).has_audio
    vidstyle.stylize_video(clip, style_png, tmp_path / "out.mp4", audio=str(wav), **FAST)
    assert probe(tmp_path / "out.mp4").has_audio
    assert audio_duration(tmp_path / "out.mp4") == pytest.approx(0.5, abs=0.1)  # cut to the 5 frames


def test_every_keeps_the_sound_in_step(tmp_path, style_png):
    # Every 2nd frame at half the rate lasts as long as the input: the sound stays (it was dropped).
    wav = write_wav(tmp_path / "tone.wav", 2.0)
    clip = write_clip(tmp_path / "in.mp4", make_frames(8, 64, 48), Fraction(10), audio_from=wav)
    vidstyle.stylize_video(clip, style_png, tmp_path / "out.mp4", every=2, **FAST)
    out = probe(tmp_path / "out.mp4")
    assert (out.frame_count, out.fps, out.has_audio) == (4, 5, True)
    assert audio_duration(tmp_path / "out.mp4") == pytest.approx(0.8, abs=0.1)


def test_sound_that_starts_before_the_picture_stays_in_step(tmp_path, style_png):
    """A file whose sound starts 0.3 s before its first frame (a camcorder's .mts, a cut .mkv):
    the output's sound began at the sound's own start, 0.3 s late against the picture."""
    import subprocess

    from vidstyle.ffmpeg import ffmpeg_exe

    wav = write_wav(tmp_path / "tone.wav", 1.0, rate=48000, silent=0.3)  # the tone starts with the picture
    video = write_clip(tmp_path / "v.mp4", make_frames(8, 64, 48), Fraction(10))
    clip = tmp_path / "early.mkv"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-itsoffset", "0.3", "-i", str(video), "-i", str(wav),
                    "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(clip)], check=True)
    # From the file's start: ffmpeg 7.0 counts the AAC priming (1024 samples, 21 ms) into it, later
    # versions do not; the output's sound is cut from that same start, so both stay in step.
    assert probe(clip).video_start == pytest.approx(0.3, abs=0.03)
    vidstyle.stylize_video(clip, style_png, tmp_path / "out.mp4", **FAST)
    pcm = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "out.mp4"), "-map", "0:a", "-ac", "1",
                          "-af", "aresample=8000:async=1:first_pts=0",  # a late stream's start, as silence
                          "-f", "s16le", "-"], check=True, capture_output=True).stdout
    sound = np.abs(np.frombuffer(pcm, np.int16).astype(float))
    onset = np.argmax(sound > 0.3 * sound.max()) / 8000
    assert onset < 0.05  # the tone from the first frame on; 0.3 s late before


def test_a_variable_rate_video_keeps_its_sound_in_step(tmp_path, style_png, capsys):
    """12 fps, then 6 fps: each frame is shown from its own time at a steady 12 fps (the 6 fps
    frames twice), so the picture stays with the sound; warp-error reads the output back."""
    import subprocess

    from vidstyle.cli import main
    from vidstyle.ffmpeg import ffmpeg_exe

    wav = write_wav(tmp_path / "tone.wav", 1.0)
    clip = tmp_path / "vfr.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=12:duration=1",
                    "-i", str(wav), "-vf", "select='lt(n,6)+not(mod(n,2))'", "-fps_mode", "vfr", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip)], check=True, capture_output=True)
    source = probe(clip)  # the last frame's duration is the muxer's guess: 1/12 s
    assert source.variable_rate and source.frame_count == 9 and source.duration == pytest.approx(11 / 12)
    # Lossless (crf 0): a repeat then decodes as an identical frame; at the default crf, x264's noise
    # on a repeat and its skipped blocks on this clip's small motion overlapped (JAX, ffmpeg 7.0).
    report = vidstyle.stylize_video(clip, style_png, tmp_path / "out.mp4", **FAST, crf=0)
    out = probe(tmp_path / "out.mp4")
    assert (out.frame_count, out.fps, out.variable_rate, len(report["frames"])) == (11, 12, False, 9)
    assert audio_duration(tmp_path / "out.mp4") == pytest.approx(11 / 12, abs=0.03)  # as long as the picture
    shown = [f.astype(float) for _, f in iter_frames(tmp_path / "out.mp4")]
    change = [np.abs(b - a).mean() for a, b in zip(shown, shown[1:])]  # frame k to k + 1
    held = change[6], change[8]  # the 6 fps frames 6 and 7, each shown twice: at 6-7 and 8-9
    assert max(held) == 0 and min(change[:6] + [change[7], change[9]]) > 0.5
    assert main(["warp-error", str(clip), str(tmp_path / "out.mp4")]) == 0
    assert "over 8 frame pairs" in capsys.readouterr().out  # each frame once, not "differ in length"


@pytest.mark.parametrize("given", ["own", "same file spelt otherwise", "track for a folder"])
def test_sound_starts_at_start_whatever_its_source(tmp_path, style_png, monkeypatch, given):
    # The sound runs from the input's first frame, so --start cuts it: for the video's own track,
    # for the same file given to --audio by another path (it was not cut then), and for a
    # folder's track.
    wav = write_wav(tmp_path / "tone.wav", 2.0)
    frames = make_frames(6, 64, 48)
    clip = write_clip(tmp_path / "in.mp4", frames, Fraction(10), audio_from=wav)
    seen = {}

    class Writer:
        def __init__(self, path, fps, **kwargs):
            seen.update(kwargs)

        def write(self, frame):
            pass

        def finish(self):
            pass

        def commit(self):
            pass

        def abort(self):
            pass

    monkeypatch.setattr("vidstyle.finish.VideoWriter", Writer)
    source, extra = clip, {}
    if given == "same file spelt otherwise":
        monkeypatch.chdir(tmp_path)
        extra = {"audio": "./in.mp4"}
    elif given == "track for a folder":

        source = tmp_path / "frames"
        source.mkdir()
        for i, frame in enumerate(frames):
            write_frame(source, i, frame)
        extra = {"audio": str(wav), "fps": 10}
    vidstyle.stylize_video(source, style_png, tmp_path / "out.mp4", start=2, **extra, **FAST)
    assert seen["audio_start"] == pytest.approx(0.2) and seen["audio_duration"] == pytest.approx(0.4)


def test_an_audio_track_without_sound_is_refused_before_work(tmp_path, style_png):
    clip = write_clip(tmp_path / "in.mp4", make_frames(3, 64, 48), Fraction(10))
    notes = tmp_path / "notes.txt"
    notes.write_text("not a sound")
    for track in (clip, notes):
        with pytest.raises(UsageError, match="holds no sound"):
            vidstyle.stylize_video(clip, style_png, tmp_path / "out.mp4", audio=str(track), **FAST)
    assert not (tmp_path / "out.mp4.vidstyle").exists()


def test_frames_folder_in_and_out_with_every(tmp_path, style_png):
    folder = tmp_path / "frames"
    folder.mkdir()

    for i, frame in enumerate(make_frames(7, 64, 48)):
        write_frame(folder, i, frame)
    report = vidstyle.stylize_video(folder, style_png, tmp_path / "out", every=2, **FAST)
    assert [f["source_index"] for f in report["frames"]] == [0, 2, 4, 6]
    assert len(list_frames(tmp_path / "out")) == 4
    with pytest.raises(OutputError, match="overwrite"):
        vidstyle.stylize_video(folder, style_png, tmp_path / "out", every=2, **FAST)
    vidstyle.stylize_video(folder, style_png, tmp_path / "out", every=2, overwrite=True, **FAST)


class StopAfter:
    """A progress sink that interrupts the run like Ctrl-C once `n` frames are done."""

    def __init__(self, n: int):
        self.n = n

    def begin(self, total, finished): ...
    def frame_start(self, position, iterations, frames): ...
    def iteration(self, iteration, terms, image): ...

    def frame_done(self, position, seconds):
        if position + 1 >= self.n:
            raise KeyboardInterrupt


class SwallowedStop(StopAfter):
    """A Ctrl-C whose KeyboardInterrupt a library swallows (as Python does inside JAX's
    garbage-collector hook), at the second iteration of the second frame."""

    def __init__(self):
        super().__init__(10**9)
        self.frame = -1

    def frame_start(self, position, iterations, frames):
        self.frame = position

    def iteration(self, iteration, terms, image):
        if (self.frame, iteration) == (1, 1):
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.1)  # the handler runs here, and its KeyboardInterrupt is lost
            except KeyboardInterrupt:
                pass


def test_a_swallowed_stop_is_raised_at_the_next_iteration(tmp_path, style_png, ctrl_c):
    """The stop's flag made the run ignore every later Ctrl-C, so a swallowed one left it deaf."""
    clip = write_clip(tmp_path / "in.mp4", make_frames(4, 64, 48), 10)
    with pytest.raises(Interrupted, match="stopped after 1 of 4 frames"):
        vidstyle.stylize_video(clip, style_png, tmp_path / "out", progress=SwallowedStop(), **FAST)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back


def test_a_failed_runs_time_counts_in_the_next_ones_total(tmp_path, style_png):
    """seconds_all_runs added only the runs stopped by Ctrl-C or SIGTERM: a run that failed (here
    its progress object, as a crash or a full disk might) lost its time (the API audit)."""
    class Fails(StopAfter):
        def frame_done(self, position, seconds):
            if position + 1 >= self.n:
                raise RuntimeError("a program's own failure")

    clip = write_clip(tmp_path / "in.mp4", make_frames(4, 64, 48), 10)
    with pytest.raises(RuntimeError):
        vidstyle.stylize_video(clip, style_png, tmp_path / "out", progress=Fails(2), **FAST)
    report = vidstyle.stylize_video(clip, style_png, tmp_path / "out", **FAST)
    assert report["seconds_all_runs"] > report["seconds"] + 0.1


@pytest.mark.parametrize("batch", [1, 2])
def test_resumed_run_equals_uninterrupted_run(tmp_path, style_png, batch):
    clip = write_clip(tmp_path / "in.mp4", make_frames(6, 64, 48), 10)
    fast = FAST | {"batch": batch}  # batch 2: windows [0] [1 2] [3 4] [5], stopped after [1 2]
    whole = vidstyle.stylize_video(clip, style_png, tmp_path / "whole", **fast)
    with pytest.raises(Interrupted, match="run the same command again"):
        vidstyle.stylize_video(clip, style_png, tmp_path / "parts", progress=StopAfter(3), **fast)
    kept = {p: p.stat().st_mtime_ns for p in (tmp_path / "parts").glob("frame_*.png")}
    assert len(kept) == 3
    with pytest.raises(UsageError, match="--restart"):
        vidstyle.stylize_video(clip, style_png, tmp_path / "parts", **(fast | {"frame_iterations": 3}))
    preview = tmp_path / "preview.jpg"
    resumed = vidstyle.stylize_video(clip, style_png, tmp_path / "parts", preview=str(preview), **fast)
    assert preview.stat().st_size > 0  # the preview works with windows too
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())  # no finished frame redone
    a, b = list_frames(tmp_path / "whole"), list_frames(tmp_path / "parts")
    assert len(a) == len(b) == 6 and len(resumed["frames"]) == 6
    assert resumed["seconds_all_runs"] > resumed["seconds"] > 0  # the interrupted run's time counts too
    from vidstyle.images import read_image

    diff = np.mean([np.abs(read_image(x).astype(float) - read_image(y)).mean() for x, y in zip(a, b)])
    assert diff <= 1.0, diff  # METHOD: at most 1/255 on average
    assert whole["warp_error"]["output"] == pytest.approx(resumed["warp_error"]["output"], rel=0.05)


def test_frame_folder_runs_at_both_output_sizes_never_clobber_each_other(tmp_path, style_png):
    # Working-size frames are written in place (the output is the work folder); with
    # --output-size original the work folder is out.vidstyle/ and the frames come at the end.
    clip = write_clip(tmp_path / "in.mp4", make_frames(4, 64, 48), 10)
    fast = FAST | {"size": 32}
    out = tmp_path / "out"
    vidstyle.stylize_video(clip, style_png, out, **fast)
    with pytest.raises(OutputError, match="holds finished frames"):  # it overwrote half of them
        vidstyle.stylize_video(clip, style_png, out, output_size="original", end=2, **fast)
    vidstyle.stylize_video(clip, style_png, out, output_size="original", end=2, overwrite=True, **fast)
    shapes = [read_image(p).shape for p in list_frames(out)]
    assert shapes == [(48, 64, 3)] * 2  # no stale frame of the earlier, longer run
    # An interrupted run of either kind is not silently started over by the other kind.
    half = tmp_path / "half"
    with pytest.raises(Interrupted):
        vidstyle.stylize_video(clip, style_png, half, progress=StopAfter(2), **fast)
    with pytest.raises(OutputError, match="interrupted run at the working size"):
        vidstyle.stylize_video(clip, style_png, half, output_size="original", **fast)
    other = tmp_path / "other"
    with pytest.raises(Interrupted):
        vidstyle.stylize_video(clip, style_png, other, progress=StopAfter(2), output_size="original", **fast)
    with pytest.raises(UsageError, match="interrupted --output-size original run"):
        vidstyle.stylize_video(clip, style_png, other, **fast)
    vidstyle.stylize_video(clip, style_png, other, output_size="original", **fast)  # resumes
    assert [read_image(p).shape for p in list_frames(other)] == [(48, 64, 3)] * 4


def test_run_stopped_inside_a_window_resumes_at_its_start(tmp_path, style_png):
    # batch 3: windows [0] [1 2 3] [4]. Stopped after frame 1 of [1 2 3] was saved (a kill
    # between two saves), the resumed run redoes the whole window: the frames equal an
    # uninterrupted run's. Regrouped from frame 2 as [2 3 4], they differed by up to 10 levels.
    clip = write_clip(tmp_path / "in.mp4", make_frames(5, 64, 48), 10)
    fast = FAST | {"batch": 3}
    vidstyle.stylize_video(clip, style_png, tmp_path / "whole", **fast)
    with pytest.raises(Interrupted):
        vidstyle.stylize_video(clip, style_png, tmp_path / "parts", progress=StopAfter(2), **fast)
    assert len(list((tmp_path / "parts").glob("frame_*.png"))) == 2
    vidstyle.stylize_video(clip, style_png, tmp_path / "parts", **fast)
    for a, b in zip(list_frames(tmp_path / "whole"), list_frames(tmp_path / "parts"), strict=True):
        np.testing.assert_array_equal(read_image(a), read_image(b))


def test_a_changed_input_is_not_resumed(tmp_path, style_png):
    clip = write_clip(tmp_path / "in.mp4", make_frames(4, 64, 48), 10)
    with pytest.raises(Interrupted):
        vidstyle.stylize_video(clip, style_png, tmp_path / "out", progress=StopAfter(2), **FAST)
    write_clip(clip, make_frames(4, 64, 48, seed=3), 10)  # re-exported: same name, length and size
    with pytest.raises(UsageError, match="the input's content.*--restart"):
        vidstyle.stylize_video(clip, style_png, tmp_path / "out", **FAST)


@pytest.mark.parametrize("text", ["[]", "{}", '{"settings": {}, "state": null}', "not json"])
def test_a_manifest_of_another_shape_starts_afresh_but_never_wipes_frames(tmp_path, style_png, text):
    """A damaged manifest (hand-edited, another program's) is unreadable: the video's work folder
    starts afresh (it raised a traceback), and frames in an output folder are kept unless --overwrite."""
    clip = write_clip(tmp_path / "in.mp4", make_frames(2, 64, 48), 10)
    out = tmp_path / "out.mp4"
    with pytest.raises(Interrupted):
        vidstyle.stylize_video(clip, style_png, out, progress=StopAfter(1), **FAST)
    (tmp_path / "out.mp4.vidstyle" / MANIFEST).write_text(text)
    report = vidstyle.stylize_video(clip, style_png, out, **FAST)
    assert len(report["frames"]) == 2 and out.is_file()
    frames = tmp_path / "frames"
    vidstyle.stylize_video(clip, style_png, frames, **FAST)
    (frames / MANIFEST).write_text(text)
    with pytest.raises(OutputError, match="frame_000000.png, named like this run's frames but with no record"):
        vidstyle.stylize_video(clip, style_png, frames, **FAST)
    assert len(list_frames(frames)) == 2


def test_warp_error_leaves_out_the_pairs_the_run_cut(tmp_path, style_png):
    """E_warp's cut pairs follow --scene-cut, as the run's own cuts do (it always used 0.1)."""
    frames = make_frames(3, 64, 48, seed=0) + make_frames(2, 64, 48, seed=7)  # a cut before frame 3
    clip = write_clip(tmp_path / "in.mp4", frames, 10)
    cut = vidstyle.stylize_video(clip, style_png, tmp_path / "a", **FAST)
    kept = vidstyle.stylize_video(clip, style_png, tmp_path / "b", scene_cut=0.0, **FAST)
    assert [f["cut"] for f in cut["frames"]] == [True, False, False, True, False]
    assert [f["cut"] for f in kept["frames"]] == [True, False, False, False, False]
    assert [p is None or p != p for p in cut["warp_error"]["pairs"]] == [False, False, True, False]
    assert all(p == p for p in kept["warp_error"]["pairs"])  # no NaN: every pair counted


def test_a_folder_of_images_out_to_a_folder_keeps_their_names(tmp_path, style_png):
    """Photos keep their names as PNG (they were numbered frame_NNNNNN.png): through a stop and a
    resume, at the original size, and never over a file of that name that no run of ours wrote."""
    from vidstyle.images import write_image

    photos = tmp_path / "photos"
    photos.mkdir()
    for name, frame in zip(["beach.jpg", "cat.png", "dog.bmp"], make_frames(3, 64, 48)):
        write_image(photos / name, frame)
    run = FAST | {"independent": True}
    out = tmp_path / "out"

    def pngs(folder):
        return sorted(p.name for p in folder.glob("*.png"))

    with pytest.raises(Interrupted):
        vidstyle.stylize_video(photos, style_png, out, progress=StopAfter(2), **run)
    assert pngs(out) == ["beach.png", "cat.png"]
    others = tmp_path / "others"  # another folder into the stopped run's output: refused, as before names
    others.mkdir()
    write_image(others / "dune.png", make_frames(1, 64, 48)[0])
    with pytest.raises(UsageError, match="--restart"):
        vidstyle.stylize_video(others, style_png, out, **run)
    write_image(out / "dune.png", make_frames(1, 64, 48)[0])  # the user's own file of a name that run writes
    with pytest.raises(OutputError, match="dune.png, which no vidstyle run wrote"):
        vidstyle.stylize_video(others, style_png, out, restart=True, **run)
    (out / "dune.png").unlink()
    kept = (out / "cat.png").stat().st_mtime_ns
    vidstyle.stylize_video(photos, style_png, out, **run)  # resumed
    assert pngs(out) == ["beach.png", "cat.png", "dog.png"] and (out / "cat.png").stat().st_mtime_ns == kept
    vidstyle.stylize_video(photos, style_png, out, end=1, overwrite=True, **run)
    assert pngs(out) == ["beach.png"]  # the longer run's files went with it
    original = tmp_path / "original"
    vidstyle.stylize_video(photos, style_png, original, output_size="original", size=32, **run)
    assert pngs(original) == ["beach.png", "cat.png", "dog.png"]
    assert read_image(original / "dog.png").shape == (48, 64, 3)
    mine = tmp_path / "mine"
    mine.mkdir()
    write_image(mine / "cat.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(OutputError, match="--overwrite"):
        vidstyle.stylize_video(photos, style_png, mine, **run)
    assert read_image(mine / "cat.png").shape == (8, 8, 3)
    shoot = tmp_path / "shoot"  # a folder of the user's numbered frames: a named run leaves them be
    shoot.mkdir()
    write_image(shoot / "frame_000001.png", np.zeros((8, 8, 3), np.uint8))
    vidstyle.stylize_video(photos, style_png, shoot, end=1, **run)
    vidstyle.stylize_video(photos, style_png, shoot, end=1, overwrite=True, **run)
    assert pngs(shoot) == ["beach.png", "frame_000001.png"]
    prior = tmp_path / "prior"  # a finished numbered run's frames are still refused unasked
    vidstyle.stylize_video(write_clip(tmp_path / "in.mp4", make_frames(2, 64, 48), 10), style_png, prior, **FAST)
    for size in ("working", "original"):
        with pytest.raises(OutputError, match="--overwrite"):
            vidstyle.stylize_video(photos, style_png, prior, output_size=size, **run)
    assert pngs(prior) == ["frame_000000.png", "frame_000001.png"]
    write_image(photos / "cat.jpg", make_frames(1, 64, 48)[0])  # cat.jpg and cat.png: one name
    vidstyle.stylize_video(photos, style_png, tmp_path / "numbered", **run)
    assert pngs(tmp_path / "numbered") == [f"frame_{k:06d}.png" for k in range(4)]


def test_a_stop_as_the_output_is_written_never_leaves_it_without_its_report(tmp_path, style_png, monkeypatch):
    """The report comes before the output's rename: stopped just before it, the rerun writes both;
    stopped just after (the work folder not yet removed), the output and report are whole, and the
    rerun says what is left. Temporary files a kill -9 left beside them are removed by the next run."""
    from vidstyle.encode import VideoWriter
    from vidstyle.workdir import WorkDir

    clip = write_clip(tmp_path / "in.mp4", make_frames(3, 64, 48), 10)
    out, report = tmp_path / "out.mp4", tmp_path / "run.json"
    leftovers = [tmp_path / ".out.ab12cd34.video.mp4", tmp_path / ".run.json.ab12cd34.tmp"]
    foreign = tmp_path / ".out.v2.ab12cd34.video.mp4"  # out.v2.mp4's, which another run may be writing
    for path in [*leftovers, foreign]:
        path.write_bytes(b"left by a kill -9")
        os.utime(path, (time.time() - 3600, time.time() - 3600))  # a side file's is removed once it is old
    real_commit = VideoWriter.commit

    def stop(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(VideoWriter, "commit", stop)
    with pytest.raises(Interrupted, match="before the output was written"):
        vidstyle.stylize_video(clip, style_png, out, report_path=report, **FAST)
    assert not out.exists() and not any(p.exists() for p in leftovers) and foreign.exists()
    assert list(tmp_path.glob(".out.*.video.mp4")) == [foreign]  # the stopped run's own video is gone too
    monkeypatch.setattr(VideoWriter, "commit", real_commit)
    monkeypatch.setattr(WorkDir, "remove", stop)  # stopped after the rename
    with pytest.raises(KeyboardInterrupt):
        vidstyle.stylize_video(clip, style_png, out, report_path=report, **FAST)
    assert out.is_file() and len(json.loads(report.read_text())["frames"]) == 3
    times = json.loads(report.read_text())
    assert times["seconds_all_runs"] > times["seconds"] + 0.1  # the run stopped at the end counts too
    with pytest.raises(OutputError, match="left by a run stopped just after writing it"):
        vidstyle.stylize_video(clip, style_png, out, report_path=report, **FAST)
    monkeypatch.undo()
    vidstyle.stylize_video(clip, style_png, out, overwrite=True, keep_frames=True, **FAST)
    with pytest.raises(OutputError, match=r"exists; pass --overwrite to replace it$"):  # kept, not "stopped"
        vidstyle.stylize_video(clip, style_png, out, **FAST)


def test_report_entries_survive_a_stop_between_entry_and_frame(tmp_path, style_png, monkeypatch):
    from vidstyle.workdir import WorkDir

    clip = write_clip(tmp_path / "in.mp4", make_frames(4, 64, 48), 10)
    real_save = WorkDir.save

    def save(self, position, frame):
        if position == 2:
            raise KeyboardInterrupt  # the entry of frame 2 is written, the frame is not
        real_save(self, position, frame)

    monkeypatch.setattr(WorkDir, "save", save)
    with pytest.raises(Interrupted):
        vidstyle.stylize_video(clip, style_png, tmp_path / "out", **FAST)
    monkeypatch.setattr(WorkDir, "save", real_save)
    done = vidstyle.stylize_video(clip, style_png, tmp_path / "out", **FAST)
    assert [f["index"] for f in done["frames"]] == [0, 1, 2, 3]


def test_a_stop_while_original_size_frames_are_written_is_finished_by_the_rerun(tmp_path, style_png, monkeypatch):
    from vidstyle.workdir import WorkDir

    clip = write_clip(tmp_path / "in.mp4", make_frames(4, 64, 48), 10)
    out = tmp_path / "frames"
    real_save = WorkDir.save

    def save(self, position, frame):
        if self.folder == out and position == 2:
            raise KeyboardInterrupt  # two of four frames at the original size are out
        real_save(self, position, frame)

    monkeypatch.setattr(WorkDir, "save", save)
    with pytest.raises(Interrupted):
        vidstyle.stylize_video(clip, style_png, out, output_size="original", size=32, **FAST)
    monkeypatch.setattr(WorkDir, "save", real_save)
    vidstyle.stylize_video(clip, style_png, out, output_size="original", size=32, **FAST)  # "holds finished frames"
    assert [read_image(p).shape for p in list_frames(out)] == [(48, 64, 3)] * 4


def test_frames_into_the_current_folder(tmp_path, style_png, monkeypatch):
    clip = write_clip(tmp_path / "in.mp4", make_frames(2, 64, 48), 10)
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    vidstyle.stylize_video(clip, style_png, ".", **FAST)  # `-o .` had no name for a work folder
    assert len(list_frames(tmp_path / "here")) == 2


def test_a_batch_run_of_a_version_without_windows_done_resumes_where_its_frames_end(tmp_path, style_png):
    import json

    from vidstyle.workdir import MANIFEST

    clip = write_clip(tmp_path / "in.mp4", make_frames(5, 64, 48), 10)
    fast = FAST | {"batch": 2}  # windows [0] [1 2] [3 4]
    with pytest.raises(Interrupted):
        vidstyle.stylize_video(clip, style_png, tmp_path / "out", progress=StopAfter(3), **fast)
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    del manifest["state"]["windows_done"]  # as an earlier version wrote it
    (tmp_path / "out" / MANIFEST).write_text(json.dumps(manifest))
    kept = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("frame_*.png")}
    vidstyle.stylize_video(clip, style_png, tmp_path / "out", **fast)
    assert len(kept) == 3 and all(p.stat().st_mtime_ns == t for p, t in kept.items())  # not redone from 0
    assert len(list_frames(tmp_path / "out")) == 5


def test_api_paths_and_array_styles(tmp_path, style_png):
    # Path values are written to the report and the manifest as text (a Path crashed the JSON
    # after the work); a changed ARRAY style is not resumed (arrays were all recorded as "array").
    clip = write_clip(tmp_path / "in.mp4", make_frames(4, 64, 48), 10)
    report = tmp_path / "run.json"
    vidstyle.stylize_video(clip, Path(style_png), tmp_path / "out.mp4", report_path=report,
                           preview=tmp_path / "p.jpg", **FAST)
    assert report.exists() and (tmp_path / "p.jpg").exists()
    style_a = read_image(style_png)
    with pytest.raises(Interrupted):
        vidstyle.stylize_video(clip, style_a, tmp_path / "arr", progress=StopAfter(2), **FAST)
    with pytest.raises(UsageError, match="the style images"):
        vidstyle.stylize_video(clip, 255 - style_a, tmp_path / "arr", **FAST)
    done = vidstyle.stylize_video(clip, style_a, tmp_path / "arr", **FAST)  # resumed
    assert done["config"]["style"] == ["array"]  # not the array's repr
    with pytest.raises(UsageError, match="unknown option bogus; known: .*frame_iterations"):
        vidstyle.stylize_video(clip, style_a, tmp_path / "x.mp4", bogus=1, **FAST)


def test_scene_cut_starts_afresh_and_steps_are_not_retraced(tmp_path, style_png):
    frames = make_frames(4, 64, 48, seed=0) + make_frames(3, 64, 48, seed=5)[::-1]
    clip = write_clip(tmp_path / "cut.mp4", frames, 10)
    vidstyle.stylize_video(clip, style_png, tmp_path / "warm", **FAST)  # compile once
    before = dict(backend.TRACES)
    report = vidstyle.stylize_video(clip, style_png, tmp_path / "out", **FAST)
    cuts = [f["index"] for f in report["frames"] if f["cut"]]
    assert cuts == [0, 4]
    assert [f["iterations"] for f in report["frames"]] == [4, 2, 2, 2, 4, 2, 2]
    assert backend.TRACES == before  # same size, same steps: nothing retraced


def test_frame_lr_steps_later_frames_only_and_shot_starts_keep_lr(tmp_path, style_png, monkeypatch):
    frames = make_frames(3, 64, 48, seed=0) + make_frames(2, 64, 48, seed=5)[::-1]
    clip = write_clip(tmp_path / "cut.mp4", frames, 10)
    engine = get_engine(StyleOptions(weights="random"))  # the run's (cached) engine
    steps, optimize = [], engine.optimize

    def spy(x0, targets, iterations, tol, on_iteration=None, options=None):
        steps.append(options.lr)
        return optimize(x0, targets, iterations, tol, on_iteration, options)

    monkeypatch.setattr(engine, "optimize", spy)
    report = vidstyle.stylize_video(clip, style_png, tmp_path / "out", frame_lr=3.0, **FAST)
    assert [f["cut"] for f in report["frames"]] == [True, False, False, True, False]
    lr = StyleOptions(weights="random").lr
    assert steps == [lr, 3.0, 3.0, lr, 3.0]
    with pytest.raises(UsageError, match="--frame-lr"):
        vidstyle.stylize_video(clip, style_png, tmp_path / "bad", frame_lr=0.0, **FAST)


def test_a_progress_object_without_the_steps_after_the_frames_still_runs(tmp_path, style_png):
    """stage() and step() came later: a program's progress object with the first four methods
    made the run fail after its last frame, and every rerun too (the day's review)."""
    class Frames:
        def __init__(self):
            self.done = 0

        def begin(self, total, finished): ...
        def frame_start(self, position, iterations, frames): ...
        def iteration(self, iteration, terms, image): ...

        def frame_done(self, position, seconds):
            self.done += 1

    clip = write_clip(tmp_path / "in.mp4", make_frames(3, 64, 48), 10)
    frames = Frames()
    report = vidstyle.stylize_video(clip, style_png, tmp_path / "out.mp4", progress=frames, **FAST)
    assert frames.done == 3 and len(report["frames"]) == 3 and (tmp_path / "out.mp4").exists()


def test_iterator_form_yields_every_frame(tmp_path, style_png):
    clip = write_clip(tmp_path / "in.mp4", make_frames(4, 64, 48), 10)
    out = list(vidstyle.iter_stylized_frames(clip, style_png, **FAST))
    assert [i for i, _ in out] == [0, 1, 2, 3]
    assert all(f.shape == (48, 64, 3) and f.dtype == np.uint8 for _, f in out)
    ranged = vidstyle.iter_stylized_frames(clip, style_png, start=1, end="0.4s", every=2, **FAST)
    assert [i for i, _ in ranged] == [1, 3]  # the range options hold here too (they were ignored)
    with pytest.raises(UsageError, match="--start"):
        next(vidstyle.iter_stylized_frames(clip, style_png, start=2, end=0, **FAST))  # int 0 is an end


@pytest.mark.parametrize("batch", [1, 2])
def test_independent_frames_are_stylised_as_images_without_flow(tmp_path, style_png, monkeypatch, batch):
    # --independent: each frame is optimised from its own content with the first frame's budget,
    # alone or side by side in a window, and no optical flow is computed for it.
    def no_flow(*args, **kwargs):
        raise AssertionError("optical flow computed for independent frames")

    monkeypatch.setattr("vidstyle.temporal.flow_pair", no_flow)
    frames = make_frames(3, 64, 48)
    clip = write_clip(tmp_path / "in.mp4", frames, 10)
    decoded = [f for _, f in vidstyle.video.iter_frames(clip)]
    exact = dict(precision="float32", tol=0.0)  # bfloat16 rounds a batch of 2 differently
    out = list(vidstyle.iter_stylized_frames(clip, style_png, independent=True, batch=batch,
                                             **(FAST | exact)))
    assert [i for i, _ in out] == [0, 1, 2]
    for (_, got), content in zip(out, decoded, strict=True):
        alone = vidstyle.stylize_image(content, style_png, weights="random", iterations=4, **exact)
        assert np.abs(got.astype(int) - alone.astype(int)).max() <= 1


def test_independent_images_of_several_sizes_keep_their_own(tmp_path, style_png):

    folder = tmp_path / "photos"
    folder.mkdir()
    shapes = [(48, 64), (64, 40), (48, 64)]  # (h, w): landscape, portrait, landscape
    for i, (h, w) in enumerate(shapes):
        write_frame(folder, i, smooth_image(np.random.default_rng(i), h, w).astype(np.uint8))
    with pytest.raises(InputError, match="--independent"):
        vidstyle.stylize_video(folder, style_png, tmp_path / "clip", **FAST)
    with pytest.raises(UsageError, match="differ in size"):
        vidstyle.stylize_video(folder, style_png, tmp_path / "out.mp4", independent=True, **FAST)
    # batch 2: the portrait image cannot share a window with a landscape one
    report = vidstyle.stylize_video(folder, style_png, tmp_path / "small", independent=True, batch=2, size=32, **FAST)
    got = [read_image(p).shape[:2] for p in list_frames(tmp_path / "small", one_size=False)]
    assert got == [(24, 32), (32, 20), (24, 32)]
    assert [f["size"] for f in report["frames"]] == [[32, 24], [20, 32], [32, 24]]
    assert report["warp_error"]["skipped"] and np.isnan(report["warp_error"]["output"])
    vidstyle.stylize_video(folder, style_png, tmp_path / "full", independent=True, size=32,
                           output_size="original", **FAST)
    got = [read_image(p).shape[:2] for p in list_frames(tmp_path / "full", one_size=False)]
    assert got == shapes


def test_prefetch_stops_at_once_when_the_consumer_stops():
    # A producer that had made everything waited on a full queue to say "done"; closing the
    # consumer (Ctrl-C in the last frames, or an error) then sat out the 30 s join timeout.
    import time

    from vidstyle.temporal import prefetch

    for count in (1, 2, 3, 10):  # finished or not by the time the consumer stops
        items = prefetch(iter(range(count)), depth=2)
        assert next(items) == 0
        time.sleep(0.3)  # the producer fills the queue
        tick = time.perf_counter()
        items.close()
        assert time.perf_counter() - tick < 2.0, count


def test_images_of_several_sizes_each_get_the_style_at_their_size(tmp_path, style_png):
    # Both below --size, so each works at its own size, and the style is scaled to each as an
    # image run scales it: every output equals stylize_image of its image.

    folder = tmp_path / "photos"
    folder.mkdir()
    images = [smooth_image(np.random.default_rng(i), h, w).astype(np.uint8) for i, (h, w) in
              enumerate([(48, 64), (30, 40)])]
    for i, image in enumerate(images):
        write_frame(folder, i, image)
    exact = dict(precision="float32", tol=0.0)
    out = list(vidstyle.iter_stylized_frames(folder, style_png, independent=True, **(FAST | exact)))
    for (_, got), image in zip(out, images, strict=True):
        alone = vidstyle.stylize_image(image, style_png, weights="random", iterations=4, **exact)
        assert got.shape == image.shape and np.abs(got.astype(int) - alone.astype(int)).max() <= 1
    write_frame(folder, 2, images[1][:12, :12])  # pools to nothing: refused before any work
    with pytest.raises(InputError, match=r"frame_000002\.png: 12x12 is too small"):
        vidstyle.stylize_video(folder, style_png, tmp_path / "out", independent=True, **FAST)
    with pytest.raises(InputError, match="12x12 is too small"):
        next(vidstyle.iter_stylized_frames(folder, style_png, independent=True, **FAST))
    assert not (tmp_path / "out").exists()


def test_temporal_term_has_a_gradient(rng):
    """The temporal loss must depend on x (one public implementation compares two constants)."""
    engine = get_engine(StyleOptions(weights="random"))
    content = smooth_image(rng, 32, 32)
    grams = engine.style_targets([smooth_image(rng, 32, 32)], [1.0])
    warped = smooth_image(rng, 32, 32)[None, None]
    c = rng.uniform(0, 1, (1, 1, 32, 32, 1)).astype(np.float32)
    x = content[None]
    delta = 50.0
    with_t = engine.gradient(x, engine.targets(x, grams, (1e4, 1e-2, 0, delta), warped, c))
    without = engine.gradient(x, engine.targets(x, grams, (1e4, 1e-2, 0, 0.0), warped, c))
    expected = 2 * delta * c[:, 0] * (x - warped[:, 0]) / x[0].size
    np.testing.assert_allclose(with_t - without, expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max())


def test_prev_warped_init_follows_the_flow_and_falls_back_to_content():
    h, w = 8, 14
    content = np.full((h, w, 3), 10, np.uint8)
    previous = np.tile(np.arange(w, dtype=np.uint8)[None, :, None] * 15, (h, 1, 3))
    flow = np.zeros((h, w, 2), np.float32)
    flow[..., 0] = 1.0  # pixel x of frame t was at x + 1 in frame t-1
    consistent = np.ones((h, w), bool)
    consistent[:, :3] = False  # disoccluded: start from the content there
    weights = consistent.astype(np.float32)
    weights[:, 3:6] = 0.0  # e.g. a motion boundary: no temporal weight, but not disoccluded
    pair = FlowPair(flow, -flow, weights, consistent)
    frame = SourceFrame(5, 5, content, {1: pair}, cut=False)
    out = temporal_inputs(frame, {4: previous}, [1], "prev-warped")
    np.testing.assert_allclose(out.init[:, 6:-1], previous[:, 7:].astype(np.float32), atol=1e-3)
    np.testing.assert_allclose(out.init[:, :1], 10.0, atol=1.0)
    # The start follows the binary mask (softened), not c: columns 4-5 start warped although c = 0.
    np.testing.assert_allclose(out.init[:, 4:6], previous[:, 5:7].astype(np.float32), rtol=0.02)
    assert out.weights[0, :, :6].max() == 0 and out.weights[0, :, 6:].min() == 1


def test_joint_window_couples_neighbours_through_the_warp(rng):
    """Batch frames b-1 and b share the temporal term: its gradient reaches both."""
    from vidstyle.diffwarp import bilinear_taps

    engine = get_engine(StyleOptions(weights="random"))
    content = np.stack([smooth_image(rng, 32, 32), smooth_image(rng, 32, 32)])
    grams = engine.style_targets([smooth_image(rng, 32, 32)], [1.0])
    idx, taps = bilinear_taps(np.zeros((32, 32, 2), np.float32))  # identity warp
    chain = (np.stack([idx, idx]), np.stack([taps, taps]), np.stack([np.zeros((32, 32, 1)), np.ones((32, 32, 1))]))
    delta = 40.0
    g_on = engine.gradient(content, engine.targets(content, grams, (1e4, 1e-2, 0, delta), chain=chain))
    g_off = engine.gradient(content, engine.targets(content, grams, (1e4, 1e-2, 0, 0.0), chain=chain))
    pull = 2 * delta * (content[1] - content[0]) / content[0].size
    np.testing.assert_allclose((g_on - g_off)[1], pull, rtol=1e-3, atol=1e-4 * np.abs(pull).max())
    np.testing.assert_allclose((g_on - g_off)[0], -pull, rtol=1e-3, atol=1e-4 * np.abs(pull).max())


def test_stiffness_scales_the_temporal_objective_not_the_report(rng):
    engine = get_engine(StyleOptions(weights="random"))
    content = np.stack([smooth_image(rng, 32, 32), smooth_image(rng, 32, 32)])
    grams = engine.style_targets([smooth_image(rng, 32, 32)], [1.0])
    warped = np.stack([smooth_image(rng, 32, 32)[None]] * 2)
    c = np.ones((2, 1, 32, 32, 1), np.float32)
    delta = 30.0
    plain = engine.evaluate(content, engine.targets(content, grams, (1e4, 1e-2, 0, delta), warped, c))
    stiff = engine.evaluate(content, engine.targets(content, grams, (1e4, 1e-2, 0, delta), warped, c,
                                                    stiffness=np.array([2.0, 1.0])))
    np.testing.assert_allclose(stiff[:, :4], plain[:, :4], rtol=1e-6)  # reported terms unchanged
    np.testing.assert_allclose(stiff[:, 4] - plain[:, 4], [delta * plain[0, 3], 0.0], rtol=1e-4, atol=1e-3)


def test_window_seconds_are_shared_once_among_its_frames():
    from vidstyle.optimize import Result
    from vidstyle.report import frame_entries

    result = Result(np.zeros((3, 8, 8, 3), np.float32), np.ones((2, 3, 5)), 1, 6.0, 5.0)
    assert [e["seconds"] for e in frame_entries(result, 10)] == [2.0, 2.0, 2.0]
    assert [e["seconds"] for e in frame_entries(result, 10, 2.5)] == [2.5, 2.5, 2.5]  # a share given


def test_batch_windows_run_with_one_trace_per_window_size(tmp_path, style_png):
    frames = make_frames(7, 64, 48, seed=0) + make_frames(4, 64, 48, seed=5)[::-1]
    clip = write_clip(tmp_path / "cut.mp4", frames, 10)
    before = dict(backend.TRACES)
    report = vidstyle.stylize_video(clip, style_png, tmp_path / "out", batch=3, **FAST)
    # windows: [0] (shot start), [1,2,3], [4,5,6], [7] (cut), [8,9,10]: sizes 1 and 3 only
    assert [f["cut"] for f in report["frames"]].count(True) == 2
    assert len(list_frames(tmp_path / "out")) == 11
    key = "adam" if StyleOptions().optimizer == "adam" else "gradient"
    assert backend.TRACES.get(key, 0) - before.get(key, 0) <= 2
