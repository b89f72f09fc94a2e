"""The Python API: stylize_image and loss_terms (stylize_video lives in pipeline.py).

Arrays are H×W×3 RGB on the 0-255 scale; options are the CLI's options by their Python names.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .config import CONTENT, STYLE, TOTAL, TV, StyleOptions, is_path
from .errors import InputError, UsageError
from .images import resize, to_uint8
from .multiscale import optimize_batch, resize_batch
from .optimize import IterationCallback, Result, Targets
from .prepare import (
    ImageLike,
    as_list,
    as_rgb,
    blend_weights,
    check_init,
    check_styles_at,
    checked_size,
    coefficients,
    get_engine,
    initial_image,
    luminance,
    prepare_styles,
    with_content_colors,
    working_size,
)


def check_image_job(content: np.ndarray, styles: Sequence[np.ndarray], o: StyleOptions) -> tuple[int, int]:
    """Every check of an image run that can fail, before the network is built: the working size."""
    blend_weights(o, len(styles))
    size = checked_size(content.shape[1], content.shape[0], o, "the content image")
    check_styles_at(styles, size, o)
    check_init(o.init)
    return size


def run_image(
    content: ImageLike,
    styles: ImageLike | Sequence[ImageLike],
    options: StyleOptions,
    on_iteration: IterationCallback | None = None,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, Result]:
    """Stylise one image; returns (float RGB result at the working size, optimisation result).
    `start`, an RGB image, replaces `options.init` as the starting image (resized to the work)."""
    content_rgb = as_rgb(content, "content")
    style_list = [as_rgb(s, "style") for s in as_list(styles)]
    blend = blend_weights(options, len(style_list))
    w, h = check_image_job(content_rgb, style_list, options)
    content_rgb = resize(content_rgb, w, h).astype(np.float32)
    target_rgb = luminance(content_rgb) if options.preserve_colors else content_rgb
    engine = get_engine(options)
    grams = engine.style_targets(prepare_styles(style_list, (w, h), options, content_rgb), blend)
    x0 = initial_image(options.init, target_rgb, options.seed) if start is None else \
        resize(start, w, h).astype(np.float32)

    def targets_at(size: tuple[int, int]) -> Targets:
        return engine.targets(resize_batch(target_rgb[None], *size), grams, coefficients(options))

    result = optimize_batch(engine, x0[None], targets_at, options.iterations, options, on_iteration)
    image = result.image[0]
    if options.preserve_colors:
        image = with_content_colors(image, content_rgb)
    return image, result


def stylize_image(content: ImageLike, styles: ImageLike | Sequence[ImageLike], **options) -> np.ndarray:
    """Stylise ``content`` with one or more ``styles``; returns H×W×3 RGB uint8 at the working size.

    ``options`` are the CLI's (``iterations``, ``style_weight``, ``weights``, ``size``...);
    ``init`` may also be an image (an array or PIL image, as ``content``), e.g. an earlier result.
    """
    start = None
    if options.get("init") is not None and not is_path(options["init"]):
        start = as_rgb(options.pop("init"), "init")
    image, _ = run_image(content, styles, StyleOptions.from_kwargs(**options), start=start)
    return to_uint8(image)


def loss_terms(
    content: ImageLike, image: ImageLike, styles: ImageLike | Sequence[ImageLike], **options
) -> dict[str, float]:
    """The unweighted components of METHOD.md section 2 and the weighted total, for ``image``, as
    ``stylize_image`` optimised them with the same options.

    ``image`` is evaluated at its own size; ``content`` is resized to it where it is a scaled copy
    of it (``stylize_image`` returns its working size, 512 by default), and must otherwise match
    it. The styles are scaled as a run scales them (``style_scale`` × the image's longest side).
    ``preserve_colors`` is refused: such a run returns only the luminance of the image it
    optimised, which cannot be scored. Scores are float32 unless ``precision="mixed"``.
    """
    o = StyleOptions.from_kwargs(**options)
    if o.preserve_colors:  # the optimised image's colours are replaced by the content's: its loss is gone
        raise UsageError("preserve_colors: loss_terms cannot score such a run; it returns only the luminance "
                         "of the image it optimised, with the content's colours")
    if o.precision == "auto":
        o = o.replace(precision="float32")
    content_rgb, image_rgb = as_rgb(content, "content"), as_rgb(image, "image")
    height, width = image_rgb.shape[:2]
    content_height, content_width = content_rgb.shape[:2]
    if working_size(content_width, content_height, max(width, height)) == (width, height):
        content_rgb = resize(content_rgb, width, height)
    elif content_rgb.shape != image_rgb.shape:
        raise InputError(f"image: shape {image_rgb.shape} differs from the content's {content_rgb.shape}, "
                         "and is not a smaller copy of its shape")
    style_list = [as_rgb(s, "style") for s in as_list(styles)]
    as_is = o.replace(size=None, scales=1)  # evaluated at its own size: only too small is refused
    checked_size(width, height, as_is, "image")
    check_styles_at(style_list, (width, height), o)
    engine = get_engine(o)
    # The styles as a run prepares them: they scored 6x the optimiser's style term at their own size.
    prepared = prepare_styles(style_list, (width, height), o, content_rgb)
    grams = engine.style_targets(prepared, blend_weights(o, len(style_list)))
    terms = engine.evaluate(image_rgb[None], engine.targets(content_rgb[None], grams, coefficients(o)))[0]
    return {"content": float(terms[CONTENT]), "style": float(terms[STYLE]), "tv": float(terms[TV]),
            "total": float(terms[TOTAL])}
