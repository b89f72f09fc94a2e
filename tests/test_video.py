"""Decoding and encoding: round trips on tiny clips made here, frame folders, time parsing."""

from __future__ import annotations

import logging
import subprocess
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidstyle.config import DEFAULT_CRF, VideoOptions
from vidstyle.encode import VideoWriter
from vidstyle.errors import IncompleteInputError, InputError, OutputError, UsageError
from vidstyle.ffmpeg import as_fraction, audio_duration, ffmpeg_exe
from vidstyle.folders import list_frames
from vidstyle.formats import check_crf, note_ignored_crf
from vidstyle.outputs import note_unencoded
from vidstyle.timing import PacketSpan, first_showings, packet_span, parse_time, steady_timing, timestamps_rate
from vidstyle.video import iter_frames, probe
from vidstyle.workdir import frame_name

from clips import NTSC, make_frames, write_clip, write_frame, write_wav


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_wav(tmp_path_factory.mktemp("audio") / "tone.wav", 3.0)


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [NTSC, Fraction(25), Fraction(10)])
def test_round_trip_keeps_count_fps_and_sound(tmp_path: Path, wav: Path, fps: Fraction) -> None:
    frames = make_frames(15)
    clip = write_clip(tmp_path / "clip.mp4", frames, fps, audio_from=wav)
    info = probe(clip)
    assert (info.frame_count, info.fps, info.width, info.height) == (15, fps, 48, 32)
    assert info.has_audio and info.audio_codec == "aac" and not info.is_folder
    assert audio_duration(clip) == pytest.approx(float(15 / fps), abs=float(1 / fps))
    reader = iter_frames(clip)
    decoded = list(reader)
    assert [i for i, _ in decoded] == list(range(15))
    assert reader.decoded == reader.expected == 15
    reader.check_complete()
    for index, got in decoded:
        assert got.dtype == np.uint8 and got.shape == (32, 48, 3)
        errors = [np.abs(got.astype(int) - want).mean() for want in frames]
        # Lossy (4:2:0 chroma on saturated colours), but each frame is its own source's picture.
        assert errors[index] < 10 and int(np.argmin(errors)) == index


@pytest.mark.parametrize("fps", [Fraction(10, 3), Fraction(15, 2), Fraction(60000, 1001)])
def test_rates_ffmpeg_prints_rounded_are_read_exactly(tmp_path: Path, fps: Fraction) -> None:
    """`--every 3` of a 10 fps clip is 10/3 fps, which ffmpeg prints as '3.33' (it was read as 333/100)."""
    info = probe(write_clip(tmp_path / "clip.mp4", make_frames(4), fps))
    assert info.fps == fps and info.duration == pytest.approx(float(4 / fps))


def test_clip_without_sound_stays_silent(tmp_path: Path) -> None:
    silent = write_clip(tmp_path / "silent.mp4", make_frames(6), 25)
    copy = write_clip(tmp_path / "copy.mp4", make_frames(6), 25, audio_from=silent)
    for clip in (silent, copy):
        assert not probe(clip).has_audio
        assert audio_duration(clip) is None


def test_sound_is_trimmed_to_the_requested_window(tmp_path: Path, wav: Path) -> None:
    clip = write_clip(tmp_path / "part.mkv", make_frames(10), 10, audio_from=wav,
                      audio_start=1.0, audio_duration=0.5)
    assert audio_duration(clip) == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("suffix", [".mkv", ".mov", ".avi", ".webm"])
def test_other_containers_report_exact_counts(tmp_path: Path, wav: Path, suffix: str) -> None:
    clip = write_clip(tmp_path / f"clip{suffix}", make_frames(8), NTSC, audio_from=wav)
    info = probe(clip)
    assert (info.frame_count, info.fps, info.has_audio) == (8, NTSC, True)
    reader = iter_frames(clip, info=info)
    assert sum(1 for _ in reader) == 8
    reader.check_complete()
    listing = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(clip), "-map", "0:v:0", "-c", "copy", "-f", "framecrc",
                              "-"], check=True, capture_output=True).stdout.decode()
    span = packet_span(listing)  # AVI with MP3 sound had its frames at 0, 2, 3, …: the picture a frame late
    assert span is not None and span.first == 0 and span.even and span.starts == pytest.approx(7 / NTSC, abs=0.002)


