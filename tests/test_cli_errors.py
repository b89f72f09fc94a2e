"""The CLI on bad input and bad options: exit code, one `error: ...` line, no traceback, no work done.

Runs call `cli.main` in this process (TensorFlow is imported once) with a tiny network setup;
docs/RELIABILITY.md lists each case with its test. Helpers here are shared with
test_reliability.py.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

import vidstyle.prepare
import vidstyle.jobs
from vidstyle.cli import main
from vidstyle.encode import VideoWriter
from vidstyle.ffmpeg import ffmpeg_exe
from vidstyle.video import iter_frames, probe

FAST = ["--weights", "random", "--size", "32", "--iterations", "5", "--frame-iterations", "3", "-q"]
WIDTH, HEIGHT = 32, 24  # one frame size everywhere: the compiled steps are traced once


# --- helpers -------------------------------------------------------------------------------------


def frame_images(count: int, seed: int = 0) -> list[np.ndarray]:
    """Smooth RGB frames that move a little from one to the next."""
    rng = np.random.default_rng(seed)
    base = cv2.resize(rng.integers(0, 256, (4, 5, 3)).astype(np.uint8), (WIDTH + count, HEIGHT),
                      interpolation=cv2.INTER_LINEAR)
    return [np.ascontiguousarray(base[:, i:i + WIDTH]) for i in range(count)]


def write_png(path: Path, rgb_or_raw: np.ndarray, raw: bool = False) -> Path:
    """PNG via imencode + write_bytes (any file name); `raw` writes the array as OpenCV has it."""
    image = rgb_or_raw if raw else cv2.cvtColor(rgb_or_raw, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", image)
    assert ok
    path.write_bytes(data.tobytes())
    return path


def make_folder(path: Path, count: int, seed: int = 0, name: str = "frame_{:06d}.png") -> Path:
    # Output frames keep these names (a folder of images out to a folder keeps them).
    path.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frame_images(count, seed)):
        write_png(path / name.format(i), frame)
    return path


def make_clip(path: Path, count: int, seed: int = 0) -> Path:
    with VideoWriter(path, 10) as out:
        for frame in frame_images(count, seed):
            out.write(frame)
    return path


def run_cli(capsys, *args, fast: bool = True) -> tuple[int, str, str]:
    """`vidstyle stylize ARGS` in this process: (exit code, stdout, stderr).

    Any exception other than SystemExit escaping `main` fails the test: that is a traceback.
    """
    argv = ["stylize", *(FAST if fast else []), *map(str, args)]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    if code != 0:
        assert_one_error_line(err)
    return code, out, err


def assert_one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), err
    return lines[-1]


def _default_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored, and the child would inherit that (then
    # Python installs no KeyboardInterrupt handler): give the run the disposition a terminal has.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cli_process(*args: str | Path, cwd: Path, **kwargs) -> subprocess.Popen:
    """`python -m vidstyle stylize ...` as a real process (stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "vidstyle", "stylize", *FAST, *map(str, args)],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_default_sigint, **kwargs,
    )


@contextlib.contextmanager
def tmpfs(path: Path, size: str, readonly: bool = False):
    """A small tmpfs at `path` (root only); yields False where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0755" + (",ro" if readonly else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True, check=False)
    try:
        yield done.returncode == 0
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@pytest.fixture
def style(tmp_path: Path) -> Path:
    return write_png(tmp_path / "style.png", frame_images(1, seed=9)[0])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "frames", 3)


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if the network is built: bad options must be refused before that."""
    def boom(*args, **kwargs):
        raise AssertionError("the network was built before the bad input was refused")

    monkeypatch.setattr(vidstyle.prepare, "engine_for", boom)


def entries(path: Path) -> set[str]:
    return {p.name for p in path.iterdir()}


# --- invalid options: exit 2, the option named, before any work ---------------------------------


