"""Live preview: the original frame beside its current stylisation, with a caption."""

from __future__ import annotations

import logging
import os

import cv2
import numpy as np

from .errors import OutputError
from .images import write_image

log = logging.getLogger(__name__)


def compose(original_rgb: np.ndarray, current_rgb: np.ndarray, caption: str) -> np.ndarray:
    """Side by side; a pair up to 128 px high is enlarged by a whole factor, so small sizes stay visible.

    The current image is scaled to the original's size: with --scales it starts smaller."""
    current = np.clip(current_rgb, 0, 255).astype(np.uint8)
    height, width = original_rgb.shape[:2]
    if current.shape[:2] != (height, width):
        current = cv2.resize(current, (width, height), interpolation=cv2.INTER_NEAREST)
    pair = np.concatenate([original_rgb.astype(np.uint8), current], axis=1)
    scale = max(1, 256 // pair.shape[0])
    if scale > 1:
        pair = cv2.resize(pair, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    bar = np.full((28, pair.shape[1], 3), 24, np.uint8)
    cv2.putText(bar, caption, (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (240, 240, 240), 1, cv2.LINE_AA)
    return np.concatenate([pair, bar], axis=0)


class Preview:
    """Writes the preview image atomically (any viewer or browser can watch the file) and/or
    shows it in an OpenCV window where one can be opened."""

    def __init__(self, path: str | None, window: bool, every: int):
        self.path, self.every = path, every
        self.window = window and self._open_window()

    @staticmethod
    def _open_window() -> bool:
        if os.name != "nt" and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            log.warning("--preview-window: no display here; use --preview PATH.jpg and open that file")
            return False
        try:
            cv2.namedWindow("vidstyle", cv2.WINDOW_NORMAL)
            return True
        except cv2.error:
            log.warning("--preview-window: this OpenCV build has no GUI support; use --preview PATH.jpg")
            return False

    @property
    def active(self) -> bool:
        return bool(self.path) or self.window

    def show(self, original_rgb: np.ndarray, current_rgb: np.ndarray, caption: str) -> None:
        image = compose(original_rgb, current_rgb, caption)
        if self.path:
            try:
                write_image(self.path, image)
            except OutputError as exc:  # a convenience: losing it must not stop the run
                log.warning("--preview: %s; the run goes on without it", exc)
                self.path = None
        if self.window:
            cv2.imshow("vidstyle", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            cv2.waitKey(1)