def test_a_gif_is_written_without_sound(tmp_path: Path, wav: Path) -> None:
    """One palette for the clip, looping; a GIF has no sound, so asking for one is refused."""
    frames = make_frames(8)
    clip = write_clip(tmp_path / "clip.gif", frames, 10)
    info = probe(clip)
    assert (info.frame_count, info.fps, info.has_audio) == (8, 10, False)
    decoded = [frame for _, frame in iter_frames(clip, info=info)]
    assert all(np.abs(got.astype(int) - want).mean() < 10 for got, want in zip(decoded, frames))
    with pytest.raises(UsageError, match="has no sound"):
        write_clip(tmp_path / "loud.gif", frames, 10, audio_from=wav)
    assert probe(write_clip(tmp_path / "odd.gif", make_frames(2, 33, 25), 10)).width == 33  # a palette needs no even size


def test_crf_follows_the_codecs_scale(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """VP9's scale runs to 63 and x264's to 51 (--crf was capped at 51 for both); mjpeg and gif
    have none, and say that they ignore one."""
    frames = make_frames(6, 96, 64)
    sizes = {crf: write_clip(tmp_path / f"q{crf}.webm", frames, 10, crf=crf).stat().st_size for crf in (10, 63)}
    assert sizes[63] < sizes[10]  # applied: the coarsest quality is the smallest file
    check_crf("libvpx-vp9", 63)
    with pytest.raises(UsageError, match="0..51, got 52"):
        check_crf("libx264", 52)
    with pytest.raises(UsageError, match="0..51, got 52"):
        write_clip(tmp_path / "q.mp4", frames, 10, crf=52)
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        note_ignored_crf("gif", DEFAULT_CRF)
        note_ignored_crf("libvpx-vp9", 30)
        assert not caplog.text
        note_ignored_crf("gif", 30)
    assert "--crf 30 is ignored: gif has no constant-quality scale" in caplog.text
    # A value past every scale is the codec's to refuse: a GIF ignores 64 as it does 30 (64 was
    # refused with the 0..63 of all codecs while 30 got the note).
    check_crf("gif", 64)
    assert VideoOptions(crf=64).crf == 64
    with pytest.raises(UsageError, match="expected an integer >= 0"):
        VideoOptions(crf=-1)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        note_unencoded(VideoOptions())
        assert not caplog.text
        note_unencoded(VideoOptions(codec="libx265", crf=28))  # frames out to a folder ignored them silently
    assert "note: --codec, --crf: for a video file; frames in a folder are PNG" in caplog.text


def test_odd_size_is_padded_to_even(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="vidstyle"):
        clip = write_clip(tmp_path / "odd.mp4", make_frames(3, 33, 25), 10)
    assert "padded to 34x26" in caplog.text
    assert (probe(clip).width, probe(clip).height) == (34, 26)


def test_range_and_stride(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", make_frames(12), 10)
    reader = iter_frames(clip, start=2, end=10, every=3)
    assert [i for i, _ in reader] == [2, 5, 8]
    assert reader.decoded == reader.expected == 3
    with pytest.raises(UsageError):
        iter_frames(clip, start=12)
    with pytest.raises(UsageError):
        iter_frames(clip, every=0)


def test_rotation_is_applied(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", make_frames(3), 10)
    rotated = tmp_path / "rotated.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-display_rotation", "90", "-i", str(clip),
                    "-c", "copy", str(rotated)], check=True)
    info = probe(rotated)
    assert (info.width, info.height, info.rotation) == (32, 48, 270)
    assert next(iter(iter_frames(rotated)))[1].shape == (48, 32, 3)


# --- failures ------------------------------------------------------------------------------


def test_failure_leaves_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with VideoWriter(out, 10) as writer:
            writer.write(make_frames(1)[0])
            raise RuntimeError("boom")
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]  # no temp file left