@pytest.mark.parametrize("options, named", [
    (["--content-weight", "-1"], "--content-weight"),
    (["--style-weight", "-0.5"], "--style-weight"),
    (["--tv-weight", "-3"], "--tv-weight"),
    (["--temporal-weight", "-1"], "--temporal-weight"),
    (["--style-layer-weights", "1,-1,1,1,1"], "--style-layer-weights"),
    (["--batch", "0"], "--batch"),
    (["--size", "8"], "--size"),
    (["--size", "31", "--style-layers", "block5_conv1"], "--size"),
    (["--style-layers", "block1_conv1,block9_conv9"], "--style-layers"),
    (["--content-layers", "conv5"], "--content-layers"),
    (["--start", "2", "--end", "1"], "--start"),
    (["--start", "9"], "--start"),
    (["--every", "0"], "--every"),
    (["--iterations", "-1"], "--iterations"),
    (["--lr", "0", "--optimizer", "adam"], "--lr"),
    (["--batch", "two"], "--batch"),  # argparse's own type check
    (["--optimizer", "sgd"], "--optimizer"),
    (["--preview-every", "0"], "--preview-every"),
    (["--seed", "-1", "--init", "noise"], "--seed"),  # numpy's generator raised a traceback
    (["--audio", "missing.wav"], "--audio"),
])
def test_invalid_options_rejected_before_work(capsys, tmp_path, folder, style, no_network, options, named):
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out, *options)
    assert code == 2
    assert named in assert_one_error_line(err)
    assert not out.exists() and not out.with_name("out.vidstyle").exists()


@pytest.mark.parametrize("options, named", [
    (["--fps", "12"], "--fps"),  # a video keeps its own rate
    (["--audio", "a.wav", "--no-audio"], "--no-audio"),
    (["--codec", "nonsense"], "--codec"),  # found before the frames are optimised, not when encoding
    (["--codec", "gif"], "cannot write it into a .mp4"),  # an encoder, but not for .mp4: a trial run says so
])
def test_options_that_contradict_a_video_input(capsys, tmp_path, style, no_network, options, named):
    (tmp_path / "a.wav").write_bytes(b"")
    clip = make_clip(tmp_path / "in.mp4", 3)
    out = tmp_path / "out.mp4"
    code, _, err = run_cli(capsys, clip, "-s", style, "-o", out, *options)
    assert code == 2 and named in assert_one_error_line(err)
    assert not out.exists() and not out.with_name("out.mp4.vidstyle").exists()


def test_outputs_that_are_a_style_a_frame_or_an_unwritable_container(capsys, tmp_path, folder, style, no_network):
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    code, _, err = run_cli(capsys, content, "-s", style, "-o", style, "--overwrite")
    assert code == 1 and "is a style image" in assert_one_error_line(err)
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / "out", "--preview",
                           tmp_path / "out" / "frame_000001.png")  # over a frame of its own output
    assert code == 1 and "reads or writes frames in" in assert_one_error_line(err)
    for name in ("p.flv", "g.ts"):  # a folder of frames named like a video
        code, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / name)
        assert code == 2 and "vidstyle writes .mp4" in assert_one_error_line(err)
        assert not (tmp_path / name).exists()
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / "a.gif", "--audio", make_clip(tmp_path / "s.mp4", 2))
    assert code == 2 and "a .gif file has no sound" in assert_one_error_line(err)
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / "q.mp4", "--crf", "60")  # VP9's scale, not x264's
    assert code == 2 and "libx264's scale is 0..51, got 60" in assert_one_error_line(err)
    assert not (tmp_path / "q.mp4").exists()
    assert main(["info", str(make_clip(tmp_path / "c.mp4", 2)), "--fps", "12"]) == 2
    assert "a video keeps its own" in capsys.readouterr().err


def test_an_image_output_that_is_a_folder_is_refused_before_work(capsys, tmp_path, style, no_network):
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    (tmp_path / "out.png").mkdir()
    code, _, err = run_cli(capsys, content, "-s", style, "-o", tmp_path / "out.png", "--overwrite")
    assert code == 1 and "is a folder" in assert_one_error_line(err)
    assert (tmp_path / "out.png").is_dir()


