"""Command line: argument parsing, progress and error display — the work is done elsewhere."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, StyleOptions, default_weights
from .errors import OutputError, UsageError, VidstyleError

log = logging.getLogger("vidstyle")

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
DEFAULTS = StyleOptions.__dataclass_fields__


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one `error: ...` line and exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


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


def _size(text: str) -> int | None:
    if text == "original":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'original', got {text!r}") from None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only")


def _add_style_options(p: argparse.ArgumentParser) -> None:
    d = _default
    net = p.add_argument_group("network")
    net.add_argument("--weights", default=default_weights(),
                     help="'imagenet' (Keras download and cache), 'random' (seeded, tests only) or a "
                          ".h5/.weights.h5 file; default from VIDSTYLE_WEIGHTS, else imagenet")
    net.add_argument("--pooling", choices=("max", "avg"), default=d("pooling"), help="VGG19 pooling")
    net.add_argument("--content-layers", type=_names, default=DEFAULT_CONTENT_LAYERS,
                     help="comma-separated VGG19 layers (default: %(default)s)")
    net.add_argument("--style-layers", type=_names, default=DEFAULT_STYLE_LAYERS,
                     help="comma-separated VGG19 layers (default: block1_conv1..block5_conv1)")
    net.add_argument("--style-layer-weights", type=_floats, default=None,
                     help="comma-separated per-layer weights, normalised to sum 1 (default: equal)")
    net.add_argument("--precision", choices=("float32", "mixed"), default=d("precision"),
                     help="mixed: bfloat16 convolutions, float32 Grams, losses and image")
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
    opt.add_argument("--optimizer", choices=("adam", "lbfgs"), default=d("optimizer"))
    opt.add_argument("--lr", type=float, default=d("lr"), help="Adam step on the 0-255 pixel scale")
    opt.add_argument("--beta1", type=float, default=d("beta1"), help="Adam β1")
    opt.add_argument("--beta2", type=float, default=d("beta2"), help="Adam β2")
    opt.add_argument("--eps", type=float, default=d("eps"), help="Adam ε (0-255 gradient scale)")
    opt.add_argument("--iterations", type=int, default=d("iterations"), help="maximum iterations")
    opt.add_argument("--tol", type=float, default=d("tol"),
                     help="stop when the total loss falls by less than this fraction per iteration "
                          "(over 5 iterations); 0 runs every iteration")
    opt.add_argument("--init", default=d("init"), help="content, noise or an image PATH")
    opt.add_argument("--seed", type=int, default=d("seed"), help="seed for noise initialisation")
    opt.add_argument("--size", type=_size, default=d("size"),
                     help="longest side of the working resolution, or 'original' (never enlarges)")


def build_parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    _common(common)
    parser = Parser(prog="vidstyle", description="Neural style transfer for images, frame folders and videos.",
                    formatter_class=argparse.ArgumentDefaultsHelpFormatter, parents=[common])
    parser.add_argument("--version", action="version", version=f"vidstyle {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    fmt = argparse.ArgumentDefaultsHelpFormatter

    st = sub.add_parser("stylize", help="stylise an image, a frame folder or a video", parents=[common], formatter_class=fmt)
    st.add_argument("input", help="content image, video file or folder of frames")
    st.add_argument("-s", "--style", nargs="+", required=True, metavar="STYLE", help="style image(s)")
    st.add_argument("-o", "--output", required=True, help="output image, video file or folder")
    st.add_argument("--overwrite", action="store_true", help="replace an existing output")
    st.add_argument("--report", metavar="JSON", help="write every iteration's loss terms here")
    st.add_argument("--plot", metavar="PNG", help="plot the loss curves here")
    _add_style_options(st)
    return parser


def style_options(args: argparse.Namespace) -> StyleOptions:
    names = {f.name for f in dataclasses.fields(StyleOptions)}
    return StyleOptions.from_kwargs(**{k: v for k, v in vars(args).items() if k in names})


def check_output(path: Path, input_path: Path, overwrite: bool) -> None:
    """Refuse, before any work, an output that is the input, exists, or cannot be written."""
    if path.resolve() == input_path.resolve():
        raise OutputError(f"{path}: the output is the input; choose another path")
    if path.exists() and not overwrite:
        raise OutputError(f"{path}: exists; pass --overwrite to replace it")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise OutputError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{path}: folder {folder} is not writable")


def cmd_stylize(args: argparse.Namespace) -> int:
    options = style_options(args)
    source, output = Path(args.input), Path(args.output)
    if not source.exists():
        raise VidstyleError(f"{source}: no such file or folder")
    if source.is_dir() or source.suffix.lower() in VIDEO_SUFFIXES:
        raise UsageError("video and frame-folder input is not available yet")
    check_output(output, source, args.overwrite)
    from .images import IMAGE_SUFFIXES

    if output.suffix.lower() not in IMAGE_SUFFIXES:
        raise UsageError(f"--output {output}: expected an image suffix ({', '.join(IMAGE_SUFFIXES)})")
    from .progress import image_run

    return image_run(source, args.style, output, options, args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s",
    )
    try:
        if not args.debug:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            from .backend import import_quietly

            import_quietly()
        if args.command == "stylize":
            return cmd_stylize(args)
        raise UsageError(f"unknown command {args.command}")
    except VidstyleError as exc:
        if args.debug:
            raise
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except MemoryError:
        if args.debug:
            raise
        sys.stderr.write("error: out of memory; try a smaller --size\n")
        return 1
