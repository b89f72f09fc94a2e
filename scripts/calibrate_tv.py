"""γ (--tv-weight) equal to the TensorFlow tutorial's TV weight at its working size.

The tutorial adds 30 · tf.image.total_variation(x) with x on [0, 1] (anisotropic: Σ|Δx|+|Δy|,
summed over all pixels) at a longest side of 512. Our term is γ · L_tv / ((H-1)(W-1)·3) with the
isotropic L_tv on 0-255 (METHOD.md 3). Matching the two on the samples at 512×384 gives γ.

    python scripts/calibrate_tv.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidstyle.images import read_image  # noqa: E402


def tutorial_tv(x01: np.ndarray) -> float:
    return float(np.abs(np.diff(x01, axis=0)).sum() + np.abs(np.diff(x01, axis=1)).sum())


def our_tv_per_difference(x255: np.ndarray) -> float:
    base = x255[:-1, :-1]
    tv = np.sqrt((x255[1:, :-1] - base) ** 2 + (x255[:-1, 1:] - base) ** 2 + 1e-4).sum()
    return float(tv / ((x255.shape[0] - 1) * (x255.shape[1] - 1) * 3))


def main() -> None:
    for name in ("content", "style"):
        image = read_image(ROOT / "samples" / f"{name}.png")
        x = cv2.resize(image, (512, 384), interpolation=cv2.INTER_LANCZOS4).astype(np.float64)
        gamma = 30 * tutorial_tv(x / 255) / our_tv_per_difference(x)
        print(f"samples/{name}.png at 512x384: γ = {gamma:.3g}")


if __name__ == "__main__":
    main()