def test_warp_error_counts_the_pairs_it_averages(capsys, tmp_path):
    from clips import make_frames

    clip = tmp_path / "frames"
    clip.mkdir()
    for k, frame in enumerate(make_frames(3, 64, 48) + make_frames(2, 64, 48, seed=7)):  # a cut before 3
        write_png(clip / f"f{k}.png", frame)
    assert main(["warp-error", str(clip), str(clip)]) == 0
    assert "over 3 frame pairs, 1 left out (scene cuts)" in capsys.readouterr().out
    assert main(["warp-error", str(clip), str(clip), "--scene-cut", "0"]) == 0
    assert "over 4 frame pairs (dis flow)" in capsys.readouterr().out  # it said 4 either way
    ranged = tmp_path / "ranged"  # what `stylize --start 1 --end 4` writes: frames 1-3
    ranged.mkdir()
    for k in (1, 2, 3):
        (ranged / f"f{k}.png").write_bytes((clip / f"f{k}.png").read_bytes())
    assert main(["warp-error", str(clip), str(ranged)]) == 1  # "differ in length"
    assert "differ in length" in capsys.readouterr().err
    assert main(["warp-error", str(clip), str(ranged), "--start", "1", "--end", "4", "--scene-cut", "0"]) == 0
    assert "over 2 frame pairs" in capsys.readouterr().out


def test_a_one_frame_video_has_no_warp_error_to_show(capsys, tmp_path, style):
    clip = make_clip(tmp_path / "in.mp4", 1)
    code, out, _ = run_cli(capsys, clip, "-s", style, "-o", tmp_path / "out.mp4")
    assert code == 0 and "1 frame," in out and "E_warp n/a" in out and "nan" not in out
    assert main(["warp-error", str(clip), str(tmp_path / "out.mp4")]) == 0
    assert "E_warp n/a" in capsys.readouterr().out


def test_an_unsupported_keras_backend_is_one_line(capsys, tmp_path, style, no_network, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")  # a traceback from Keras' torch import before
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    code, _, err = run_cli(capsys, content, "-s", style, "-o", tmp_path / "out.png")
    assert code == 2 and "KERAS_BACKEND=torch" in assert_one_error_line(err)


@pytest.mark.parametrize("bad", [["--tv-weight", "-1"], ["--batch", "0"], ["--scene-cut", "2"], ["--every", "0"]])
def test_invalid_option_for_an_image_run(capsys, tmp_path, style, no_network, bad):
    # Video-only options do nothing for an image, but a bad value is still a typo to report.
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    code, _, err = run_cli(capsys, content, "-s", style, "-o", tmp_path / "out.png", *bad)
    assert code == 2 and bad[0] in assert_one_error_line(err)
    assert not (tmp_path / "out.png").exists()


# --- bad inputs: exit 1 naming the file ----------------------------------------------------------


@pytest.mark.parametrize("name", ["missing", "missing.mp4", "missing.png"])
def test_input_missing(capsys, tmp_path, style, no_network, name):
    code, _, err = run_cli(capsys, tmp_path / name, "-s", style, "-o", tmp_path / "out.mp4")
    assert code == 1 and name in assert_one_error_line(err)
    assert entries(tmp_path) == {"style.png"}


def test_folder_without_images(capsys, tmp_path, style, no_network):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no frames here")
    code, _, err = run_cli(capsys, tmp_path / "empty", "-s", style, "-o", tmp_path / "out")
    line = assert_one_error_line(err)
    assert code == 1 and "empty" in line and "no images" in line
    assert not (tmp_path / "out").exists()


def test_not_a_video(capsys, tmp_path, style, no_network):
    fake = tmp_path / "fake.mp4"
    fake.write_text("this is a text file, not a video")
    code, _, err = run_cli(capsys, fake, "-s", style, "-o", tmp_path / "out.mp4")
    line = assert_one_error_line(err)
    assert code == 1 and "fake.mp4" in line and "nor a video" in line
    assert not (tmp_path / "out.mp4.vidstyle").exists()


@pytest.mark.parametrize("name", ["notes.txt", "photo.heic"])
def test_unknown_suffix_is_neither_image_nor_video(capsys, tmp_path, style, no_network, name):
    fake = tmp_path / name
    fake.write_text("not a picture")
    code, _, err = run_cli(capsys, fake, "-s", style, "-o", tmp_path / "out.mp4")
    line = assert_one_error_line(err)
    assert code == 1 and name in line and "neither an image" in line and "nor a video" in line


def test_sound_file_has_no_frames(capsys, tmp_path, style, no_network):
    wav = tmp_path / "track.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=d=0.5", str(wav)], check=True)
    code, _, err = run_cli(capsys, wav, "-s", style, "-o", tmp_path / "out.mp4")
    line = assert_one_error_line(err)
    assert code == 1 and "track.wav" in line and "no video stream" in line


