"""Frozen settings, built once from the CLI arguments or API keywords and passed down."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field

from .errors import UsageError
from .vgg import check_layers, min_size

DEFAULT_CONTENT_LAYERS = ("block5_conv2",)
DEFAULT_STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


def default_weights() -> str:
    return os.environ.get("VIDSTYLE_WEIGHTS", "imagenet")


@dataclass(frozen=True)
class StyleOptions:
    """Everything that decides what one image's optimisation computes (METHOD.md sections 1-3)."""

    weights: str = field(default_factory=default_weights)
    pooling: str = "max"
    content_layers: tuple[str, ...] = DEFAULT_CONTENT_LAYERS
    style_layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS
    style_layer_weights: tuple[float, ...] | None = None  # normalised to sum 1; equal by default
    content_weight: float = 1e4  # α, the tutorial's
    style_weight: float = 1e-2  # β, the tutorial's
    tv_weight: float = 30.0  # γ, see docs/DEFAULTS.md
    style_blend: tuple[float, ...] | None = None  # b_k, normalised to sum 1; equal by default
    style_scale: float = 1.0
    preserve_colors: bool = False
    optimizer: str = "lbfgs"
    lr: float = 6.0  # Adam step on the 0-255 scale (the source report's)
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    iterations: int = 300
    tol: float = 1e-4
    init: str = "content"
    seed: int = 0
    size: int | None = 512  # longest side; None = the input's own size
    precision: str = "float32"

    def __post_init__(self) -> None:
        validate(self)

    def replace(self, **changes) -> StyleOptions:
        return dataclasses.replace(self, **changes)

    @property
    def layer_weights(self) -> tuple[float, ...]:
        raw = self.style_layer_weights or (1.0,) * len(self.style_layers)
        return tuple(w / sum(raw) for w in raw)

    @classmethod
    def from_kwargs(cls, **options) -> StyleOptions:
        """Build from API keywords (the CLI's option names in Python form); unknown names are errors."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise UsageError(f"unknown option {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for key in ("content_layers", "style_layers", "style_layer_weights", "style_blend"):
            if isinstance(options.get(key), (list, str)):
                value = options[key]
                options[key] = tuple(value.split(",")) if isinstance(value, str) else tuple(value)
        return cls(**options)


def _finite_nonneg(value: float, option: str) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise UsageError(f"{option}: expected a number >= 0, got {value!r}")


def validate(o: StyleOptions) -> None:
    """Reject bad values before any work, naming the option (exit code 2)."""
    check_layers(o.content_layers, "--content-layers")
    check_layers(o.style_layers, "--style-layers")
    for name in ("content_weight", "style_weight", "tv_weight", "tol", "eps"):
        _finite_nonneg(getattr(o, name), "--" + name.replace("_", "-"))
    for name in ("lr", "style_scale"):
        value = getattr(o, name)
        _finite_nonneg(value, "--" + name.replace("_", "-"))
        if value == 0:
            raise UsageError(f"--{name.replace('_', '-')}: must be > 0")
    for name in ("beta1", "beta2"):
        if not 0 <= getattr(o, name) < 1:
            raise UsageError(f"--{name}: expected a number in [0, 1), got {getattr(o, name)!r}")
    if o.style_layer_weights is not None:
        if len(o.style_layer_weights) != len(o.style_layers):
            raise UsageError(
                f"--style-layer-weights: {len(o.style_layer_weights)} weights for "
                f"{len(o.style_layers)} style layers"
            )
        for w in o.style_layer_weights:
            _finite_nonneg(float(w), "--style-layer-weights")
        if sum(o.style_layer_weights) <= 0:
            raise UsageError("--style-layer-weights: the weights must not all be 0")
    if o.style_blend is not None:
        for w in o.style_blend:
            _finite_nonneg(float(w), "--style-blend")
        if sum(o.style_blend) <= 0:
            raise UsageError("--style-blend: the weights must not all be 0")
    if o.pooling not in ("max", "avg"):
        raise UsageError(f"--pooling: expected max or avg, got {o.pooling!r}")
    if o.optimizer not in ("adam", "lbfgs"):
        raise UsageError(f"--optimizer: expected adam or lbfgs, got {o.optimizer!r}")
    if o.precision not in ("float32", "mixed"):
        raise UsageError(f"--precision: expected float32 or mixed, got {o.precision!r}")
    if not isinstance(o.iterations, int) or o.iterations < 0:
        raise UsageError(f"--iterations: expected an integer >= 0, got {o.iterations!r}")
    smallest = min_size(o.content_layers + o.style_layers)
    if o.size is not None and (not isinstance(o.size, int) or o.size < smallest):
        raise UsageError(f"--size: expected an integer >= {smallest} (the minimum for these layers), got {o.size!r}")