@pytest.mark.parametrize("count", [1, 40])
def test_encoder_failure_is_an_output_error(tmp_path: Path, count: int) -> None:
    with pytest.raises(OutputError, match="no-such-codec"):
        write_clip(tmp_path / "bad.mp4", make_frames(count), 10, codec="no-such-codec")
    assert list(tmp_path.iterdir()) == []


def test_zero_frames(tmp_path: Path, wav: Path) -> None:
    with pytest.raises(OutputError, match="no frames"):
        with VideoWriter(tmp_path / "empty.mp4", 10):
            pass
    assert list(tmp_path.iterdir()) == []
    empty = tmp_path / "zero.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=size=32x32:rate=10",
                    "-frames:v", "0", str(empty)], check=True)
    sound_only = tmp_path / "sound.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(wav), "-c:a", "aac", str(sound_only)], check=True)
    for path in (empty, sound_only):
        with pytest.raises(InputError, match=path.name):
            probe(path)


def test_not_a_video(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_text("this is not a video")
    with pytest.raises(InputError, match="fake.mp4"):
        probe(fake)
    with pytest.raises(InputError, match="missing.mp4"):
        probe(tmp_path / "missing.mp4")
    with pytest.raises(UsageError):
        VideoWriter(tmp_path / "out.flv", 10)


def test_truncated_video_decodes_what_it_can(tmp_path: Path) -> None:
    frames = [np.random.default_rng(i).integers(0, 256, (48, 64, 3), dtype=np.uint8) for i in range(20)]
    clip = write_clip(tmp_path / "full.mp4", frames, 10)  # noise: the frame data dwarfs the header
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    reader = iter_frames(cut)
    got = [i for i, _ in reader]  # must not raise mid-way
    assert 0 < reader.decoded < reader.expected == 20
    assert got == list(range(reader.decoded))
    with pytest.raises(IncompleteInputError) as excinfo:
        reader.check_complete()
    assert excinfo.value.exit_code == 3 and "cut.mp4" in str(excinfo.value)


def test_truncated_video_warns_once(tmp_path: Path, caplog) -> None:
    # The pipeline reads a video up to three times (frames, E_warp of the output and of the
    # originals): one warning is enough.
    frames = [np.random.default_rng(i).integers(0, 256, (48, 64, 3), dtype=np.uint8) for i in range(20)]
    data = write_clip(tmp_path / "full.mp4", frames, 10).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    reader = iter_frames(cut)  # the probe warns of the damage once too
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert 0 < len(list(reader)) < 20
    assert "decoding stopped" in caplog.records[0].getMessage() and len(caplog.records) == 1


# --- frame folders -------------------------------------------------------------------------


def test_frame_folder_natural_order(tmp_path: Path) -> None:
    frames = make_frames(4, 16, 12)
    names = ["frame10.png", "frame2.JPG", "frame1.PNG", "Frame3.bmp"]
    for name, frame in zip(names, frames, strict=True):
        cv2.imwrite(str(tmp_path / name), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    (tmp_path / "notes.txt").write_text("not a frame")
    assert [p.name for p in list_frames(tmp_path)] == ["frame1.PNG", "frame2.JPG", "Frame3.bmp", "frame10.png"]
    info = probe(tmp_path)
    assert (info.is_folder, info.frame_count, info.fps, info.width, info.height) == (True, 4, 25, 16, 12)
    assert probe(tmp_path, fps=NTSC).fps == NTSC
    reader = iter_frames(tmp_path, start=1)
    decoded = list(reader)
    assert [i for i, _ in decoded] == [1, 2, 3]
    np.testing.assert_array_equal(decoded[2][1], frames[0])  # frame10.png comes last
    reader.check_complete()


def test_frame_folder_odd_size_names_the_file(tmp_path: Path) -> None:
    for i in range(3):
        write_frame(tmp_path, i, np.zeros((12, 16, 3), np.uint8))
    write_frame(tmp_path, 3, np.zeros((12, 18, 3), np.uint8))
    with pytest.raises(InputError, match=r"frame_000003\.png.*18x12.*16x12"):
        list_frames(tmp_path)


def test_frame_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no images"):
        list_frames(tmp_path)
    write_frame(tmp_path, 0, np.zeros((12, 16, 3), np.uint8))
    (tmp_path / frame_name(1)).write_bytes(b"garbage")
    with pytest.raises(InputError, match=frame_name(1)):
        list(iter_frames(tmp_path))


def test_frame_name() -> None:
    assert frame_name(1) == "frame_000001.png"
    assert frame_name(1234567) == "frame_1234567.png"
    with pytest.raises(ValueError):
        frame_name(-1)


# --- times and rates -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "fps", "frame"), [
    ("120", 25, 120), ("0", 25, 0), ("12.5s", 10, 125), ("1.5s", NTSC, 44), (".5s", 10, 5),
    ("00:01:02.5", 25, 1562), ("01:02.5", 25, 1562), ("1:00:00", 10, 36000), (" 3s ", 10, 30),
    (120, 25, 120),  # the API's int
])
def test_parse_time(text: str, fps: Fraction | int, frame: int) -> None:
    assert parse_time(text, fps) == frame


