"""Faults and interruptions: disk full, a diverging loss, signals, kill -9, a second run, awkward
names, and random bytes fed to the readers. Nothing half-written, finished frames never redone.

docs/RELIABILITY.md lists each case with its test.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import signal
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_cli_errors import (
    assert_one_error_line,
    cli_process,
    frame_images,
    make_clip,
    make_folder,
    run_cli,
    tmpfs,
    write_png,
)

from vidstyle.api import get_engine
from vidstyle.cli import main
from vidstyle.config import StyleOptions
from vidstyle.errors import VidstyleError
from vidstyle.images import IMAGE_SUFFIXES, read_image
from vidstyle.folders import list_frames
from vidstyle.video import iter_frames, probe
from vidstyle.workdir import frame_name
from vidstyle.workdir import LOCK, MANIFEST, WorkDir

FRAMES = 8  # for the signal tests: enough that a run is still busy when the first frame lands
SLOW = ("--frame-iterations", "100", "--tol", "0")  # later frames slow enough that the signal lands mid-run


@pytest.fixture
def style(tmp_path: Path) -> Path:
    return write_png(tmp_path / "style.png", frame_images(1, seed=9)[0])


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """name -> (inode, mtime, checksum) of each finished frame: a rewrite changes all three."""
    return {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.glob("frame_*.png"))
    }


def assert_kept(before: dict, folder: Path) -> None:
    after = snapshot(folder)
    assert {name: after.get(name) for name in before} == before


def frame_count(folder: Path) -> int:
    return len(list(folder.glob("frame_*.png")))


# --- disk full while writing -----------------------------------------------------------------


def fill(folder: Path) -> Path:
    """Fill the file system under `folder` to the last byte."""
    path = folder / "filler"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    size = 1 << 20
    try:
        while size:
            try:
                os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                size //= 2
    finally:
        os.close(fd)
    return path


def test_disk_full_while_writing(capsys, tmp_path, style, monkeypatch):
    """A real full tmpfs where mounting is allowed (root), else ENOSPC from a patched os.fsync."""
    folder = make_folder(tmp_path / "frames", 4)
    with tmpfs(tmp_path / "disk", "65m") as mounted:  # the up-front check wants 64 MiB of slack
        out = tmp_path / "disk" / "out"
        state = {"full": False, "saved": {}}
        real_save, real_fsync = WorkDir.save, os.fsync

        def save(self, position, frame):
            if position == 2 and state["full"] is False:
                state["full"] = True
                state["saved"] = snapshot(out)
                if mounted:
                    state["filler"] = fill(tmp_path / "disk")
            real_save(self, position, frame)

        def fsync(fd):  # the simulation: the disk is "full" for the third frame's temporary file
            if state["full"] and not mounted and "frame_000002" in os.readlink(f"/proc/self/fd/{fd}"):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real_fsync(fd)

        monkeypatch.setattr(WorkDir, "save", save)
        monkeypatch.setattr(os, "fsync", fsync)
        code, _, err = run_cli(capsys, folder, "-s", style, "-o", out)
        line = assert_one_error_line(err)
        assert code == 1
        assert "frame_000002.png" in line and "No space left" in line and "free some space" in line
        assert sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.name != LOCK) == []
        assert set(snapshot(out)) == {"frame_000000.png", "frame_000001.png"}
        assert_kept(state["saved"], out)  # earlier frames untouched

        if mounted:
            state["filler"].unlink()
        state["full"] = None  # room again: the same command resumes after frame 1
        code, _, err = run_cli(capsys, folder, "-s", style, "-o", out)
        assert code == 0, err
        assert frame_count(out) == 4
        assert_kept(state["saved"], out)


# --- non-finite loss ---------------------------------------------------------------------------


def engine(optimizer: str = "adam"):
    # The CLI runs' engine (cached); --precision auto depends on the optimiser.
    return get_engine(StyleOptions(weights="random", size=32, optimizer=optimizer))


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_nan_once_is_retried_and_never_written(capsys, caplog, tmp_path, style, monkeypatch, optimizer):
    folder = make_folder(tmp_path / "frames", 3)
    eng = engine(optimizer)
    calls, results = [0], []
    name = "compiled_adam" if optimizer == "adam" else "compiled_gradient"
    real_step, real_optimize = getattr(eng, name), eng.optimize

    def step(*args):
        calls[0] += 1
        out = list(real_step(*args))
        if calls[0] in (3, 8):  # a NaN image once, NaN loss terms once, in the first two frames
            index = 0 if optimizer == "adam" and calls[0] == 3 else (4 if optimizer == "adam" else 1)
            out[index] = out[index] * float("nan")
        return tuple(out)

    def optimize(*args, **kwargs):
        result = real_optimize(*args, **kwargs)
        results.append(result)
        return result

    monkeypatch.setattr(eng, name, step)
    monkeypatch.setattr(eng, "optimize", optimize)
    caplog.set_level(logging.WARNING, logger="vidstyle")
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / "out", "--optimizer", optimizer)
    assert code == 0, err
    assert calls[0] > 8 and len(results) == 3
    assert all(np.isfinite(r.image).all() and np.isfinite(r.history).all() for r in results)
    if optimizer == "adam":
        assert caplog.text.count("non-finite loss") == 2
    assert frame_count(tmp_path / "out") == 3


def test_nan_for_good_stops_with_a_message(capsys, tmp_path, style, monkeypatch):
    folder = make_folder(tmp_path / "frames", 3)
    eng = engine()
    calls = [0]
    real_step = eng.compiled_adam

    def step(*args):
        calls[0] += 1
        x, m, v, t, terms = real_step(*args)
        return x, m, v, t, terms * float("nan") if calls[0] > 5 else terms  # frame 0 has 5 steps

    monkeypatch.setattr(eng, "compiled_adam", step)
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out, "--optimizer", "adam")
    line = assert_one_error_line(err)
    assert code == 1 and "non-finite loss" in line
    assert sorted(p.name for p in out.glob("frame_*.png")) == ["frame_000000.png"]  # frame 1 not written
    assert not list(out.glob(".*.tmp"))
    assert "frame 1" in line and "--lr" in line  # names the frame and what to do


# --- interruptions -------------------------------------------------------------------------------


def start_and_wait_for_a_frame(tmp_path: Path, folder: Path, style: Path, out: Path):
    proc = cli_process(folder, "-s", style, "-o", out, *SLOW, cwd=tmp_path)
    deadline = time.monotonic() + 240
    while not (out / frame_name(0)).exists():
        if proc.poll() is not None:
            pytest.fail(f"the run ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no frame after 240 s")
        time.sleep(0.02)
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["INT", "TERM", "KILL"])
def test_stop_and_resume(capsys, tmp_path, style, sig):
    folder = make_folder(tmp_path / "frames", FRAMES)
    out = tmp_path / "out"
    proc = start_and_wait_for_a_frame(tmp_path, folder, style, out)
    if sig == signal.SIGKILL:
        # Meanwhile a second run on the same output is refused by the first one's lock.
        code, _, err = run_cli(capsys, folder, "-s", style, "-o", out, *SLOW)
        line = assert_one_error_line(err)
        assert code == 1 and f"another vidstyle run (pid {proc.pid})" in line
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    before = snapshot(out)
    assert 1 <= len(before) < FRAMES
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert (out / LOCK).exists()  # left behind by the dead process: must not block
    else:
        line = assert_one_error_line(err)
        assert proc.returncode == 130
        assert re.search(rf"stopped after {len(before)} of {FRAMES} frames.*run the same command again", line)
    for path in out.glob("frame_*.png"):
        read_image(path)  # every frame present is whole

    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out, *SLOW)
    assert code == 0, err
    assert frame_count(out) == FRAMES
    assert_kept(before, out)  # finished frames were not redone
    assert not list(out.glob(".*.tmp"))


def test_a_stop_held_down_is_one_clean_stop(tmp_path, style):
    """SIGTERM, then Ctrl-C held down until the process is gone: one line and exit 130. A second
    signal broke the frame reader's clean-up, after the line, with an 'Exception ignored' traceback."""
    folder = make_folder(tmp_path / "frames", FRAMES)
    proc = start_and_wait_for_a_frame(tmp_path, folder, style, tmp_path / "out")
    proc.send_signal(signal.SIGTERM)
    while proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        time.sleep(0.005)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "stopped after" in assert_one_error_line(err) and "Exception ignored" not in err, err


