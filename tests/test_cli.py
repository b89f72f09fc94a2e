"""The command line on the samples: help, a real run that reduces the style term, the report."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vidstyle.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def test_help_shows_every_option_with_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["stylize", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--style-weight", "--content-weight", "--tv-weight", "--optimizer", "--weights",
                   "--frame-iterations", "--temporal-weight", "--preview", "--batch", "--report"):
        assert option in text
    assert "default: 0.01" in text  # β, shown with its default
    flat = " ".join(text.split())  # argparse wraps lines
    assert "(default: block5_conv2)" in flat and "(default: 0)" in flat  # a tuple as a list; a zero seed shown
    assert "(default: None)" not in flat and "('" not in flat
    for chunk in flat.split(" --"):  # one option's help each
        assert chunk.count("(default") <= 1, chunk


def test_python_dash_m_runs():
    out = subprocess.run([sys.executable, "-m", "vidstyle", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("vidstyle ")


def test_cli_run_at_64px_cuts_style_term_in_half(tmp_path):
    # Random features weigh content more and style less than ImageNet's (docs/DEFAULTS.md): at the
    # tutorial's α and γ the style term hardly moves at 64 px, so this smoke run lowers α tenfold
    # and γ to 30, the "random-weights balance" the docs describe.
    report = tmp_path / "run.json"
    plot = tmp_path / "losses.png"
    code = main([
        "stylize", str(ROOT / "samples/content.png"), "--style", str(ROOT / "samples/style.png"),
        "-o", str(tmp_path / "out.png"), "--weights", "random", "--size", "64", "--iterations", "150", "--content-weight", "1e3", "--tv-weight", "30",
        "--report", str(report), "--plot", str(plot), "-q",
    ])
    assert code == 0
    data = json.loads(report.read_text())
    frame = data["frames"][0]
    assert frame["final"]["style"] <= 0.5 * frame["initial"]["style"], (frame["initial"], frame["final"])
    assert data["version"] == 1 and data["size"] == [64, 48] and data["weights"] == "random"
    assert len(frame["history"]) == frame["iterations"] + 1
    assert all(len(row) == 6 for row in frame["history"])
    assert plot.stat().st_size > 1000 and (tmp_path / "out.png").exists()


def test_info_describes_a_video_and_an_image(capsys):
    assert main(["info", str(ROOT / "samples" / "clip.mp4")]) == 0
    assert "30 frames, 10 fps (10.000), 160x120, 3.000 s, sound: aac" in capsys.readouterr().out
    assert main(["info", str(ROOT / "samples" / "content.png")]) == 0
    assert capsys.readouterr().out.strip().endswith("content.png: an image, 256x192")


def test_any_non_image_suffix_is_decoded_as_a_video(tmp_path):
    # An animated GIF (or a camcorder's .mts) is not in a list of video suffixes; ffmpeg reads it.
    import imageio.v3 as iio
    import numpy as np

    from vidstyle.video import probe

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (3, 24, 32, 3), dtype=np.uint8)  # distinct: a GIF merges repeats
    gif = tmp_path / "loop.gif"
    iio.imwrite(gif, frames, duration=100, loop=0)
    out = tmp_path / "painted.mp4"
    code = main(["stylize", str(gif), "--style", str(ROOT / "samples/style.png"), "-o", str(out),
                 "--weights", "random", "--size", "32", "--iterations", "2", "--frame-iterations", "1", "-q"])
    assert code == 0 and probe(out).frame_count == 3


def test_an_image_without_an_image_suffix_is_an_image(tmp_path, capsys):
    import shutil

    for name in ("photo", "photo.jfif"):
        shutil.copy(ROOT / "samples/content.png", tmp_path / name)
        assert main(["info", str(tmp_path / name)]) == 0
        assert "an image, 256x192" in capsys.readouterr().out


def test_quiet_image_run_prints_its_result_line_and_the_preview_ends_on_the_result(tmp_path, capsys, monkeypatch):
    from vidstyle.preview import Preview

    captions = []
    monkeypatch.setattr(Preview, "show", lambda self, original, current, caption: captions.append(caption))
    code = main(["stylize", str(ROOT / "samples/content.png"), "--style", str(ROOT / "samples/style.png"),
                 "-o", str(tmp_path / "out.png"), "--weights", "random", "--size", "32", "--iterations", "5",
                 "--tol", "0", "--preview", str(tmp_path / "p.jpg"), "--preview-every", "2", "-q"])
    out = capsys.readouterr().out
    assert code == 0 and "out.png: 5 iterations" in out
    assert captions[-1].startswith("done") and "it 5" in captions[-1]


def test_info_on_a_folder_takes_its_rate_and_any_sizes(tmp_path, capsys):
    from clips import write_frame

    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate([(24, 32), (32, 24)]):
        write_frame(tmp_path, i, rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    assert main(["info", str(tmp_path), "--fps", "24"]) == 0
    out = capsys.readouterr().out
    assert "2 frames, 24 fps" in out and "several sizes (the first 32x24" in out


def test_the_iteration_bar_counts_every_scale(tmp_path, monkeypatch):
    import vidstyle.progress as progress

    totals = []
    real = progress.IterationBar.__init__

    def spy(self, total, quiet, *args, **kwargs):
        totals.append(total)
        real(self, total, quiet, *args, **kwargs)

    monkeypatch.setattr(progress.IterationBar, "__init__", spy)
    code = main(["stylize", str(ROOT / "samples/content.png"), "--style", str(ROOT / "samples/style.png"),
                 "-o", str(tmp_path / "out.png"), "--weights", "random", "--size", "64", "--iterations", "3",
                 "--tol", "0", "--scales", "2", "-q"])
    assert code == 0 and totals == [6]  # each of the 2 scales runs the 3 iterations


def test_progress_labels_windows_settles_early_stops_and_logs_above_the_bars(capsys, monkeypatch):
    """From a user's terminal: a --batch window's bar named its first frame only; a bar stopped
    early by --tol kept an ETA; log lines printed through the bars were painted over."""
    import logging

    import vidstyle.progress as progress

    monkeypatch.setattr(progress, "_on_terminal", lambda: True)  # as on a terminal: both bars
    bars = progress.VideoProgress(quiet=False)
    bars.begin(12, 0)
    bars.frame_start(4, 10, 3)
    assert bars.iterations.bar.desc.startswith("frames 4-6")
    bars.iteration(6, np.ones((3, 5)))
    bars.frame_done(4, 1.0)  # stopped early by --tol: the bar settles
    assert (bars.iterations.bar.n, bars.iterations.bar.total) == (6, 6)
    bars.frame_start(7, 10, 1)
    assert bars.iterations.bar.desc.startswith("frame 7") and "loss" not in bars.iterations.bar.postfix
    bars.close()
    bar = progress.IterationBar(300, quiet=False, scales=True)  # --scales: which size runs
    bar.update(3, np.ones((1, 5)), np.zeros((1, 24, 32, 3)))
    assert bar.bar.desc.startswith("iterations at 32x24")
    bar.update(128, np.ones((1, 5)), np.zeros((1, 48, 64, 3)))
    assert bar.bar.desc.startswith("iterations at 64x48")
    bar.finish()
    assert (bar.bar.n, bar.bar.total) == (128, 128)
    bar.close()
    handler = progress.TqdmLogHandler()
    handler.emit(logging.LogRecord("vidstyle", logging.WARNING, __file__, 1, "note: hello", None, None))
    assert "note: hello\n" in capsys.readouterr().err


def test_progress_in_a_log_file_is_a_line_per_redraw_and_covers_the_steps_after_the_frames(tmp_path, capsys):
    """stderr in a file (nohup, a cluster job): tqdm's carriage returns made a few long lines that
    tail and grep could not read, and after the last frame (E_warp, then encoding: minutes for a
    long video) the log still said 97 % with nothing moving (the long-run audit)."""
    code = main(["stylize", str(ROOT / "samples/clip.mp4"), "--style", str(ROOT / "samples/style.png"),
                 "-o", str(tmp_path / "out.mp4"), "--weights", "random", "--size", "32", "--iterations", "3",
                 "--frame-iterations", "2", "--end", "4"])
    err = capsys.readouterr().err
    assert code == 0 and "\r" not in err and "\x1b" not in err
    lines = err.splitlines()
    assert any(line.startswith("frames: 100%") and "4/4" in line for line in lines)
    assert [line.split(":")[0] for line in lines if line.startswith(("E_warp:", "encoding:"))] == ["E_warp", "encoding"]


def test_a_preview_that_cannot_be_written_is_dropped_not_the_run(tmp_path, caplog):
    from vidstyle.preview import Preview

    preview = Preview(str(tmp_path / "gone" / "p.jpg"), False, 1)
    with caplog.at_level(logging.WARNING):
        preview.show(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint8), "it 0")
    assert not preview.active and "the run goes on without it" in caplog.text


def test_warp_error_and_info_do_not_load_the_network():
    """warp-error imported Keras and TensorFlow through the run's planning (6 s and TensorFlow's
    start-up lines for a 0.4 s measurement)."""
    clip = str(ROOT / "samples/clip.mp4")
    code = ("import sys; from vidstyle.cli import main; "
            f"assert main(['warp-error', {clip!r}, {clip!r}, '--end', '3']) == 1; "  # the lengths differ: refused
            f"assert main(['info', {clip!r}]) == 0; print(sorted({{'keras', 'tensorflow'}} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1] == "[]", done.stderr


def test_video_options_given_to_an_image_are_named():
    """An image ignores --start, --batch, …: it said nothing (the fuzz audit's find), while
    --init prev is refused. The defaults and a preset's own values are not named."""
    from vidstyle.arguments import parse, video_only_given, video_options

    def given(*extra: str) -> list[str]:
        args = parse(["stylize", "a.png", "-s", "s.png", "-o", "o.png", *extra])
        return video_only_given(video_options(args), args.preset)

    assert given("--start", "5", "--batch", "2", "--no-audio", "--frame-iterations", "9") == [
        "--batch", "--frame-iterations", "--no-audio", "--start"]
    assert given() == given("--preset", "fast") == given("--preset", "quality", "--overwrite", "--preview", "p.jpg") == []