def test_video_with_zero_frames(capsys, tmp_path, style, no_network):
    empty = tmp_path / "zero.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=size=32x24:rate=10",
                    "-frames:v", "0", str(empty)], check=True)
    code, _, err = run_cli(capsys, empty, "-s", style, "-o", tmp_path / "out.mp4")
    assert code == 1 and "zero.mp4" in assert_one_error_line(err)


def test_truncated_video_exit_3_after_writing_what_decoded(capsys, tmp_path, style):
    frames = [np.random.default_rng(i).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8) for i in range(12)]
    with VideoWriter(tmp_path / "full.mp4", 10) as writer:  # noise: frame data dwarfs the header
        for frame in frames:
            writer.write(frame)
    data = (tmp_path / "full.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    decodable = len(list(iter_frames(cut)))
    assert 0 < decodable < 12

    out = tmp_path / "out.mp4"
    code, _, err = run_cli(capsys, cut, "-s", style, "-o", out)
    line = assert_one_error_line(err)
    assert code == 3
    assert "cut.mp4" in line and f"only {decodable} of 12 frames" in line
    assert f"the {decodable} frames decoded are stylised and written to {out}" in line  # it hid the output
    assert probe(out).frame_count == decodable  # the frames that decoded were stylised and written
    assert "Invalid NAL" not in err and "partial file" not in err  # libav's noise is silenced


def test_frame_of_another_size(capsys, tmp_path, style, folder, no_network):
    write_png(folder / "f001.png", np.zeros((HEIGHT, WIDTH - 2, 3), np.uint8))
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / "out")
    line = assert_one_error_line(err)
    assert code == 1 and "f001.png" in line and f"{WIDTH - 2}x{HEIGHT}" in line


def test_unreadable_frame_is_named_before_work(capsys, tmp_path, style, folder, no_network):
    (folder / "f001.png").write_bytes(b"\x89PNG not really")
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / "out")
    assert code == 1 and "f001.png" in assert_one_error_line(err)
    assert not (tmp_path / "out").exists()


def test_damaged_frame_found_mid_run_is_named(capsys, tmp_path, style, folder):
    # Its header is whole, so the size check passes; the pixels are cut off.
    data = (folder / "frame_000002.png").read_bytes()
    (folder / "frame_000002.png").write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out)
    assert code == 1 and "frame_000002.png" in assert_one_error_line(err)
    assert "WARN" not in err  # OpenCV's decoder warning is silenced
    assert sorted(p.name for p in out.glob("frame_*.png")) == ["frame_000000.png", "frame_000001.png"]


def test_gray_alpha_and_16_bit_frames_are_converted(capsys, caplog, tmp_path, style):
    rgb = frame_images(3)
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_png(folder / "f0.png", cv2.cvtColor(rgb[0], cv2.COLOR_RGB2GRAY), raw=True)
    write_png(folder / "f1.png", cv2.cvtColor(rgb[1], cv2.COLOR_RGB2BGRA), raw=True)
    write_png(folder / "f2.png", cv2.cvtColor(rgb[2], cv2.COLOR_RGB2BGR).astype(np.uint16) * 257, raw=True)
    caplog.set_level(logging.INFO, logger="vidstyle")
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / "out")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["f0.png", "f1.png", "f2.png"]
    notes = caplog.text
    for note in ("grayscale image converted to RGB", "alpha channel composited on white",
                 "16-bit image converted to 8 bits"):
        assert note in notes
        assert notes.count(note) == 1  # once per folder, not once per read


# --- style images and blend weights ----------------------------------------------------------


@pytest.mark.parametrize("target", ["frames", "content.png"])
@pytest.mark.parametrize("bad", ["missing", "unreadable"])
def test_style_missing_or_unreadable(capsys, tmp_path, folder, no_network, target, bad):
    write_png(tmp_path / "content.png", frame_images(1)[0])
    style = tmp_path / "style.png"
    if bad == "unreadable":
        style.write_bytes(b"GIF89a garbage")
    output = tmp_path / ("out" if target == "frames" else "out.png")
    code, _, err = run_cli(capsys, tmp_path / target, "-s", style, "-o", output)
    assert code == 1 and "style.png" in assert_one_error_line(err)
    assert not output.exists()


