"""The command line's arguments: the parser, its help, and the options objects built from it."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .config import (
    DEFAULT_CONTENT_LAYERS,
    DEFAULT_STYLE_LAYERS,
    DEVICES,
    FLOW_METHODS,
    FOLDER_FPS,
    OPTIMIZERS,
    OUTPUT_SIZES,
    POOLINGS,
    PRECISIONS,
    PRESETS,
    SCENE_CUT,
    STOP_WINDOW,
    VIDEO_INITS,
    StyleOptions,
    VideoOptions,
    apply_preset,
    crf_scales,
    default_weights,
)
from .errors import UsageError

DEFAULTS = StyleOptions.__dataclass_fields__


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one `error: ...` line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default once, lists as 1,2,4; a help text that states its default keeps its own."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "(default" in text or not action.option_strings or default is None or default is False \
                or default == argparse.SUPPRESS:
            return text
        if isinstance(default, (tuple, list)):
            default = ",".join(map(str, default))
        return f"{text} (default: {str(default).replace('%', '%%')})".lstrip()


def _default(name: str):
    f = DEFAULTS[name]
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _names(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _size(text: str) -> int | None:
    if text == "original":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'original', got {text!r}") from None


def _common(parser: argparse.ArgumentParser, default: object = False) -> None:
    parser.add_argument("--debug", action="store_true", default=default, help="show tracebacks and debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", default=default,
                        help="no progress bars, warnings only")


def _add_style_options(p: argparse.ArgumentParser) -> None:
    d = _default
    net = p.add_argument_group("network")
    net.add_argument("--weights", default=default_weights(),
                     help="'imagenet' (Keras download and cache), 'random' (seeded, tests only) or a "
                          ".h5/.weights.h5 file; VIDSTYLE_WEIGHTS sets the default")
    net.add_argument("--pooling", choices=POOLINGS, default=d("pooling"), help="VGG19 pooling")
    net.add_argument("--device", choices=DEVICES, default=os.environ.get("VIDSTYLE_DEVICE", "auto"),
                     help="auto uses a GPU when the backend sees one; VIDSTYLE_DEVICE sets the default")
    net.add_argument("--content-layers", type=_names, default=DEFAULT_CONTENT_LAYERS,
                     help="comma-separated VGG19 layers")
    net.add_argument("--style-layers", type=_names, default=DEFAULT_STYLE_LAYERS,
                     help="comma-separated VGG19 layers (default: block1_conv1..block5_conv1)")
    net.add_argument("--style-layer-weights", type=_floats, default=None,
                     help="comma-separated per-layer weights, normalised to sum 1 (default: equal)")
    net.add_argument("--precision", choices=PRECISIONS, default=d("precision"),
                     help="mixed: bfloat16 convolutions, float32 Grams, losses and image; auto (default): "
                          "mixed with Adam under TensorFlow on a CPU with bfloat16 instructions, else float32")
    obj = p.add_argument_group("objective (METHOD.md section 3)")
    obj.add_argument("--content-weight", type=float, default=d("content_weight"), help="α")
    obj.add_argument("--style-weight", type=float, default=d("style_weight"), help="β")
    obj.add_argument("--tv-weight", type=float, default=d("tv_weight"), help="γ, per pixel difference")
    obj.add_argument("--style-blend", type=_floats, default=None,
                     help="comma-separated blend weights of the style images (default: equal)")
    obj.add_argument("--style-scale", type=float, default=d("style_scale"),
                     help="style image size relative to the working size")
    obj.add_argument("--preserve-colors", action="store_true",
                     help="transfer style on luminance only and keep the content's colours")
    opt = p.add_argument_group("optimisation")
    opt.add_argument("--optimizer", choices=OPTIMIZERS, default=d("optimizer"),
                     help="Adam on the pixels, or SciPy's L-BFGS-B (float32 only)")
    opt.add_argument("--lr", type=float, default=d("lr"), help="Adam step on the 0-255 pixel scale")
    opt.add_argument("--beta1", type=float, default=d("beta1"), help="Adam β1")
    opt.add_argument("--beta2", type=float, default=d("beta2"), help="Adam β2")
    opt.add_argument("--eps", type=float, default=d("eps"), help="Adam ε (0-255 gradient scale)")
    opt.add_argument("--iterations", type=int, default=d("iterations"), help="maximum iterations")
    opt.add_argument("--tol", type=float, default=d("tol"),
                     help="stop when the total loss falls by less than this fraction per iteration "
                          f"(over {STOP_WINDOW} iterations); 0 runs every iteration")
    opt.add_argument("--scales", type=int, default=d("scales"),
                     help="coarse-to-fine: optimise at 1/2^(N-1) of the size first, then double")
    opt.add_argument("--init", default=None,
                     help="where the image starts: content (default), noise or an image PATH; for a "
                          "video's later frames also prev-warped (their default) or prev")
    opt.add_argument("--seed", type=int, default=d("seed"), help="seed for noise initialisation")
    opt.add_argument("--size", type=_size, default=d("size"),
                     help="longest side of the working resolution, or 'original' (never enlarges)")


def build_parser(preset: str | None = None) -> argparse.ArgumentParser:
    """The parser; a `preset`'s settings become the stylize defaults, so explicit options win."""
    top = Parser(add_help=False)
    _common(top)
    # After the command too; SUPPRESS so that a subcommand's default does not undo `vidstyle --debug CMD`.
    common = Parser(add_help=False)
    _common(common, default=argparse.SUPPRESS)
    parser = Parser(prog="vidstyle", description="Neural style transfer for images, frame folders and videos.",
                    formatter_class=HelpFormatter, parents=[top])
    parser.add_argument("--version", action="version", version=f"vidstyle {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    fmt = HelpFormatter

    st = sub.add_parser("stylize", help="stylise an image, a frame folder or a video", parents=[common], formatter_class=fmt)
    st.add_argument("input", help="content image, video file or folder of frames")
    st.add_argument("-s", "--style", nargs="+", required=True, metavar="STYLE", help="style image(s)")
    st.add_argument("-o", "--output", required=True, help="output image, video file or folder")
    st.add_argument("--overwrite", action="store_true", help="replace an existing output")
    st.add_argument("--report", metavar="JSON", help="write every iteration's loss terms here")
    st.add_argument("--plot", metavar="PNG", help="plot the loss curves here")
    st.add_argument("--preset", choices=tuple(PRESETS),
                    help="bundled settings (docs/DEFAULTS.md); explicit options override it")
    _add_style_options(st)
    _add_video_options(st)
    if preset in PRESETS:
        st.set_defaults(**PRESETS[preset])

    info = sub.add_parser("info", help="frames, fps, size, duration and sound of a video or folder",
                          parents=[common], formatter_class=fmt)
    info.add_argument("input")
    info.add_argument("--fps", help=f"frame rate of a frame folder (default {FOLDER_FPS}), as for stylize")
    we = sub.add_parser("warp-error", help="temporal stability of a stylised clip (METHOD.md 5)",
                        parents=[common], formatter_class=fmt)
    we.add_argument("original", help="the original video or frame folder")
    we.add_argument("stylized", help="the stylised video or frame folder (same frames)")
    we.add_argument("--flow", choices=FLOW_METHODS, default="dis", help="optical flow method")
    we.add_argument("--scene-cut", type=float, default=SCENE_CUT,
                    help="pairs across a cut (as stylize --scene-cut finds them) are left out; 0 keeps all")
    we.add_argument("--start", help="the original's frames that were stylised: as for stylize")
    we.add_argument("--end", help="as for stylize")
    we.add_argument("--every", type=int, default=1, help="as for stylize")
    return parser


def _add_video_options(p: argparse.ArgumentParser) -> None:
    v = VideoOptions()
    t = p.add_argument_group("video: temporal consistency (METHOD.md 4)")
    t.add_argument("--frame-iterations", type=int, default=v.frame_iterations,
                   help="iterations for frames after the first (warm-started); --iterations is the first's")
    t.add_argument("--frame-lr", type=float, default=v.frame_lr,
                   help="Adam's step for frames after the first")
    t.add_argument("--temporal-weight", type=float, default=v.temporal_weight,
                   help="λ, scale-free weight of the temporal loss (0 turns it off)")
    t.add_argument("--long-term", type=_ints, default=v.long_term,
                   help="frame offsets coupled by the temporal loss, e.g. 1,2,4")
    t.add_argument("--independent", action="store_true",
                   help="every frame from the content, no temporal loss (unrelated images)")
    t.add_argument("--flow", choices=FLOW_METHODS, default=v.flow, help="optical flow method")
    t.add_argument("--scene-cut", type=float, default=v.scene_cut,
                   help="start afresh where fewer than this fraction of pixels pass the flow check, or the "
                        "warped previous frame explains less than half the frame; 0: never")
    t.add_argument("--batch", type=int, default=v.batch, help="frames optimised in one step")
    r = p.add_argument_group("video: input range and output")
    r.add_argument("--start", help="first frame: index, seconds (12.5s) or timecode (00:01:02.5)")
    r.add_argument("--end", help="end (exclusive), same forms as --start")
    r.add_argument("--every", type=int, default=v.every, help="take every N-th frame")
    r.add_argument("--fps", help=f"frame rate of a frame-folder input (default {FOLDER_FPS}), e.g. 24 or 30000/1001; "
                   "a video keeps its own")
    r.add_argument("--audio", help="sound track for the output: a frame folder's, or in place of a video's own")
    r.add_argument("--no-audio", action="store_true", help="drop the input's sound")
    r.add_argument("--codec", help="ffmpeg video codec (default: libx264 for mp4/mov/mkv, libvpx-vp9 for webm, mjpeg for avi, gif for gif)")
    r.add_argument("--crf", type=int, default=v.crf, help=f"constant quality, lower is better: {crf_scales()}; "
                   "mjpeg and gif have no such scale")
    r.add_argument("--output-size", choices=OUTPUT_SIZES, default=v.output_size,
                   help="write frames at the working size or resized to the input's")
    r.add_argument("--keep-frames", action="store_true", help="keep the work folder after encoding")
    r.add_argument("--restart", action="store_true", help="discard an interrupted run's frames")
    w = p.add_argument_group("watching a run (images and videos)")
    w.add_argument("--preview", metavar="JPG", help="rewrite this image with the original beside the current result")
    w.add_argument("--preview-every", type=_positive_int, default=v.preview_every, help="iterations between previews")
    w.add_argument("--preview-window", action="store_true", help="show the preview in a window")


VIDEO_INIT = tuple(m for m in VIDEO_INITS if m != "content")  # the starts only a video has


def style_options(args: argparse.Namespace, video: bool) -> StyleOptions:
    names = {f.name for f in dataclasses.fields(StyleOptions)}
    values = {k: v for k, v in vars(args).items() if k in names}
    init = args.init or "content"
    if init in VIDEO_INIT:
        if not video:
            raise UsageError(f"--init {init}: only for videos and frame folders")
        init = "content"
    values["init"] = init
    return StyleOptions.from_kwargs(**values)


def video_options(args: argparse.Namespace) -> VideoOptions:
    names = {f.name for f in dataclasses.fields(VideoOptions)}
    values = {k: v for k, v in vars(args).items() if k in names}
    init = args.init or "prev-warped"
    values["init_mode"] = init if init in VIDEO_INITS else "prev-warped"  # else --init is a path
    return VideoOptions(**values)


# Options in VideoOptions that an image run uses too (--init is checked on its own).
_IMAGE_TOO = {"overwrite", "preview", "preview_every", "preview_window", "init_mode"}


def video_only_given(video: VideoOptions, preset: str | None) -> list[str]:
    """The video-only options set away from their defaults (the preset's included), as the user
    spelt them: an image run ignores them, and says so."""
    names = {f.name for f in dataclasses.fields(VideoOptions)} - _IMAGE_TOO
    defaults = VideoOptions(**apply_preset({"preset": preset} if preset else {}, names))
    return [f"--{n.replace('_', '-')}" for n in sorted(names) if getattr(video, n) != getattr(defaults, n)]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse; a --preset becomes the defaults of a second parse, so explicit options win."""
    args = build_parser().parse_args(argv)
    if getattr(args, "preset", None):
        args = build_parser(args.preset).parse_args(argv)
    return args