@pytest.mark.parametrize("text", ["-3", "-1.5s", "abc", "12.5", "", "1:75", "1:61:00", "1:2:3:4", "5 s",
                                  -3, 12.5, True, None])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_time(text, 25)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([NTSC, Fraction(25), Fraction(24000, 1001)]))
def test_parse_time_seconds_of_a_frame_start(frame: int, fps: Fraction) -> None:
    seconds = Fraction(frame) / fps
    text = f"{float(seconds) + 1e-6:.6f}s"  # just after the frame starts
    assert parse_time(text, fps) == frame


def test_as_fraction() -> None:
    assert as_fraction(29.97002997002997) == NTSC
    assert as_fraction(29.97) == NTSC
    assert as_fraction(23.976) == Fraction(24000, 1001)
    assert as_fraction(25.0) == Fraction(25)
    assert as_fraction("30000/1001") == NTSC and as_fraction("29.97") == NTSC
    with pytest.raises(UsageError):
        as_fraction(0)


def test_check_codec_tries_the_codec_in_the_container() -> None:
    from vidstyle.formats import check_codec

    check_codec("libx264", ".mp4")
    check_codec("mjpeg", ".avi")
    with pytest.raises(UsageError, match="cannot write it into a .mp4 file"):
        check_codec("gif", ".mp4")


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".ts"])
def test_times_in_a_variable_rate_video_follow_the_frames_timestamps(tmp_path: Path, suffix: str) -> None:
    """10 frames at 10 fps, then 30 at 30 fps: the average rate (18.75) put 1.5 s at frame 28;
    the frame on screen at 1.5 s is frame 25 (1.0 s + 15/30 s). Matroska and MPEG-TS print one
    rate (30) for both of ffmpeg's: the clip was taken for a constant 30 fps, 1.33 s long."""
    from vidstyle.config import VideoOptions
    from vidstyle.source import open_source

    clip = tmp_path / f"vfr{suffix}"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=30",
                    "-frames:v", "40", "-vf", "setpts='if(lt(N,10),N*3,30+(N-10))/(30*TB)'", "-fps_mode", "vfr",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)], check=True, capture_output=True)
    info = probe(clip)
    assert info.variable_rate and info.frame_count == 40 and 1.9 < info.duration < 2.2
    reader = open_source(clip, VideoOptions(start="1.5s", end="00:01.9"))
    assert (reader.start, reader.end) == (25, 37) and reader.start_seconds == pytest.approx(1.5)
    reader = open_source(clip, VideoOptions(start="0.55s", end=30))  # a frame index is an index
    assert (reader.start, reader.end) == (5, 30) and reader.start_seconds == pytest.approx(0.5)
    assert open_source(clip, VideoOptions(end="100s")).expected == 40  # past the end: the last frame kept
    with pytest.raises(UsageError, match="past the last frame"):
        open_source(clip, VideoOptions(start="2.5s"))


@pytest.mark.parametrize("rate, suffix, count", [("1", ".mkv", 12), ("1", ".mkv", 3), ("30000/1001", ".mkv", 12),
                                                ("144", ".mkv", 12), ("25", ".ts", 12)])