@pytest.mark.parametrize("source, target", [("frames", "out.mp4"), ("content.png", "out.png")])
def test_unloadable_weights_leave_no_work_folder_and_no_bars(capsys, tmp_path, folder, style, source, target):
    write_png(tmp_path / "content.png", frame_images(1)[0])
    weights = tmp_path / "vgg19.weights.h5"
    weights.write_bytes(b"not an HDF5 file")
    before = entries(tmp_path)
    code, _, err = run_cli(capsys, tmp_path / source, "-s", style, "-o", tmp_path / target, "--weights", weights,
                           "--size", "32", fast=False)  # not --quiet: bars would show
    assert code == 1 and "cannot load VGG19 weights" in assert_one_error_line(err)
    assert "frames" not in err and "iterations" not in err  # the network is built before any bar
    assert entries(tmp_path) == before  # no output, no work folder


def test_imagenet_weights_offline_name_the_file_and_the_cache(capsys, tmp_path, style, monkeypatch):
    # What a user without network sees: Keras' own download attempt fails (here: made to fail
    # at once, as it would offline), and the line says which file to put where.
    import keras.src.utils.file_utils as file_utils

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: [Errno -3] Temporary failure in name resolution")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(file_utils, "get_file", offline)
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    code, _, err = run_cli(capsys, content, "-s", style, "-o", tmp_path / "out.png", "--weights", "imagenet",
                           "--size", "32", "-q", fast=False)
    line = assert_one_error_line(err)
    assert code == 1 and "cannot get the VGG19 ImageNet weights" in line
    assert "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5" in line and str(tmp_path / "keras" / "models") in line
    assert "--weights random" in line and not (tmp_path / "out.png").exists()


def test_vidstyle_weights_sets_the_default(capsys, tmp_path, style, weights_file, monkeypatch):
    monkeypatch.setenv("VIDSTYLE_WEIGHTS", weights_file)
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    report = tmp_path / "run.json"
    code, _, err = run_cli(capsys, content, "-s", style, "-o", tmp_path / "out.png", "--size", "32",
                           "--iterations", "2", "--report", report, "-q", fast=False)
    assert code == 0, err
    assert json.loads(report.read_text())["config"]["weights"] == weights_file


@pytest.mark.parametrize("target", ["frames", "content.png"])
def test_blend_weights_must_match_the_styles(capsys, tmp_path, folder, style, no_network, target):
    write_png(tmp_path / "content.png", frame_images(1)[0])
    output = tmp_path / ("out" if target == "frames" else "out.png")
    code, _, err = run_cli(capsys, tmp_path / target, "-s", style, style, "--style-blend", "1,2,3", "-o", output)
    line = assert_one_error_line(err)
    assert code == 2 and "--style-blend" in line and "3 weights for 2 style images" in line
    assert not output.exists()


@pytest.mark.parametrize("option", ["--preview", "--report", "--plot"])
@pytest.mark.parametrize("victim", ["input", "style"])
@pytest.mark.parametrize("target", ["clip.mp4", "content.png"])
def test_side_files_never_overwrite_the_input_or_a_style(capsys, tmp_path, style, no_network, option, victim, target):
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    source = make_clip(tmp_path / "clip.mp4", 2) if target == "clip.mp4" else content
    path = source if victim == "input" else style
    # an .mp4 is refused as a preview or plot for its suffix already
    expected = (2, "expected a suffix") if option != "--report" and path.suffix == ".mp4" else \
        (1, "which this run reads or writes")
    before = path.read_bytes()
    output = tmp_path / ("out.mp4" if target == "clip.mp4" else "out.png")
    code, _, err = run_cli(capsys, source, "-s", style, "-o", output, option, path)
    line = assert_one_error_line(err)
    assert (code, expected[1] in line, option in line) == (expected[0], True, True), line
    assert path.read_bytes() == before and not output.exists()


