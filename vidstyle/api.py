"""The Python API: stylize_image and loss_terms (stylize_video lives in pipeline.py).

Arrays are H×W×3 RGB on the 0-255 scale; options are the CLI's options by their Python names.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from collections.abc import Sequence

import cv2
import numpy as np

from .config import StyleOptions
from .device import resolve_precision
from .errors import InputError, UsageError
from .images import fit_size, read_image, resize, three_channels
from .losses import TOTAL
from .multiscale import optimize_scales, resize_batch, scale_sizes
from .optimize import Engine, IterationCallback, Result, Targets
from .vgg import min_short_side, min_long_side

log = logging.getLogger(__name__)

ImageLike = np.ndarray | str | os.PathLike


def as_rgb(image: ImageLike, what: str) -> np.ndarray:
    """An RGB float32 array on 0-255 from an image path or an array.

    Arrays get what files get (images.three_channels): 16 bits scaled to 8, gray repeated to RGB,
    alpha composited on white. A float array in [0, 1] (what matplotlib and scikit-image give) is refused,
    not guessed at: on the 0-255 scale it would be a black image.
    """
    if isinstance(image, (str, os.PathLike)):
        image = read_image(image)
    array = np.asarray(image)
    if array.dtype.kind == "f" and array.size and 0 < np.nanmax(array) <= 1.0:
        raise InputError(f"{what}: a float array with values in [0, 1]; vidstyle takes 0-255 (multiply by 255)")
    if array.dtype.kind not in "uif":
        raise InputError(f"{what}: unsupported pixel type {array.dtype}")
    rgb = three_channels(array)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError(f"{what}: expected an H×W×3 RGB array (or gray H×W, RGBA H×W×4), got shape {array.shape}")
    return rgb


def as_list(styles: ImageLike | Sequence[ImageLike]) -> list[ImageLike]:
    if isinstance(styles, (np.ndarray, str, os.PathLike)):
        return [styles]
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


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Y of YCrCb (BT.601), replicated to three channels."""
    y = cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2YCrCb)[..., 0]
    return np.repeat(y[..., None] * 255.0, 3, axis=2)


def match_luminance(style_y: np.ndarray, content_y: np.ndarray) -> np.ndarray:
    """Shift and scale the style's luminance to the content's mean and spread (Gatys et al. 2016b)."""
    scale = content_y.std() / max(style_y.std(), 1e-6)
    return np.clip((style_y - style_y.mean()) * scale + content_y.mean(), 0, 255)


