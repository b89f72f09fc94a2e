"""What an image run and a video run share, before and after the optimisation: inputs as RGB
arrays, the cached engine, the style targets, colours, starting images and working sizes.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence

import cv2
import numpy as np

from .config import StyleOptions
from .device import resolve_precision
from .errors import InputError, UsageError
from .images import fit_size, read_image, resize, three_channels
from .multiscale import scale_sizes
from .optimize import Engine
from .vgg import min_long_side, min_short_side

ImageLike = np.ndarray | str | os.PathLike
OFF_SCALE = 128.0  # beyond 0-255 by more than this, an array is on another scale, not overshooting


def _pil_rgb(image: object) -> np.ndarray | None:
    """A PIL image as an RGB(A) array, its palette or CMYK converted (as an array they were palette
    indices read as gray, and an all-white picture); None for anything else."""
    convert, mode = getattr(image, "convert", None), getattr(image, "mode", None)
    if not callable(convert) or not isinstance(mode, str):
        return None
    alpha = "A" in mode or "transparency" in getattr(image, "info", {})
    return np.asarray(convert("RGBA" if alpha else "RGB"))


def as_rgb(image: ImageLike | object, what: str) -> np.ndarray:
    """An RGB float32 array on 0-255 from an image path or an array.

    Arrays get what files get (images.three_channels): 16 bits scaled to 8, gray repeated to RGB,
    alpha composited on white. A float array in [0, 1] (what matplotlib and scikit-image give) is refused,
    not guessed at: on the 0-255 scale it would be a black image.
    """
    if isinstance(image, (str, os.PathLike)):
        image = read_image(image)
    pil = _pil_rgb(image)
    array = np.asarray(image) if pil is None else pil
    if array.dtype.kind == "f" and not np.isfinite(array).all():  # it failed only after the optimiser's retries
        raise InputError(f"{what}: holds NaN or infinite values")
    if array.dtype.kind == "f" and array.size and 0 < array.max() <= 1.0:
        raise InputError(f"{what}: a float array with values in [0, 1]; vidstyle takes 0-255 (multiply by 255)")
    if array.dtype.kind not in "uif":
        raise InputError(f"{what}: unsupported pixel type {array.dtype}")
    rgb = three_channels(array)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError(f"{what}: expected an H×W×3 RGB array (or gray H×W, RGBA H×W×4), got shape {array.shape}")
    low, high = float(rgb.min(initial=0.0)), float(rgb.max(initial=0.0))
    if low < -OFF_SCALE or high > 255 + OFF_SCALE:  # another scale (16-bit in int32, HDR): garbage if taken
        raise InputError(f"{what}: values from {low:g} to {high:g}; vidstyle takes 0-255 (uint8, or numbers on that scale)")
    return np.clip(rgb, 0.0, 255.0)  # what is left: a resampling's overshoot


def as_list(styles: ImageLike | Sequence[ImageLike]) -> list[ImageLike]:
    if isinstance(styles, (np.ndarray, str, os.PathLike)):
        return [styles]
    if hasattr(styles, "__array_interface__"):  # one image of another kind (PIL's), not a list of them
        return [as_rgb(styles, "style")]
    styles = list(styles)
    if not styles:
        raise UsageError("--style: at least one style image is needed")
    return styles


@functools.lru_cache(maxsize=2)
def engine_for(network: tuple) -> Engine:
    """Engines are costly (network, weights, compilation): reuse one per network configuration."""
    weights, pooling, content_layers, style_layers, layer_weights, precision = network
    return Engine(
        StyleOptions(
            weights=weights,
            pooling=pooling,
            content_layers=content_layers,
            style_layers=style_layers,
            style_layer_weights=layer_weights,
            precision=precision,
            optimizer="adam",  # the engine holds the network; each optimize() call names its optimiser
        )
    )


def get_engine(o: StyleOptions) -> Engine:
    o = resolve_precision(o)
    return engine_for(
        (o.weights, o.pooling, o.content_layers, o.style_layers, o.style_layer_weights, o.precision)
    )


def blend_weights(o: StyleOptions, count: int) -> tuple[float, ...]:
    raw = o.style_blend or (1.0,) * count
    if len(raw) != count:
        raise UsageError(f"--style-blend: {len(raw)} weights for {count} style images")
    return tuple(w / sum(raw) for w in raw)


def coefficients(o: StyleOptions, temporal: float = 0.0) -> tuple[float, float, float, float]:
    return (o.content_weight, o.style_weight, o.tv_weight, temporal)


def _ycrcb(rgb: np.ndarray) -> np.ndarray:
    """YCrCb (BT.601) on [0, 1] of an RGB image on 0-255."""
    return cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2YCrCb)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Y of YCrCb (BT.601), replicated to three channels."""
    return np.repeat(_ycrcb(rgb)[..., :1] * 255.0, 3, axis=2)