@pytest.mark.parametrize("args, code, words", [
    (["--report", "nodir/r.json"], 1, "does not exist"),
    (["--plot", "nodir/p.png"], 1, "does not exist"),
    (["--preview", "nodir/p.jpg"], 1, "does not exist"),
    (["--report", "."], 1, "is a folder"),
    (["--plot", "losses"], 2, "expected a suffix"),
    (["--plot", "losses.xyz"], 2, "expected a suffix"),
    (["--preview", "p.mp4"], 2, "expected a suffix"),
    (["--preview", "frames/p.png"], 1, "reads or writes frames in"),  # it would be a frame next time
    (["--report", "frames/r.json"], 1, "reads or writes frames in"),
    (["--preview", "out.mp4.vidstyle/p.png"], 1, "reads or writes frames in"),  # the work folder
    (["--report", "/dev/null"], 1, "not a regular file"),  # renaming a file over it replaced /dev/null
])
def test_bad_side_file_paths_are_refused_before_work(capsys, tmp_path, folder, style, no_network, monkeypatch,
                                                     args, code, words):
    monkeypatch.chdir(tmp_path)
    before = entries(tmp_path)
    got, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / "out.mp4", *args)
    line = assert_one_error_line(err)
    assert got == code and args[0] in line and words in line
    assert entries(tmp_path) == before


@pytest.mark.parametrize("shape, target, args, code, words", [
    ((15, 15), "content.png", [], 1, "15x15 is too small"),
    ((15, 15), "frames", [], 1, "15x15 is too small"),
    ((16, 640), "content.png", ["--size", "32"], 2, "--size 32: makes"),
    ((24, 32), "content.png", ["--style-scale", "0.05"], 2, "--style-scale 0.05"),
    ((24, 32), "frames", ["--style-scale", "0.05"], 2, "--style-scale 0.05"),
    ((24, 32), "frames", ["--scales", "2"], 2, "--scales 2"),
    ((24, 32), "content.png", ["--init", "styel.png"], 1, "styel.png"),
    ((24, 32), "frames", ["--init", "styel.png"], 1, "styel.png"),
])
def test_what_would_fail_at_the_first_frame_is_refused_before_work(capsys, tmp_path, style, no_network,
                                                                 shape, target, args, code, words):
    # Each of these used to fail inside the first optimisation (a backend traceback for sizes
    # that pool to nothing), leaving an interrupted run that blocked the corrected command.
    frame = cv2.resize(frame_images(1)[0], shape[::-1])
    if target == "frames":
        (tmp_path / "frames").mkdir()
        for i in range(2):
            write_png(tmp_path / "frames" / f"{i}.png", frame)
    else:
        write_png(tmp_path / target, frame)
    before = entries(tmp_path)
    output = tmp_path / ("out.png" if target.endswith(".png") else "out.mp4")
    got, _, err = run_cli(capsys, tmp_path / target, "-s", style, "-o", output, *args)
    line = assert_one_error_line(err)
    assert got == code and words in line, line
    assert entries(tmp_path) == before


# --- outputs -------------------------------------------------------------------------------------


def test_output_is_the_input(capsys, tmp_path, folder, style, no_network):
    clip = make_clip(tmp_path / "clip.mp4", 2)
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    for source in (folder, clip, content):
        before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
        code, _, err = run_cli(capsys, source, "-s", style, "-o", source, "--overwrite")
        assert code == 1 and "the output is the input" in assert_one_error_line(err)
        assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before


def test_finished_output_needs_overwrite(capsys, tmp_path, folder, style, no_network):
    clip = make_clip(tmp_path / "done.mp4", 2)
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    done_image = write_png(tmp_path / "done.png", frame_images(1)[0])
    done_frames = make_folder(tmp_path / "done_frames", 2, name="frame_{:06d}.png")
    for source, output in ((folder, clip), (content, done_image), (folder, done_frames)):
        before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
        code, _, err = run_cli(capsys, source, "-s", style, "-o", output)
        assert code == 1 and "--overwrite" in assert_one_error_line(err)
        assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before


def test_overwrite_replaces_a_finished_video(capsys, tmp_path, folder, style):
    out = make_clip(tmp_path / "out.mp4", 5)
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out, "--overwrite")
    assert code == 0, err
    assert probe(out).frame_count == 3
    assert entries(tmp_path) == {"frames", "style.png", "out.mp4"}  # no work folder or temp left


