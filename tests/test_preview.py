"""The preview image: original and current side by side, whatever size the current one has."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidstyle.cli import main
from vidstyle.images import read_image
from vidstyle.preview import Preview, compose


def test_compose_puts_the_current_image_beside_the_original_at_its_size():
    original = np.full((48, 64, 3), 200, np.uint8)
    coarse = np.full((24, 32, 3), 300.0, np.float32)  # --scales: a half-size start, out of range
    image = compose(original, coarse, "it 3")
    scale = 256 // 48  # small work sizes are enlarged to stay visible
    assert image.shape == (48 * scale + 28, 128 * scale, 3)
    assert (image[: 48 * scale, : 64 * scale] == 200).all()
    assert (image[: 48 * scale, 64 * scale:] == 255).all()  # clipped to the pixel range


def test_preview_file_is_rewritten(tmp_path):
    path = tmp_path / "preview.jpg"
    preview = Preview(str(path), window=False, every=5)
    assert preview.active
    original = np.zeros((300, 400, 3), np.uint8)
    preview.show(original, np.full((300, 400, 3), 128.0), "it 5")
    first = read_image(path)
    preview.show(original, np.full((150, 200, 3), 255.0), "it 10")
    second = read_image(path)
    assert first.shape == second.shape == (328, 800, 3)
    assert second[:300, 400:].mean() > first[:300, 400:].mean() + 100


def test_image_run_writes_a_preview_with_scales(tmp_path):

    samples = Path(__file__).resolve().parents[1] / "samples"
    path = tmp_path / "preview.jpg"
    code = main(["stylize", str(samples / "content.png"), "-s", str(samples / "style.png"), "-o",
                 str(tmp_path / "out.png"), "--weights", "random", "--size", "64", "--iterations", "4",
                 "--scales", "2", "--preview", str(path), "--preview-every", "2", "-q"])
    assert code == 0 and (tmp_path / "out.png").exists()
    height, width = read_image(tmp_path / "out.png").shape[:2]
    scale = max(1, 256 // height)
    assert read_image(path).shape == (height * scale + 28, 2 * width * scale, 3)