def test_constant_rate_matroska_and_ts_read_as_constant(tmp_path: Path, rate: str, suffix: str, count: int) -> None:
    """Evenly spaced timestamps are a constant rate, to the container's rounding (1 ms in
    matroska). A 1 fps mkv, which ffmpeg prints as '1 fps, 2 tbr', was called variable-rate."""
    clip = tmp_path / f"constant{suffix}"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=64x48:rate={rate}",
                    "-frames:v", str(count), "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)], check=True,
                   capture_output=True)
    info = probe(clip)
    assert not info.variable_rate and info.fps == Fraction(rate) and info.frame_count == count


def test_a_variable_rate_mp4_lasts_as_long_as_its_frames(tmp_path: Path) -> None:
    """12 fps for 1.5 s, then 6 fps: ffmpeg's MP4 average (9.82 fps) leaves out the last frame's
    duration, and the painted copy lasted 2.75 s of 3, its sound cut to match. (For 12 fps for
    0.5 s, then 6 fps, ffmpeg said '12 fps, 12 tbr': not variable at all.)"""
    clip = tmp_path / "vfr.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=12:duration=3",
                    "-vf", "select='lt(n,18)+not(mod(n,2))'", "-fps_mode", "vfr", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(clip)], check=True, capture_output=True)
    info = probe(clip)
    assert info.variable_rate and info.frame_count == 27 and info.fps == 9 and info.duration == pytest.approx(3.0)


def test_an_even_rate_near_a_common_one_is_that_rate() -> None:
    """An NTSC clip remuxed from milliseconds read as 19499/813 fps (OpenCV's 23.984 kept, 2 %
    from the spacing): 0.03 % fast, 0.2 s against the sound over 10 minutes (the second audit)."""
    ntsc = PacketSpan(72, True, 0.0, 72 * 1.001 / 24, 71 * 1.001 / 24, True)
    assert timestamps_rate(ntsc, Fraction(19499, 813)) == (False, Fraction(24000, 1001))
    odd = PacketSpan(30, True, 0.0, 30 / 27.5, 29 / 27.5, True)  # not a common rate: the header's, where it agrees
    assert timestamps_rate(odd, Fraction(55, 2)) == (False, Fraction(55, 2))


def test_a_retimed_output_is_paired_by_first_showings() -> None:
    """warp-error on a variable-rate input's output: each frame's first showing is its own. A
    GIF reads back 30000/1001 as 30 fps, and the pairing was skipped ("differ in length")."""
    from types import SimpleNamespace

    from vidstyle.source import as_shown

    class Reader(list):  # (index, frame) pairs, and what as_shown reads of a FrameReader
        pass

    step = 1001 / 30000
    original = Reader((k, np.full((2, 2, 3), k, np.uint8)) for k in range(5))
    original.times, original.start, original.stop, original.every = [0, step, 2 * step, 4 * step, 6 * step], 0, 5, 1
    original.info = SimpleNamespace(duration=8 * step)  # shown 1, 1, 2, 2, 2 times at 30000/1001
    for read_back in (Fraction(30000, 1001), Fraction(30)):  # an mp4's rate, a GIF's
        stylized = Reader(enumerate(np.full((2, 2, 3), k, np.uint8) for k in [0, 1, 2, 2, 3, 3, 4, 4]))
        stylized.info = SimpleNamespace(fps=read_back, frame_count=8)
        painted, originals = as_shown(stylized, original)
        assert [int(f[0, 0, 0]) for f in painted] == [int(f[0, 0, 0]) for f in originals] == [0, 1, 2, 3, 4]


def test_packets_without_timestamps_count_but_tell_no_rate() -> None:
    """An mkv stamped from a negative start (a review's): 13 of 50 packets had no timestamp
    (AV_NOPTS_VALUE), and probing it raised ZeroDivisionError."""
    untimed = "".join(f"0, {k * 40}, -9223372036854775808, 40, 12, 0x0\n" for k in range(3))
    timed = "".join(f"0, {k * 40}, {k * 40}, 40, 12, 0x0\n" for k in range(3, 6))
    span = packet_span("#tb 0: 1/1000\n" + untimed + timed)
    assert span is not None and span.frames == 6 and not span.timed
    assert timestamps_rate(span, Fraction(25)) is None  # the header's rate stands


