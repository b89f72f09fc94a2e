"""vidstyle: neural style transfer by optimisation for images and videos, stable over time.

The public functions are imported lazily so that ``vidstyle --help`` does not load TensorFlow.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["loss_terms", "stylize_image", "stylize_video", "iter_stylized_frames"]

_HOMES = {
    "loss_terms": "api",
    "stylize_image": "api",
    "stylize_video": "pipeline",
    "iter_stylized_frames": "pipeline",
}


def __getattr__(name: str):
    import importlib

    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    if name in ("device", "errors"):  # vidstyle.device.select("cpu") before the first call; the exceptions
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'vidstyle' has no attribute {name!r}")