def test_sigterm_while_the_backend_starts_is_an_interrupt(tmp_path, style):
    """SIGTERM before the pipeline's handler (here, during TensorFlow's import) killed the process
    with no message (exit -15); it now stops the run as Ctrl-C does."""
    folder = make_folder(tmp_path / "frames", 2)
    proc = cli_process(folder, "-s", style, "-o", tmp_path / "out", cwd=tmp_path)
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert_one_error_line(err)


def catches_sigterm(pid: int) -> bool:
    """The process has a handler for SIGTERM (Linux: /proc's SigCgt mask): vidstyle's entry set it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(mask & (1 << (signal.SIGTERM - 1)))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15])
def test_a_stop_while_the_program_is_imported_is_an_interrupt(tmp_path, style, sig, delay):
    """The first 0.2-0.5 s import NumPy and OpenCV: SIGTERM there killed the process silently
    (-15), and Ctrl-C printed an import traceback or became NumPy's ImportError (exit 1). The
    signal goes once the entry point has set its handlers: before that, the interpreter itself
    is starting, which no program can guard."""
    proc = cli_process(make_folder(tmp_path / "frames", 2), "-s", style, "-o", tmp_path / "out", cwd=tmp_path)
    deadline = time.monotonic() + 30
    while not catches_sigterm(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert assert_one_error_line(err) == "error: interrupted"


def test_interrupted_in_process_then_a_torn_frame_is_redone(capsys, tmp_path, style, monkeypatch):
    """Ctrl-C in the library, then the worst a crash could leave: a cut-off last frame (atomic
    writes prevent it, this checks the defence) and a stale temporary file."""
    folder = make_folder(tmp_path / "frames", 4)
    out = tmp_path / "out"
    real_save = WorkDir.save

    def save(self, position, frame):
        if position == 2:
            raise KeyboardInterrupt
        real_save(self, position, frame)

    monkeypatch.setattr(WorkDir, "save", save)
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out)
    assert code == 130 and "stopped after 2 of 4 frames" in assert_one_error_line(err)
    monkeypatch.setattr(WorkDir, "save", real_save)

    kept = snapshot(out)
    torn = out / frame_name(1)
    torn.write_bytes(torn.read_bytes()[:40])
    (out / f".{frame_name(2)}.x1y2z3.tmp").write_bytes(b"half a frame")
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out)
    assert code == 0, err
    assert frame_count(out) == 4 and not list(out.glob(".*.tmp"))
    assert snapshot(out)[frame_name(0)] == kept[frame_name(0)]
    assert read_image(torn).shape == (24, 32, 3)


def test_second_run_refuses_while_the_lock_is_held(capsys, tmp_path, style):
    folder = make_folder(tmp_path / "frames", 2)
    held = WorkDir(tmp_path / "out.mp4.vidstyle")
    held.lock()
    try:
        code, _, err = run_cli(capsys, folder, "-s", style, "-o", tmp_path / "out.mp4")
        line = assert_one_error_line(err)
        assert code == 1 and f"another vidstyle run (pid {os.getpid()})" in line
        assert not (tmp_path / "out.mp4").exists() and not (held.folder / MANIFEST).exists()
    finally:
        held.unlock()


# --- names -------------------------------------------------------------------------------------


AWKWARD = "a b ü ;$(touch pwned)&'\"|*?%d"


def test_awkward_names_end_to_end(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative names, as a user types them
    folder = make_folder(Path(f"in {AWKWARD}"), 3, name=f"fr {AWKWARD}{{:d}}.png")
    style = write_png(Path(f"style {AWKWARD}.png"), frame_images(1, seed=9)[0])
    video = f"out:{AWKWARD}.mp4"  # a colon: ffmpeg would read 'out:' as a protocol
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", video)
    assert code == 0, err
    assert probe(video).frame_count == 3
    assert main(["info", video]) == 0 and video in capsys.readouterr().out
    frames = f"frames:{AWKWARD}"
    code, _, err = run_cli(capsys, video, "-s", style, "-o", frames)
    assert code == 0, err
    assert frame_count(Path(frames)) == 3
    assert not list(tmp_path.rglob("pwned"))  # no shell ever saw a name
    assert sorted(os.listdir(tmp_path)) == sorted([folder.name, style.name, video, frames])


@given(st.integers(min_value=0, max_value=10**12))
def test_frame_names_are_plain(index):
    name = frame_name(index)
    assert re.fullmatch(r"frame_\d{6,}\.png", name)
    assert (Path("/out") / name).parent == Path("/out")


def test_frame_names_cannot_escape_the_output_folder(capsys, tmp_path, style):
    with pytest.raises(ValueError):
        frame_name(-1)
    folder = make_folder(tmp_path / "frames", 2)
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.png"
    victim.write_bytes(b"not to be touched")
    (out / frame_name(0)).symlink_to(victim)  # a planted link where a frame will be written
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out, "--overwrite")
    assert code == 0, err
    assert victim.read_bytes() == b"not to be touched"
    assert not (out / frame_name(0)).is_symlink() and frame_count(out) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames", "out", "style.png", "victim.png"]
    # Output names come from the input folder's own file names (no separator can be in one), or from
    # the manifest of an interrupted run: a tampered one cannot send a frame elsewhere.
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["state"] = {}
    manifest["names"] = ["../victim.png", frame_name(1)]
    (out / MANIFEST).write_text(json.dumps(manifest))
    (out / frame_name(0)).unlink()
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out)
    assert code == 1 and "--overwrite" in err  # its frames are no longer known to be ours
    code, _, err = run_cli(capsys, folder, "-s", style, "-o", out, "--overwrite")
    assert code == 0, err
    assert victim.read_bytes() == b"not to be touched"


# --- random bytes and random images to the readers: only our own errors ---------------------


MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"BM", b"II*\x00", b"MM\x00*",
         b"RIFF\x10\x00\x00\x00WEBPVP8 ", b"\x00\x00\x00\x18ftypisom", b"\x1aE\xdf\xa3", b"RIFF\x00\x00\x00\x00AVI "]
# VIDSTYLE_FUZZ_EXAMPLES=500 for a deeper search than the default run's
FUZZ = settings(max_examples=int(os.environ.get("VIDSTYLE_FUZZ_EXAMPLES", "30")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def reads_or_our_error(fn, *args):
    try:
        return fn(*args)
    except VidstyleError:
        return None


@FUZZ
@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=3000), suffix=st.sampled_from(IMAGE_SUFFIXES))
def test_read_image_random_bytes(prefix, body, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"x{suffix}"
        path.write_bytes(prefix + body)
        image = reads_or_our_error(read_image, path)
        assert image is None or (image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3)


@st.composite
def small_images(draw):
    """(encoded bytes, suffix, height, width) of a random small image of some depth and channels."""
    suffix = draw(st.sampled_from([".png", ".tiff", ".bmp", ".jpg", ".webp"]))
    dtype = draw(st.sampled_from([np.uint8, np.uint16, np.float32]))
    channels = draw(st.sampled_from([1, 3, 4]))
    height, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (height, width) if channels == 1 else (height, width, channels)
    array = rng.random(shape, dtype=np.float32) if dtype == np.float32 else rng.integers(
        0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)
    try:
        ok, data = cv2.imencode(suffix, array)
    except cv2.error:
        ok = False
    assume(ok)
    return data.tobytes(), suffix, height, width


@FUZZ
@given(image=small_images(), cut=st.floats(0.0, 1.0), flip=st.integers(0, 2**16))
def test_read_image_random_small_images(image, cut, flip):
    data, suffix, height, width = image
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"x{suffix}"
        path.write_bytes(data)
        assert read_image(path).shape == (height, width, 3)
        damaged = bytearray(data[: max(1, int(len(data) * cut))])
        damaged[flip % len(damaged)] ^= 0xA5
        path.write_bytes(bytes(damaged))
        image = reads_or_our_error(read_image, path)
        assert image is None or image.shape[2] == 3


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory) -> bytes:
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", 4).read_bytes()


@FUZZ
@given(mode=st.sampled_from(["random", "cut", "overwrite"]), body=st.binary(max_size=2000),
       where=st.floats(0.0, 1.0), suffix=st.sampled_from([".mp4", ".avi", ".mkv", ".mov"]),
       prefix=st.sampled_from(MAGIC))
def test_video_readers_random_bytes(clip_bytes, mode, body, where, suffix, prefix):
    at = int(len(clip_bytes) * where)
    data = {"random": prefix + body, "cut": clip_bytes[:at],
            "overwrite": clip_bytes[:at] + body + clip_bytes[at + len(body):]}[mode]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"v{suffix}"
        path.write_bytes(data)
        info = reads_or_our_error(probe, path)
        if info is not None:
            reader = iter_frames(path, info=info)
            for _, frame in reader:
                assert frame.shape == (info.height, info.width, 3)
            reads_or_our_error(reader.check_complete)


@FUZZ
@given(files=st.lists(st.one_of(small_images(), st.tuples(st.binary(max_size=200), st.sampled_from(
    [".png", ".jpg", ".txt", ""]))), max_size=4))
def test_list_frames_random_folders(files):
    with tempfile.TemporaryDirectory() as folder:
        for i, item in enumerate(files):
            data, suffix = item[0], item[1]
            (Path(folder) / f"f{i}{suffix}").write_bytes(data)
        frames = reads_or_our_error(list_frames, folder)
        if frames is not None:
            info = reads_or_our_error(probe, folder)
            if info is not None:
                reader = iter_frames(folder, info=info)
                reads_or_our_error(lambda: [f for _, f in reader])


def test_a_stop_while_a_step_is_traced_is_raised_after_it(ctrl_c):
    """A KeyboardInterrupt raised inside TensorFlow's tracing can leave the interpreter broken
    (`SystemError: Objects/listobject.c:338`, once in 19 held Ctrl-Cs): a stop that comes while a
    compiled step traces or runs is raised as the step ends, and the trace is whole."""
    from vidstyle import backend, signals

    traced: list[bool] = []

    def body(x):
        os.kill(os.getpid(), signal.SIGINT)  # the Ctrl-C, while the step is traced
        for _ in range(10_000):  # Python runs a handler between bytecodes: it has run by now
            pass
        traced.append(True)
        return x + 1

    step = backend.compile_fn(body)
    give_back = signals.stop_once()
    try:
        with pytest.raises(KeyboardInterrupt):
            step(np.float32(1.0))
        assert traced == [True]
        os.kill(os.getpid(), signal.SIGINT)  # the run is stopping: a second Ctrl-C is ignored
        assert float(backend.to_numpy(step(np.float32(1.0)))) == 2.0
    finally:
        give_back()
    give_back = signals.stop_once()
    try:  # a step that fails after the Ctrl-C (out of memory, say) is still a stop: exit 130, not 1
        with pytest.raises(KeyboardInterrupt), signals.deferred():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10_000):
                pass
            raise MemoryError("out of memory")
    finally:
        give_back()


def test_a_ctrl_c_among_the_handler_changes_leaves_nothing_behind(monkeypatch, ctrl_c):
    """A held Ctrl-C lands anywhere, also while stop_once() sets the handlers or gives them back:
    the handlers and the stop were left behind (a review hit it within 71-1555 runs with a Ctrl-C
    every 0.2 ms), and later runs stopped at their first iteration. A stop in the main thread is
    not one for a run in another thread either."""
    import threading

    from vidstyle import signals

    real_signal = signal.signal

    def ctrl_c_after(changed: int):
        def change(signum, handler):
            previous = real_signal(signum, handler)
            if signum == changed:
                handler_now = signal.getsignal(signal.SIGINT)
                if callable(handler_now):
                    handler_now(signal.SIGINT, None)  # the Ctrl-C, delivered right after this change
            return previous
        return change

    monkeypatch.setattr(signals.signal, "signal", ctrl_c_after(signal.SIGINT))
    give_back = signals.stop_once()  # Ctrl-C's handler is ours first: the Ctrl-C is ignored, not half-set
    monkeypatch.setattr(signals.signal, "signal", real_signal)
    signals.raise_if_stopped()
    monkeypatch.setattr(signals.signal, "signal", ctrl_c_after(signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):  # given back: Python's own handler raises it, as it should
        give_back()
    monkeypatch.setattr(signals.signal, "signal", real_signal)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler and signals._held is None
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None)

    give_back = signals.stop_once()  # a fresh run: not stopped, and its own stop is its own
    try:
        signals.raise_if_stopped()
        with pytest.raises(KeyboardInterrupt):
            signals._stop(signal.SIGINT, None)
        raised = []

        def other_run() -> None:
            try:
                signals.raise_if_stopped()
            except KeyboardInterrupt:
                raised.append(True)

        worker = threading.Thread(target=other_run)
        worker.start()
        worker.join()
        assert not raised  # a run in another thread goes on
        with pytest.raises(KeyboardInterrupt):
            signals.raise_if_stopped()
    finally:
        give_back()
