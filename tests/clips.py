"""Tiny synthetic clips for the video tests."""

from __future__ import annotations

import wave
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from vidstyle.encode import VideoWriter
from vidstyle.images import write_image
from vidstyle.workdir import frame_name

NTSC = Fraction(30000, 1001)


def make_frames(count: int, width: int = 48, height: int = 32, seed: int = 0) -> list[np.ndarray]:
    """Smooth frames that differ from each other (a moving gradient plus a bright square)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3)).astype(np.uint8)
    base = cv2.resize(base, (width, height), interpolation=cv2.INTER_LINEAR)
    frames = []
    for i in range(count):
        frame = np.roll(base, i, axis=1).copy()
        frame[4:12, (2 * i) % (width - 8):(2 * i) % (width - 8) + 8] = 255
        frames.append(frame)
    return frames


def write_clip(path: Path, frames: list[np.ndarray], fps: Fraction | float, **kwargs) -> Path:
    with VideoWriter(path, fps, **kwargs) as out:
        for frame in frames:
            out.write(frame)
    return path


def write_wav(path: Path, seconds: float, rate: int = 22050, silent: float = 0.0) -> Path:
    """A 440 Hz tone of `seconds`, after `silent` seconds of silence."""
    t = np.arange(int(seconds * rate)) / rate
    tone = np.r_[np.zeros(int(silent * rate)), np.sin(2 * np.pi * 440 * t) * 12000]
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(tone.astype(np.int16).tobytes())
    return path


def write_frame(folder: Path, index: int, frame_rgb: np.ndarray) -> Path:
    """Write frame `index` as folder/frame_NNNNNN.png, the name a run's frame output uses."""
    path = Path(folder) / frame_name(index)
    write_image(path, frame_rgb)
    return path
