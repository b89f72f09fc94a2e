"""Draw the sample inputs in samples/: content.png, style.png and clip.mp4 (with sound).

Everything is drawn with numpy/OpenCV from a fixed seed, so the repository needs no
downloaded pictures and a second run gives the same frames. The clip is built to exercise
the video path: a camera pan (global motion), two shapes crossing (occlusion), one scene cut
at frame 20 (flow must not be trusted across it) and a sound track (must survive encoding).

Usage: python scripts/make_samples.py [--out samples]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import wave
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vidstyle.encode import VideoWriter  # noqa: E402
from vidstyle.images import write_image  # noqa: E402

SEED = 1234
CLIP_SIZE = (160, 120)  # width, height
CLIP_FPS = 10
CLIP_FRAMES = 30
CUT_AT = 20
SAMPLE_RATE = 22050


def _vertical_gradient(height: int, width: int, top: tuple, bottom: tuple) -> np.ndarray:
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = (1 - t) * np.array(top, np.float32) + t * np.array(bottom, np.float32)
    return np.repeat(column, width, axis=1).astype(np.uint8)


def _hill(img: np.ndarray, base: float, amp: float, freq: float, phase: float, colour: tuple) -> None:
    """Fill everything below a smooth ridge line (a sum of two sines) with one colour."""
    h, w = img.shape[:2]
    x = np.arange(w)
    ridge = base + amp * np.sin(x * freq + phase) + amp * 0.4 * np.sin(x * freq * 2.7 + phase * 1.3)
    points = np.concatenate([np.stack([x, ridge], 1), [[w - 1, h], [0, h]]]).astype(np.int32)
    cv2.fillPoly(img, [points], colour, lineType=cv2.LINE_AA)


def draw_content() -> np.ndarray:
    """A 256×192 landscape: sky gradient, sun, two hill ranges, a house and a tree (RGB)."""
    img = _vertical_gradient(192, 256, (40, 90, 190), (190, 215, 240))
    cv2.circle(img, (200, 42), 26, (255, 230, 150), -1, cv2.LINE_AA)
    cv2.circle(img, (200, 42), 18, (255, 200, 60), -1, cv2.LINE_AA)
    _hill(img, 120, 12, 0.025, 0.5, (70, 140, 70))
    _hill(img, 150, 8, 0.04, 2.0, (40, 105, 45))
    cv2.rectangle(img, (70, 112), (130, 160), (200, 170, 120), -1)  # walls
    roof = np.array([[62, 114], [100, 82], [138, 114]], np.int32)
    cv2.fillPoly(img, [roof], (150, 50, 40), lineType=cv2.LINE_AA)
    cv2.rectangle(img, (92, 132), (108, 160), (90, 55, 30), -1)  # door
    for x in (76, 114):
        cv2.rectangle(img, (x, 122), (x + 12, 134), (120, 190, 230), -1)
        cv2.rectangle(img, (x, 122), (x + 12, 134), (60, 40, 30), 1)
    cv2.rectangle(img, (180, 125), (188, 165), (100, 70, 40), -1)  # trunk
    cv2.circle(img, (184, 118), 17, (30, 120, 50), -1, cv2.LINE_AA)
    return img


def draw_style(rng: np.random.Generator) -> np.ndarray:
    """A 256×256 'painting': curved brush strokes that follow a swirling field (RGB)."""
    palette = [(230, 70, 40), (250, 190, 30), (40, 80, 190), (25, 140, 120),
               (120, 40, 150), (245, 235, 210), (20, 30, 70)]
    img = np.zeros((256, 256, 3), np.uint8)
    img[:] = (50, 60, 130)
    swirl_centres = rng.uniform(0, 256, (4, 2))
    for _ in range(900):
        point = rng.uniform(-10, 266, 2)
        colour = palette[int(rng.integers(len(palette)))]
        width = int(rng.integers(2, 6))
        pts = [point.copy()]
        for _ in range(int(rng.integers(4, 9))):
            # Direction: around the nearest swirl centre, bent by a slow sine field.
            dx, dy = point - swirl_centres[np.argmin(((swirl_centres - point) ** 2).sum(1))]
            angle = np.arctan2(dy, dx) + np.pi / 2 + 0.6 * np.sin(point[0] / 40) * np.cos(point[1] / 35)
            point = point + 3.0 * np.array([np.cos(angle), np.sin(angle)])
            pts.append(point.copy())
        # Hard edges (no anti-aliasing): eight flat colours keep the PNG at ~40 KB.
        cv2.polylines(img, [np.array(pts, np.int32)], False, colour, width, cv2.LINE_8)
    return img


def _panorama(rng: np.random.Generator, width: int, height: int, warm: bool) -> np.ndarray:
    """A wide background to pan over: a gradient with soft blobs and vertical posts (RGB)."""
    top, bottom = ((250, 170, 80), (120, 40, 30)) if warm else ((60, 120, 200), (40, 110, 60))
    img = _vertical_gradient(height, width, top, bottom)
    for _ in range(18):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        colour = tuple(int(c) for c in rng.integers(40, 230, 3))
        cv2.circle(img, centre, int(rng.integers(5, 16)), colour, -1, cv2.LINE_AA)
    for x in range(8, width, 37):  # posts: strong vertical edges that make the pan visible
        cv2.rectangle(img, (x, height // 2), (x + 4, height), (30, 25, 20) if warm else (235, 235, 225), -1)
    return img


def draw_clip_frames(rng: np.random.Generator) -> list[np.ndarray]:
    """30 frames: a pan with two crossing shapes, then a cut to another scene at frame 20."""
    width, height = CLIP_SIZE
    scenes = [_panorama(rng, width + 3 * CLIP_FRAMES, height, warm=False),
              _panorama(rng, width + 3 * CLIP_FRAMES, height, warm=True)]
    frames = []
    for i in range(CLIP_FRAMES):
        after_cut = i >= CUT_AT
        k = i - CUT_AT if after_cut else i
        offset = 3 * i if not after_cut else 3 * CLIP_FRAMES - 4 * k  # the pan reverses at the cut
        frame = np.ascontiguousarray(scenes[after_cut][:, offset:offset + width])
        if not after_cut:
            # The square moves left, the disc moves right and passes in front of it.
            sx, dx = 120 - 5 * k, 20 + 6 * k
            cv2.rectangle(frame, (sx - 14, 45), (sx + 14, 73), (40, 60, 220), -1)
            cv2.circle(frame, (dx, 62), 13, (230, 40, 40), -1, cv2.LINE_AA)
        else:
            cv2.ellipse(frame, (40 + 8 * k, 80 - 3 * k), (20, 10), 10 * k, 0, 360, (20, 200, 220), -1,
                        cv2.LINE_AA)
        frames.append(frame)
    return frames


def write_melody(path: Path, seconds: float) -> None:
    """A mono 16-bit WAV: a short sine melody with soft note edges (no clicks)."""
    notes = [262, 330, 392, 523, 392, 330, 294, 349]
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    note_len = seconds / len(notes)
    freq = np.array(notes, np.float64)[np.minimum((t / note_len).astype(int), len(notes) - 1)]
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    within = (t % note_len) / note_len
    envelope = np.minimum(1.0, np.minimum(within, 1 - within) * 20)
    samples = (0.4 * envelope * np.sin(phase) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.tobytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "samples",
                        help="folder to write into (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)

    write_image(args.out / "content.png", draw_content())
    write_image(args.out / "style.png", draw_style(rng))
    frames = draw_clip_frames(rng)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "melody.wav"
        write_melody(wav, CLIP_FRAMES / CLIP_FPS)
        with VideoWriter(args.out / "clip.mp4", CLIP_FPS, crf=23, audio_from=wav, audio_bitrate="32k") as out:
            for frame in frames:
                out.write(frame)
    for name in ("content.png", "style.png", "clip.mp4"):
        print(f"{args.out / name}: {(args.out / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