def with_content_colors(result_rgb: np.ndarray, content_rgb: np.ndarray) -> np.ndarray:
    """The result's luminance with the content's chroma: --preserve-colors."""
    res = cv2.cvtColor(np.clip(result_rgb, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2YCrCb)
    con = cv2.cvtColor(np.clip(content_rgb, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2YCrCb)
    con[..., 0] = res[..., 0]
    return np.clip(cv2.cvtColor(con, cv2.COLOR_YCrCb2RGB) * 255.0, 0, 255)


def prepare_styles(
    styles: list[np.ndarray], size: tuple[int, int], o: StyleOptions, content: np.ndarray | None
) -> list[np.ndarray]:
    """Style images scaled so their longest side is style_scale × the working longest side.

    With --preserve-colors they become luminance, matched to the content's when one is given
    (a video's frames vary, so there the style's own luminance is kept).
    """
    longest = max(1, round(max(size) * o.style_scale))
    out = []
    for style in styles:
        w, h = fit_size(style.shape[1], style.shape[0], longest)
        style = resize(style, w, h)
        if o.preserve_colors:
            style = luminance(style)
            if content is not None:
                style = match_luminance(style, luminance(content))
        out.append(style.astype(np.float32))
    return out


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
    layers = o.content_layers + o.style_layers
    need = min_short_side(layers)
    if min(w, h) < need:
        if min(width, height) < need:
            raise InputError(f"{what}: {width}x{height} is too small; the chosen layers need {need} px on each side")
        enough = math.ceil(need * max(width, height) / min(width, height))
        raise UsageError(f"--size {o.size}: makes {what} {w}x{h}, below the {need} px on each side that the "
                         f"chosen layers need; use --size {enough} or more")
    if o.scales > 1:
        scale_sizes(w, h, o.scales, min_long_side(layers))  # UsageError when the coarsest is too small
    return w, h


def check_styles_at(styles: Sequence[np.ndarray], size: tuple[int, int], o: StyleOptions) -> None:
    """Each style image, as prepare_styles scales it, still large enough for the layers."""
    need = min_short_side(o.content_layers + o.style_layers)
    longest = max(1, round(max(size) * o.style_scale))
    for number, style in enumerate(styles, start=1):
        w, h = fit_size(style.shape[1], style.shape[0], longest)
        if min(w, h) < need:
            raise UsageError(f"--style-scale {o.style_scale}: style image {number} becomes {w}x{h}, below the "
                             f"{need} px on each side that the chosen layers need")


def check_image_job(content: np.ndarray, styles: Sequence[np.ndarray], o: StyleOptions) -> tuple[int, int]:
    """Every check of an image run that can fail, before the network is built: the working size."""
    blend_weights(o, len(styles))
    size = checked_size(content.shape[1], content.shape[0], o, "the content image")
    check_styles_at(styles, size, o)
    if o.init not in ("content", "noise"):
        as_rgb(o.init, "--init")  # InputError naming the file
    return size


def working_size(width: int, height: int, size: int | None) -> tuple[int, int]:
    """The working resolution: longest side `size`, never enlarged beyond the input."""
    if size is None or size >= max(width, height):
        return width, height
    return fit_size(width, height, size)


def run_image(
    content: ImageLike,
    styles: ImageLike | Sequence[ImageLike],
    options: StyleOptions,
    on_iteration: IterationCallback | None = None,
) -> tuple[np.ndarray, Result]:
    """Stylise one image; returns (float RGB result at the working size, optimisation result)."""
    content_rgb = as_rgb(content, "content")
    style_list = [as_rgb(s, "style") for s in as_list(styles)]
    blend = blend_weights(options, len(style_list))
    w, h = check_image_job(content_rgb, style_list, options)
    content_rgb = resize(content_rgb, w, h).astype(np.float32)
    target_rgb = luminance(content_rgb) if options.preserve_colors else content_rgb
    engine = get_engine(options)
    grams = engine.style_targets(prepare_styles(style_list, (w, h), options, content_rgb), blend)
    x0 = initial_image(options.init, target_rgb, options.seed)
    if options.scales > 1:
        sizes = scale_sizes(w, h, options.scales, min_long_side(options.content_layers + options.style_layers))

        def targets_at(size: tuple[int, int]) -> Targets:
            return engine.targets(resize_batch(target_rgb[None], *size), grams, coefficients(options))

        result = optimize_scales(engine, x0[None], targets_at, sizes, options.iterations, options.tol,
                                 on_iteration, options)
    else:
        targets = engine.targets(target_rgb[None], grams, coefficients(options))
        result = engine.optimize(x0[None], targets, options.iterations, options.tol, on_iteration, options)
    image = result.image[0]
    if options.preserve_colors:
        image = with_content_colors(image, content_rgb)
    return image, result


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def stylize_image(content: ImageLike, styles: ImageLike | Sequence[ImageLike], **options) -> np.ndarray:
    """Stylise ``content`` with one or more ``styles``; returns H×W×3 RGB uint8 at the working size.

    ``options`` are the CLI's (``iterations``, ``style_weight``, ``weights``, ``size``...).
    """
    image, _ = run_image(content, styles, StyleOptions.from_kwargs(**options))
    return to_uint8(image)


def loss_terms(
    content: ImageLike, image: ImageLike, styles: ImageLike | Sequence[ImageLike], **options
) -> dict[str, float]:
    """The unweighted components of METHOD.md section 2 and the weighted total, for ``image``.

    Every array is evaluated at its own size (no resizing); ``image`` must match ``content``.
    Scores are float32 unless ``precision="mixed"`` is asked for.
    """
    o = StyleOptions.from_kwargs(**options)
    if o.precision == "auto":
        o = o.replace(precision="float32")
    content_rgb, image_rgb = as_rgb(content, "content"), as_rgb(image, "image")
    if content_rgb.shape != image_rgb.shape:
        raise InputError(f"image: shape {image_rgb.shape} differs from the content's {content_rgb.shape}")
    style_list = [as_rgb(s, "style") for s in as_list(styles)]
    as_is = o.replace(size=None, scales=1)  # evaluated at their own sizes: only too small is refused
    for array, name in [(content_rgb, "content"), *((s, "style") for s in style_list)]:
        checked_size(array.shape[1], array.shape[0], as_is, name)
    engine = get_engine(o)
    grams = engine.style_targets(style_list, blend_weights(o, len(style_list)))
    terms = engine.evaluate(image_rgb[None], engine.targets(content_rgb[None], grams, coefficients(o)))[0]
    return {"content": float(terms[0]), "style": float(terms[1]), "tv": float(terms[2]), "total": float(terms[TOTAL])}
