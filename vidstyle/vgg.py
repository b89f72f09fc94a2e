"""VGG19 layer names and constants, without importing Keras (the CLI validates with them)."""

from __future__ import annotations

from collections.abc import Sequence

from .errors import UsageError

# The ImageNet mean pixel in BGR order, subtracted by vgg19.preprocess_input ("caffe" mode).
MEAN_BGR = (103.939, 116.779, 123.68)
BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))
CONV_LAYERS = tuple(
    f"block{b}_conv{c}" for b, (_, convs) in enumerate(BLOCKS, start=1) for c in range(1, convs + 1)
)
POOL_FACTOR: dict[str, int] = {name: 2 ** (int(name[5]) - 1) for name in CONV_LAYERS}  # downsampling at a layer


def check_layers(names: Sequence[str], option: str) -> None:
    unknown = [n for n in names if n not in CONV_LAYERS]
    if unknown or not names:
        raise UsageError(
            f"{option}: unknown layer {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(CONV_LAYERS)}"
        )


def min_long_side(names: Sequence[str]) -> int:
    """Smallest longest side: it leaves the deepest named layer at least 2 positions across (the
    --size and --scales floor)."""
    return 2 * max(POOL_FACTOR[n] for n in names)


def min_short_side(names: Sequence[str]) -> int:
    """Smallest short side: it leaves the deepest named layer one position (a smaller one pools to
    nothing, and the backend aborts)."""
    return max(POOL_FACTOR[n] for n in names)