def test_a_variable_rate_range_is_retimed_at_a_steady_rate() -> None:
    """Each frame is shown from its own time at the median spacing's rate: at the average rate
    the picture drifted against the sound mid-clip (222 ms early, then 56 ms late, in an audit)."""
    times = [k / 12 for k in range(18)] + [k / 12 for k in range(18, 36, 2)]  # 12 fps, then 6 fps
    assert steady_timing(times, 0, 27, 1, 3.0) == (12, [1] * 18 + [2] * 9)
    assert steady_timing(times, 0, 27, 2, 3.0) == (6, [1] * 9 + [2] * 4 + [1])  # a frame lasts until the next taken
    assert steady_timing(times, 4, 20, 1, 3.0) == (12, [1] * 14 + [2, 2])  # the last, until the input's next frame
    burst = [0, 0.1, 0.2, 0.3, 0.31, 0.4, 0.5, 0.6, 0.7]
    assert steady_timing(burst, 0, 9, 1, 0.8) == (10, [1, 1, 1, 0, 1, 1, 1, 1, 1])  # within a step of the next
    assert steady_timing(times, 0, 40, 1, 3.0) is None  # the timestamps miss the range
    # The review's cases: one frame taken at the clip's end was shown 0 times (an output of no
    # frames, and "bad sound window" after all the work); millisecond stamps put 60 fps at 58.8
    # (frames left out); a time that goes back gave a negative repeat.
    assert steady_timing(times, 25, 27, 5, 3.0) == (Fraction(6, 5), [1])
    in_ms = [round(k * 1000 / 60) / 1000 for k in range(300)]  # 0, 17, 33, 50, 67 ms, …
    assert steady_timing(in_ms, 0, 300, 1, 5.0) == (60, [1] * 300)
    assert steady_timing([0, 0.1, 0.2, 0.05, 0.3, 0.4], 0, 6, 1, 0.5) == (10, [1, 1, 0, 1, 1, 1])
    # The second audit's: a range from an odd frame of 30 fps, then 15 fps, put the 15 fps frames
    # half a step apart at the median's 15 fps, and round() alternated (frames left out, +33 ms).
    times = [k / 30 for k in range(60)] + [2 + k / 15 for k in range(45)]
    assert steady_timing(times, 45, 97, 1, 5.0) == (30, [1] * 15 + [2] * 37)
    jittered = [k / 30 + 0.003 * np.sin(7.1 * k) for k in range(150)]  # a phone's ±3 ms
    assert steady_timing(jittered, 0, 150, 1, 5.0) == (30, [1] * 150)
    assert first_showings([1, 0, 2, 1]) == [0, 1, 3]


@pytest.mark.parametrize("rate, read", [(Fraction(30000, 1001), 30), (24, 24), (60, 60), (15, 15)])
def test_a_gif_reads_back_at_its_rate(tmp_path: Path, rate: Fraction | int, read: int) -> None:
    """GIF delays are whole hundredths of a second (30 fps is 3, 3, 4 cs, …): ffmpeg's header said
    33.33 fps for a 30 fps GIF, which was read as variable-rate and played 11 % fast."""
    info = probe(write_clip(tmp_path / "clip.gif", make_frames(30), rate))
    assert not info.variable_rate and info.fps == read and info.duration == pytest.approx(30 / read)


def test_a_gif_with_a_held_frame_is_variable_rate(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    listing = []
    for k, frame in enumerate(make_frames(6)):
        listing += [f"file '{write_frame(frames, k, frame)}'", f"duration {1.0 if k == 0 else 0.2}"]  # the first held 1 s
    (tmp_path / "list.txt").write_text("\n".join(listing + [listing[-2]]) + "\n")
    clip = tmp_path / "held.gif"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "concat", "-safe", "0", "-i", str(tmp_path / "list.txt"),
                    "-fps_mode", "vfr", str(clip)], check=True, capture_output=True)
    info = probe(clip)
    assert info.variable_rate and info.frame_count == 7 and 2.0 < info.duration < 2.25  # the last delay is ffmpeg's


