"""Frozen settings, built once from the CLI arguments or API keywords and passed down."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from fractions import Fraction

from .errors import UsageError
from .vgg import check_layers, min_long_side

DEFAULT_CONTENT_LAYERS = ("block5_conv2",)
DEFAULT_STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
# The values of the options with a fixed list (the parser's choices and the API's checks).
POOLINGS = ("max", "avg")
FLOW_METHODS = ("dis", "farneback")
OPTIMIZERS = ("adam", "lbfgs")
PRECISIONS = ("auto", "float32", "mixed")
DEVICES = ("auto", "cpu", "gpu")
VIDEO_INITS = ("prev-warped", "prev", "content")  # how later frames start (--init for videos)
OUTPUT_SIZES = ("working", "original")
TERMS = ("content", "style", "tv", "temporal", "total")  # a row of loss terms, in this order
CONTENT, STYLE, TV, TEMPORAL, TOTAL = (TERMS.index(name) for name in TERMS)  # a row's columns
SCENE_CUT = 0.1  # fraction of flow-consistent pixels below which a frame starts a new shot
FOLDER_FPS = Fraction(25)  # a frame folder's rate unless --fps says otherwise
STOP_WINDOW = 5  # iterations over which --tol's relative loss change is measured
DEFAULT_CRF = 18  # x264's "visually lossless" end of its range
CRF_MAX = {"libx264": 51, "libx265": 51, "libvpx-vp9": 63}  # the codecs with a constant-quality scale


def one_of(choices: tuple[str, ...]) -> str:
    """'a, b or c', for the messages that list an option's values."""
    return f"{', '.join(choices[:-1])} or {choices[-1]}" if len(choices) > 1 else choices[0]


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
    tv_weight: float = 8e4  # γ: the tutorial's TV weight 30 at 512×384, per pixel (docs/DEFAULTS.md)
    style_blend: tuple[float, ...] | None = None  # b_k, normalised to sum 1; equal by default
    style_scale: float = 1.0
    preserve_colors: bool = False
    optimizer: str = "adam"  # measured fastest to a target loss (docs/DEFAULTS.md)
    lr: float = 1.0  # Adam step on the 0-255 scale (the source report used 6; docs/DEFAULTS.md)
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    iterations: int = 300
    tol: float = 3e-6  # the largest that still reaches the quality target (docs/DEFAULTS.md)
    init: str = "content"
    seed: int = 0
    size: int | None = 512  # longest side; None = the input's own size
    precision: str = "auto"  # auto: mixed with Adam on a CPU with bfloat16 instructions (docs/DEFAULTS.md)
    scales: int = 1  # coarse-to-fine: optimise at 1/2^(scales-1) of the size first

    def __post_init__(self) -> None:
        validate(self)

    def replace(self, **changes) -> StyleOptions:
        return dataclasses.replace(self, **changes)

    @property
    def layers(self) -> tuple[str, ...]:
        """Every VGG19 layer the objective reads: the content layers, then the style layers."""
        return (*self.content_layers, *self.style_layers)

    @property
    def layer_weights(self) -> tuple[float, ...]:
        raw = self.style_layer_weights or (1.0,) * len(self.style_layers)
        return tuple(w / sum(raw) for w in raw)

    @classmethod
    def from_kwargs(cls, **options) -> StyleOptions:
        """Build from API keywords (the CLI's option names in Python form); unknown names are errors.
        Values are taken as a program has them: Paths, NumPy numbers, "1,3" for a list."""
        known = {f.name for f in dataclasses.fields(cls)}
        refuse_image_init(options)
        options = {k: plain(v) for k, v in apply_preset(options, known).items()}
        _refuse_unknown(options, known)
        for key in ("content_layers", "style_layers", "style_layer_weights", "style_blend"):
            if isinstance(options.get(key), (list, str)):
                value = options[key]
                options[key] = tuple(value.split(",")) if isinstance(value, str) else tuple(value)
        for key in ("style_layer_weights", "style_blend"):
            if options.get(key) is not None:
                options[key] = _numbers(options[key], key)
        if options.get("size") == "original":
            options["size"] = None
        return cls(**options)


def is_path(value) -> bool:
    """A file name or one of the names an option takes, not an image given as data."""
    return isinstance(value, (str, os.PathLike))


def refuse_image_init(options: dict) -> None:
    """Only stylize_image takes its start as an image; elsewhere say what came (before `plain`
    turns an array into a list)."""
    if "init" in options and not is_path(options["init"]):
        raise UsageError(f"init: expected 'content', 'noise', an image path or (stylize_image) an image, "
                         f"got {type(options['init']).__name__}")