def match_luminance(style_y: np.ndarray, content_y: np.ndarray) -> np.ndarray:
    """Shift and scale the style's luminance to the content's mean and spread (Gatys et al. 2016b)."""
    scale = content_y.std() / max(style_y.std(), 1e-6)
    return np.clip((style_y - style_y.mean()) * scale + content_y.mean(), 0, 255)


def with_content_colors(result_rgb: np.ndarray, content_rgb: np.ndarray) -> np.ndarray:
    """The result's luminance with the content's chroma: --preserve-colors."""
    con = _ycrcb(content_rgb)
    con[..., 0] = _ycrcb(result_rgb)[..., 0]
    return np.clip(cv2.cvtColor(con, cv2.COLOR_YCrCb2RGB) * 255.0, 0, 255)


def style_size(style: np.ndarray, size: tuple[int, int], o: StyleOptions) -> tuple[int, int]:
    """(w, h) a style image is scaled to: its longest side --style-scale × the working longest side."""
    return fit_size(style.shape[1], style.shape[0], max(1, round(max(size) * o.style_scale)))


def prepare_styles(
    styles: list[np.ndarray], size: tuple[int, int], o: StyleOptions, content: np.ndarray | None
) -> list[np.ndarray]:
    """Style images scaled so their longest side is style_scale × the working longest side.

    With --preserve-colors they become luminance, matched to the content's when one is given
    (a video's frames vary, so there the style's own luminance is kept).
    """
    out = []
    for style in styles:
        style = resize(style, *style_size(style, size, o))
        if o.preserve_colors:
            style = luminance(style)
            if content is not None:
                style = match_luminance(style, luminance(content))
        out.append(style.astype(np.float32))
    return out


def check_init(init: str) -> None:
    """An --init image (not 'content' or 'noise') must be readable before any work."""
    if init not in ("content", "noise"):
        as_rgb(init, "--init")  # InputError naming the file


def initial_image(init: str, content: np.ndarray, seed: int) -> np.ndarray:
    if init == "content":
        return content.copy()
    if init == "noise":
        return np.random.default_rng(seed).uniform(0, 255, content.shape).astype(np.float32)
    start = as_rgb(init, "--init")
    return resize(start, content.shape[1], content.shape[0]).astype(np.float32)


def checked_size(width: int, height: int, o: StyleOptions, what: str) -> tuple[int, int]:
    """The working size of a width×height input, refused with one line where the chosen layers
    would see nothing (too small a side pools to zero positions, and the backend aborts)."""
    w, h = working_size(width, height, o.size)
    need = min_short_side(o.layers)
    if min(w, h) < need:
        if min(width, height) < need:
            raise InputError(f"{what}: {width}x{height} is too small; the chosen layers need {need} px on each side")
        enough = math.ceil(need * max(width, height) / min(width, height))
        raise UsageError(f"--size {o.size}: makes {what} {w}x{h}, below the {need} px on each side that the "
                         f"chosen layers need; use --size {enough} or more")
    if o.scales > 1:
        scale_sizes(w, h, o.scales, min_long_side(o.layers))  # UsageError when the coarsest is too small
    return w, h


def check_styles_at(styles: Sequence[np.ndarray], size: tuple[int, int], o: StyleOptions) -> None:
    """Each style image, as prepare_styles scales it, still large enough for the layers."""
    need = min_short_side(o.layers)
    for number, style in enumerate(styles, start=1):
        w, h = style_size(style, size, o)
        if min(w, h) < need:
            raise UsageError(f"--style-scale {o.style_scale}: style image {number} becomes {w}x{h}, below the "
                             f"{need} px on each side that the chosen layers need")


def working_size(width: int, height: int, size: int | None) -> tuple[int, int]:
    """The working resolution: longest side `size`, never enlarged beyond the input."""
    if size is None or size >= max(width, height):
        return width, height
    return fit_size(width, height, size)