@pytest.mark.parametrize("target", ["frames", "content.png"])
def test_output_folder_is_a_file(capsys, tmp_path, folder, style, no_network, target):
    # As root, permission bits do not stop writes: a path below a regular file cannot be written.
    write_png(tmp_path / "content.png", frame_images(1)[0])
    (tmp_path / "plain").write_text("a file, not a folder")
    output = tmp_path / "plain" / ("out.mp4" if target == "frames" else "out.png")
    code, _, err = run_cli(capsys, tmp_path / target, "-s", style, "-o", output)
    line = assert_one_error_line(err)
    assert code == 1 and "plain" in line and "not a folder" in line


@pytest.mark.parametrize("target", ["frames", "content.png"])
def test_output_folder_read_only(capsys, tmp_path, folder, style, no_network, target):
    write_png(tmp_path / "content.png", frame_images(1)[0])
    with tmpfs(tmp_path / "ro", "1m", readonly=True) as mounted:
        if not mounted:
            pytest.skip("cannot mount a read-only tmpfs here (needs root)")
        output = tmp_path / "ro" / ("out.mp4" if target == "frames" else "out.png")
        code, _, err = run_cli(capsys, tmp_path / target, "-s", style, "-o", output)
        line = assert_one_error_line(err)
        assert code == 1 and "not writable" in line


def test_not_enough_disk_for_the_work_folder(capsys, tmp_path, folder, style, no_network, monkeypatch):
    with tmpfs(tmp_path / "small", "4m") as mounted:
        if not mounted:  # simulate: the check asks shutil.disk_usage
            real = vidstyle.outputs.shutil.disk_usage
            monkeypatch.setattr(vidstyle.outputs.shutil, "disk_usage",
                                lambda p: real(p)._replace(free=4 << 20))
            (tmp_path / "small").mkdir(exist_ok=True)
        out = tmp_path / "small" / "out.mp4"
        code, _, err = run_cli(capsys, folder, "-s", style, "-o", out)
        line = assert_one_error_line(err)
        assert code == 1 and "MiB free" in line and "MiB needed for 3 frames" in line
        assert list((tmp_path / "small").iterdir()) == []  # checked before the work folder exists


# --- the real process: one line, no traceback ----------------------------------------------------


def test_process_prints_one_line(tmp_path, folder):
    """A real `python -m vidstyle` with a missing style image: stderr is exactly one line."""
    proc = cli_process(folder, "-s", "no style.png", "-o", "out", cwd=tmp_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err.strip().splitlines() == ["error: no style.png: no such file"], err
    assert not (tmp_path / "out").exists()
    # --debug shows the traceback (`info` fails without importing TensorFlow: quick)
    proc = subprocess.run([sys.executable, "-m", "vidstyle", "--debug", "info", "missing.mp4"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "InputError" in proc.stderr


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_after_the_result_line_keeps_a_finished_run(tmp_path, style, stop):
    """Ctrl-C pressed as the result line appears lands in the interpreter's teardown (a second or
    so of TensorFlow's): the run is finished, so it exits 0 without a traceback (it gave 130).
    SIGTERM likewise (a second one after a stop killed the process: exit -15)."""
    content = write_png(tmp_path / "content.png", frame_images(1)[0])
    out = tmp_path / "out.png"
    proc = cli_process(content, "-s", style, "-o", out, cwd=tmp_path, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    assert proc.stdout.readline().startswith(str(out)), proc.communicate()  # printed, not yet exited
    time.sleep(0.05)
    while proc.poll() is None:  # Ctrl-C held down until the process is gone
        proc.send_signal(stop)
        time.sleep(0.01)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err and "error:" not in err, err
    assert out.is_file()


def test_debug_adds_the_traceback_but_keeps_the_exit_code(capsys, tmp_path, style, no_network):
    code = main(["--debug", "stylize", *FAST, str(style), "-s", str(style), "-o", str(tmp_path / "o.png"),
                 "--seed", "-1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" in err and "UsageError" in err
    assert err.strip().splitlines()[-1].startswith("error: --seed")
