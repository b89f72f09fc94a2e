"""Pure loss functions of tensors (keras.ops), METHOD.md sections 2 and 3.

Every function takes a batch: features are (B, H, W, C), images (B, H, W, 3) RGB on the 0-255
scale, and returns one value per frame, shape (B,), except `gram`, which returns (B, C, C). Two
families live here:

* the *reported* components (``*_report``): exactly the unweighted formulas of METHOD.md section 2,
  so that anyone can recompute the numbers in a report;
* the *objective* terms (``*_objective``): the normalised forms of METHOD.md section 3 (the
  TensorFlow tutorial's for content and style) that do not drift with resolution.
"""

from __future__ import annotations

from keras import ops

from .backend import Tensor

TV_EPSILON = 1e-4  # inside the square root of the isotropic TV, METHOD.md 2 (ε ≤ 1e-4)


def gram(features: Tensor) -> Tensor:  # (B, H, W, C) -> (B, C, C)
    """Gram matrix divided by its number of positions M = H·W (METHOD.md 2)."""
    shape = ops.shape(features)
    flat = ops.reshape(features, (shape[0], -1, shape[-1]))
    positions = ops.cast(ops.shape(flat)[1], flat.dtype)
    return ops.einsum("bmc,bmd->bcd", flat, flat) / positions


def content_report(features: Tensor, target: Tensor) -> Tensor:
    """L_content = ½ Σ (F − P)² for one layer, per frame."""
    return 0.5 * ops.sum(ops.square(features - target), axis=(1, 2, 3))


def content_objective(features: Tensor, target: Tensor) -> Tensor:
    """mean((F − P)²) for one layer, per frame: the tutorial's content term."""
    return ops.mean(ops.square(features - target), axis=(1, 2, 3))


def style_report(gram_x: Tensor, gram_target: Tensor) -> Tensor:
    """E_l = 1/(4N²) Σ_ij (G_ij/M − Â_ij)² for one layer, per frame (grams already divided by M)."""
    return 0.25 * ops.mean(ops.square(gram_x - gram_target), axis=(1, 2))


def style_objective(gram_x: Tensor, gram_target: Tensor) -> Tensor:
    """mean((G/M − Â)²) over the N² entries = 4·E_l: the tutorial's style term for one layer."""
    return ops.mean(ops.square(gram_x - gram_target), axis=(1, 2))


def tv_report(image: Tensor) -> Tensor:
    """Isotropic total variation, summed over i < H−1, j < W−1 and channels (METHOD.md 2)."""
    base = image[:, :-1, :-1, :]
    down = image[:, 1:, :-1, :] - base
    right = image[:, :-1, 1:, :] - base
    return ops.sum(ops.sqrt(ops.square(down) + ops.square(right) + TV_EPSILON), axis=(1, 2, 3))


def tv_objective(image: Tensor) -> Tensor:
    """L_tv per pixel difference, L_tv / ((H−1)(W−1)·3), so the weight does not drift with size."""
    shape = ops.shape(image)
    count = ops.cast((shape[1] - 1) * (shape[2] - 1) * shape[3], image.dtype)
    return tv_report(image) / count


def temporal_report(image: Tensor, warped: Tensor, weights: Tensor) -> Tensor:
    """Short- and long-term temporal loss, Σ_j (1/D) Σ c_j (x − ω_j)², per frame.

    ``warped`` is (B, K, H, W, 3): K earlier stylised frames warped into this one; ``weights`` is
    (B, K, H, W, 1), each c_j already reduced for long-term use (METHOD.md 2). D = H·W·3.
    """
    diff = ops.expand_dims(image, 1) - warped
    return ops.sum(weights * ops.square(diff), axis=(1, 2, 3, 4)) / ops.cast(
        ops.shape(image)[1] * ops.shape(image)[2] * ops.shape(image)[3], image.dtype
    )