def plain(value):
    """A keyword's value as the options hold it: str for a path, int/float/bool for NumPy scalars,
    a list for a NumPy array (long_term=np.array([1, 2]) was refused, style_blend's taken)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and getattr(value, "shape", None) == ():  # a NumPy scalar
        return value.item()
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) >= 1:
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def _numbers(values, key: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise UsageError(f"--{key.replace('_', '-')}: expected numbers such as 1,3, got {values!r}") from None


def _finite_nonneg(value: float, option: str) -> None:
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise UsageError(f"{option}: expected a number >= 0, got {value!r}")


def _positive(value: float, option: str) -> None:
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise UsageError(f"{option}: expected a number > 0, got {value!r}")


def _refuse_unknown(options: dict, known: set[str]) -> None:
    """An API keyword that is no option is an error, not ignored (a typo would change nothing)."""
    if unknown := sorted(set(options) - known):
        raise UsageError(f"unknown option {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def _is_number(value: object) -> bool:
    """A real number (API keywords may be anything; a str must not reach a comparison)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate(o: StyleOptions) -> None:
    """Reject bad values before any work, naming the option (exit code 2)."""
    check_layers(o.content_layers, "--content-layers")
    check_layers(o.style_layers, "--style-layers")
    for name in ("content_weight", "style_weight", "tv_weight", "tol", "eps"):
        _finite_nonneg(getattr(o, name), "--" + name.replace("_", "-"))
    for name in ("lr", "style_scale"):
        _positive(getattr(o, name), "--" + name.replace("_", "-"))
    if isinstance(o.seed, bool) or not isinstance(o.seed, int) or o.seed < 0:
        raise UsageError(f"--seed: expected an integer >= 0, got {o.seed!r}")
    for name in ("beta1", "beta2"):
        if not _is_number(getattr(o, name)) or not 0 <= getattr(o, name) < 1:
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
    if o.pooling not in POOLINGS:
        raise UsageError(f"--pooling: expected {one_of(POOLINGS)}, got {o.pooling!r}")
    if o.optimizer not in OPTIMIZERS:
        raise UsageError(f"--optimizer: expected {one_of(OPTIMIZERS)}, got {o.optimizer!r}")
    if o.precision not in PRECISIONS:
        raise UsageError(f"--precision: expected {one_of(PRECISIONS)}, got {o.precision!r}")
    if o.precision == "mixed" and o.optimizer == "lbfgs":
        # Measured: bfloat16 losses are too rough for L-BFGS's line search, which gives up on the
        # first iteration and leaves the image unchanged (docs/BENCHMARKS.md).
        raise UsageError("--precision mixed: use it with --optimizer adam (L-BFGS's line search "
                         "fails on bfloat16 losses)")
    if not isinstance(o.scales, int) or not 1 <= o.scales <= 6:
        raise UsageError(f"--scales: expected an integer from 1 to 6, got {o.scales!r}")
    if not isinstance(o.iterations, int) or o.iterations < 0:
        raise UsageError(f"--iterations: expected an integer >= 0, got {o.iterations!r}")
    smallest = min_long_side(o.layers)
    if o.size is not None and (not isinstance(o.size, int) or o.size < smallest):
        raise UsageError(f"--size: expected an integer >= {smallest} (the minimum for these layers), got {o.size!r}")