@pytest.mark.parametrize("filters, frames, fps, variable", [
    ("select='not(eq(n,10))'", 49, Fraction(49, 2), True),  # a dropped frame: the average over 2 s
    ("setpts=5*PTS", 10, Fraction(5), False),  # evenly 200 ms apart; the header says 25
])
def test_matroska_rates_come_from_the_timestamps(tmp_path: Path, filters: str, frames: int, fps: Fraction,
                                                 variable: bool) -> None:
    """Uneven frames kept the header's 25 fps; even ones got the span's average, whose last frame
    lasts the header's 40 ms (5.4 fps for 5)."""
    clip = tmp_path / "clip.mkv"
    seconds = 2 if variable else 0.4  # 50 or 10 frames in
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=64x48:rate=25:duration={seconds}",
                    "-vf", filters, "-fps_mode", "passthrough",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)], check=True, capture_output=True)
    info = probe(clip)
    assert (info.frame_count, info.fps, info.variable_rate) == (frames, fps, variable)


def test_a_signal_as_ffmpeg_is_forked_stops_the_run_and_the_child(monkeypatch, ctrl_c) -> None:
    """Ctrl-C during the fork is noted and raised just after (inside logging's at-fork hook it was
    lost), and the child just started is killed, not left running."""
    import os
    import signal
    import time

    import vidstyle.ffmpeg as ffmpeg_module

    started = []
    real_popen = subprocess.Popen

    def popen_then_ctrl_c(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        os.kill(os.getpid(), signal.SIGINT)
        return proc

    monkeypatch.setattr(ffmpeg_module.subprocess, "Popen", popen_then_ctrl_c)
    tick = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ffmpeg_module.run(["sleep", "5"])
    assert time.monotonic() - tick < 3 and started[0].poll() is not None  # killed, not waited for


def test_a_cut_made_without_reencoding_counts_the_frames_it_shows(tmp_path: Path) -> None:
    """`ffmpeg -ss 1.3 -i in.mp4 -c copy cut.mp4` keeps the frames from the keyframe before 1.3 s,
    hidden by an edit list: 100 packets, 67 frames shown. Counting packets made a whole cut read as
    truncated (exit 3)."""
    whole, cut = tmp_path / "whole.mp4", tmp_path / "cut.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-t", "4",
                    "-pix_fmt", "yuv420p", str(whole)], check=True, capture_output=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", "1.3", "-i", str(whole), "-c", "copy", str(cut)],
                   check=True, capture_output=True)
    info = probe(cut)
    reader = iter_frames(cut, info=info)
    shown = sum(1 for _ in reader)
    assert info.frame_count == shown and not info.variable_rate and info.fps == 25
    reader.check_complete()  # not "truncated"


def test_a_writer_stopped_before_its_first_frame_leaves_no_warning(tmp_path: Path, caplog) -> None:
    """A stop as the encoder starts: imageio-ffmpeg's "no frames have been written" came before
    the stop's one line (docs/RELIABILITY.md)."""
    import logging

    from vidstyle.encode import VideoWriter

    writer = VideoWriter(tmp_path / "a.mp4", 10)
    writer._start(64, 48)
    with caplog.at_level(logging.WARNING):
        writer.abort()
    assert not caplog.records and not list(tmp_path.iterdir())


def test_an_ffmpeg_that_crashes_is_named_as_such(tmp_path: Path, monkeypatch) -> None:
    """A crashed ffmpeg (imageio-ffmpeg 0.7.0's segfaults on MPEG-TS on some machines) was
    reported as "neither an image nor a video ffmpeg can read (no output from ffmpeg)"."""
    import vidstyle.ffmpeg as ffmpeg_module

    crashing = tmp_path / "ffmpeg"
    crashing.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crashing.chmod(0o755)
    clip = tmp_path / "clip.ts"
    clip.write_bytes(b"\0" * 188)
    monkeypatch.setattr(ffmpeg_module, "ffmpeg_exe", lambda: str(crashing))
    with pytest.raises(InputError, match=r"crashed reading it \(signal 11\)"):
        probe(clip)