@dataclass(frozen=True)
class VideoOptions:
    """How a sequence of frames is read, chained over time, written and watched."""

    frame_iterations: int = 60  # frames after the first (warm-started)
    frame_lr: float | None = 2.0  # Adam's step for frames after the first; None: --lr (docs/DEFAULTS.md)
    init_mode: str = "prev-warped"  # prev-warped | prev | content
    independent: bool = False  # content init, no temporal loss: unrelated images
    temporal_weight: float = 1.0  # λ, scale-free (see docs/DEFAULTS.md)
    long_term: tuple[int, ...] = (1,)  # frame offsets coupled by the temporal loss, nearest first
    flow: str = "dis"
    scene_cut: float = SCENE_CUT
    start: str | int | None = None  # frame index, '12.5s' or a timecode
    end: str | int | None = None
    every: int = 1
    fps: str | None = None  # frame-folder input
    audio: str | None = None  # a sound file: a frame folder's track, or one that replaces a video's
    no_audio: bool = False
    codec: str | None = None
    crf: int = DEFAULT_CRF
    output_size: str = "working"  # working | original
    keep_frames: bool = False
    restart: bool = False
    overwrite: bool = False
    preview: str | None = None
    preview_every: int = 10
    preview_window: bool = False
    batch: int = 1

    def __post_init__(self) -> None:
        validate_video(self)

    @classmethod
    def split_kwargs(cls, options: dict) -> tuple[dict, dict]:
        """(StyleOptions keywords, VideoOptions keywords) from one mixed dict; unknown names are errors."""
        refuse_image_init(options)
        options = {k: plain(v) for k, v in apply_preset(options).items()}
        names = {f.name for f in dataclasses.fields(cls)}
        known = names | {f.name for f in dataclasses.fields(StyleOptions)}
        _refuse_unknown(options, known)
        if isinstance(options.get("long_term"), (str, list)):
            value = options["long_term"]
            try:
                options["long_term"] = tuple(int(v) for v in (value.split(",") if isinstance(value, str) else value))
            except ValueError:
                raise UsageError(f"--long-term: expected frame offsets such as 1,2,4, got {value!r}") from None
        return {k: v for k, v in options.items() if k not in names}, {k: v for k, v in options.items() if k in names}


def crf_scales() -> str:
    return ", ".join(f"0..{top} for {codec}" for codec, top in CRF_MAX.items())


def validate_video(v: VideoOptions) -> None:
    if not isinstance(v.frame_iterations, int) or v.frame_iterations < 0:
        raise UsageError(f"--frame-iterations: expected an integer >= 0, got {v.frame_iterations!r}")
    if v.frame_lr is not None:
        _positive(v.frame_lr, "--frame-lr")
    if v.init_mode not in VIDEO_INITS:
        raise UsageError(f"--init: for videos expected {', '.join(VIDEO_INITS)} or a path, got {v.init_mode!r}")
    _finite_nonneg(v.temporal_weight, "--temporal-weight")
    bad = any((not isinstance(j, int)) or j < 1 for j in v.long_term)
    if bad or 1 not in v.long_term or len(set(v.long_term)) != len(v.long_term):
        raise UsageError(f"--long-term: expected distinct frame offsets including 1, such as 1,2,4; got {v.long_term!r}")
    if v.flow not in FLOW_METHODS:
        raise UsageError(f"--flow: expected {one_of(FLOW_METHODS)}, got {v.flow!r}")
    if not _is_number(v.scene_cut) or not 0 <= v.scene_cut <= 1:
        raise UsageError(f"--scene-cut: expected a fraction in [0, 1], got {v.scene_cut!r}")
    if not isinstance(v.every, int) or v.every < 1:
        raise UsageError(f"--every: expected an integer >= 1, got {v.every!r}")
    # The top of the scale is the codec's, checked where the codec is known (formats.check_crf); a
    # codec without one (mjpeg, gif) ignores --crf with a note, whatever its value.
    if not isinstance(v.crf, int) or isinstance(v.crf, bool) or v.crf < 0:
        raise UsageError(f"--crf: expected an integer >= 0 (the codec's scale: {crf_scales()}), got {v.crf!r}")
    if v.output_size not in OUTPUT_SIZES:
        raise UsageError(f"--output-size: expected {one_of(OUTPUT_SIZES)}, got {v.output_size!r}")
    if not isinstance(v.preview_every, int) or v.preview_every < 1:
        raise UsageError(f"--preview-every: expected an integer >= 1, got {v.preview_every!r}")
    if not isinstance(v.batch, int) or v.batch < 1:
        raise UsageError(f"--batch: expected an integer >= 1, got {v.batch!r}")


# Bundles of settings for users who do not want to tune (docs/DEFAULTS.md says which measurement
# chose each). Explicit options win over a preset's.
PRESETS: dict[str, dict] = {
    "fast": {"iterations": 150, "frame_iterations": 20, "tol": 1e-3},
    "balanced": {},  # the defaults
    "quality": {"iterations": 1000, "frame_iterations": 150, "tol": 0.0, "precision": "float32"},
}


def apply_preset(options: dict, fields: set[str] | None = None) -> dict:
    """Options with `preset` (if any) expanded underneath the explicit ones; only the preset's
    settings among `fields` when given (an image has no frame_iterations)."""
    options = dict(options)
    name = options.pop("preset", None)
    if name is None:
        return options
    if name not in PRESETS:
        raise UsageError(f"--preset: expected one of {', '.join(PRESETS)}, got {name!r}")
    return {k: v for k, v in PRESETS[name].items() if fields is None or k in fields} | options
