"""Known answers for vidstyle.flow (translated textures, occlusion weights, scene cuts) and for what
is built on its warp: E_warp (vidstyle.stability) and the differentiable warp (vidstyle.diffwarp)."""

from __future__ import annotations

import cv2
import keras
import numpy as np
import pytest

from vidstyle.diffwarp import bilinear_taps, warp_taps
from vidstyle.errors import InputError, UsageError
from vidstyle.flow import (
    FlowPair,
    compute_flow,
    consistency_mask,
    flow_pair,
    is_scene_cut,
    motion_boundary,
    occlusion_weights,
    warp,
)
from vidstyle.stability import pair_errors, warp_error

SIZE = 96
MARGIN = 16  # interior used for flow accuracy: away from the border, where content enters or leaves


def texture(seed: int, size: int = SIZE, sigma: float = 2.0, pad: int = 32) -> np.ndarray:
    """Blurred random RGB texture in [0, 1], `pad` px larger than `size` on every side."""
    rng = np.random.default_rng(seed)
    noise = rng.random((size + 2 * pad, size + 2 * pad, 3)).astype(np.float32)
    big = cv2.GaussianBlur(noise, (0, 0), sigma)
    return (big - big.min()) / (big.max() - big.min())


def view(tex: np.ndarray, dx: float, dy: float, size: int = SIZE, pad: int = 32) -> np.ndarray:
    """RGB uint8 frame of `tex` whose content has moved by (+dx, +dy) px."""
    sample = np.float32([[1, 0, pad - dx], [0, 1, pad - dy]])  # frame(x) = tex(x + pad - d)
    frame = cv2.warpAffine(tex, sample, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    return np.clip(np.rint(frame * 255), 0, 255).astype(np.uint8)


def constant_flow(dx: float, dy: float, size: int = SIZE) -> np.ndarray:
    return np.broadcast_to(np.float32([dx, dy]), (size, size, 2)).copy()


def test_warp_with_zero_flow_returns_its_input() -> None:
    image = np.random.default_rng(0).integers(0, 256, (32, 40, 3)).astype(np.uint8)
    out = warp(image, np.zeros((32, 40, 2), np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, image.astype(np.float32))


@pytest.mark.parametrize("method, tol_px", [("dis", 0.1), ("farneback", 0.2)])
def test_translated_texture_gives_its_shift(method: str, tol_px: float) -> None:
    dx, dy = 3.5, -2.25
    tex = texture(1)
    prev_rgb, cur_rgb = view(tex, 0, 0), view(tex, dx, dy)
    flow_bwd = compute_flow(cur_rgb, prev_rgb, method)
    flow_fwd = compute_flow(prev_rgb, cur_rgb, method)
    inner = np.s_[MARGIN:-MARGIN, MARGIN:-MARGIN]
    assert flow_bwd.shape == (SIZE, SIZE, 2) and flow_bwd.dtype == np.float32
    assert np.mean(np.hypot(flow_bwd[inner][..., 0] + dx, flow_bwd[inner][..., 1] + dy)) < tol_px
    assert np.mean(np.hypot(flow_fwd[inner][..., 0] - dx, flow_fwd[inner][..., 1] - dy)) < tol_px
    residual = np.abs(warp(prev_rgb, flow_bwd) - cur_rgb.astype(np.float32))[inner]
    assert residual.mean() < 2.0  # grey levels


def test_unknown_method_is_a_usage_error() -> None:
    frame = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(UsageError, match="unknown flow method"):
        compute_flow(frame, frame, "lucas-kanade")


def test_disoccluded_trailing_edge_gets_weight_zero() -> None:
    background = view(texture(2), 0, 0)
    square = view(texture(3, sigma=4.0), 0, 0)[:32, :32]
    prev_rgb, cur_rgb = background.copy(), background.copy()
    prev_rgb[32:64, 26:58] = square  # the square moves 6 px to the right over a still background
    cur_rgb[32:64, 32:64] = square
    pair = flow_pair(prev_rgb, cur_rgb, "dis")
    assert pair.weights.dtype == np.float32
    assert 0.0 <= pair.weights.min() and pair.weights.max() <= 1.0
    assert pair.weights[36:60, 27:31].max() < 0.05  # background the square uncovered
    assert pair.weights[:16, :].min() > 0.95  # still background far from the square
    assert pair.weights[-16:, :].min() > 0.95
    assert not is_scene_cut(pair)


def test_out_of_frame_samples_get_weight_zero() -> None:
    flow_bwd, flow_fwd = constant_flow(-4, 0), constant_flow(4, 0)  # content moved 4 px right
    mask = consistency_mask(flow_bwd, flow_fwd)
    assert not mask[:, :4].any() and mask[:, 4:].all()
    weights = occlusion_weights(flow_bwd, flow_fwd)
    assert weights[:, :3].max() < 0.05 and weights[:, 8:].min() == pytest.approx(1.0)
    # The same with measured flow: the left strip of a texture moved right has no past.
    tex = texture(4)
    pair = flow_pair(view(tex, 0, 0), view(tex, 5, 0), "dis")
    assert pair.weights[MARGIN:-MARGIN, :3].max() < 0.05
    assert not pair.mask[MARGIN:-MARGIN, :4].any()


def test_motion_boundary_at_a_flow_discontinuity() -> None:
    flow_bwd = np.zeros((SIZE, SIZE, 2), np.float32)
    flow_bwd[:, 48:, 0] = 5.0
    boundary = motion_boundary(flow_bwd)
    assert boundary[:, 47:49].all()  # central differences: the two pixels beside the step
    boundary[:, 47:49] = False
    assert not boundary.any()
    weights = occlusion_weights(flow_bwd, -flow_bwd)  # consistent everywhere but at the step
    # Motion boundaries are weighted MOTION_BOUNDARY_WEIGHT (then blurred), not 0 (docs/TEMPORAL.md).
    assert 0.3 < weights[:, 47:49].max() < 0.75 and weights[:, :44].min() == pytest.approx(1.0)


def test_start_keeps_warped_pixels_on_motion_boundaries_not_on_disocclusions() -> None:
    flow_bwd = np.zeros((SIZE, SIZE, 2), np.float32)
    flow_bwd[:, 48:, 0] = 5.0
    pair = FlowPair(flow_bwd, -flow_bwd, occlusion_weights(flow_bwd, -flow_bwd),
                    consistency_mask(flow_bwd, -flow_bwd))
    assert pair.start_weights()[:, 40:56].min() == pytest.approx(1.0)  # the boundary starts warped
    moved_bwd, moved_fwd = constant_flow(-4, 0), constant_flow(4, 0)
    pair = FlowPair(moved_bwd, moved_fwd, occlusion_weights(moved_bwd, moved_fwd),
                    consistency_mask(moved_bwd, moved_fwd))
    start = pair.start_weights()
    assert start.shape == (SIZE, SIZE, 1) and start[:, :3].max() < 0.05 and start[:, 8:].min() > 0.99


def test_warp_error_of_static_and_noisy_clips() -> None:
    frame = view(texture(5), 0, 0)
    static = [frame] * 3
    mean, per_pair = warp_error(iter(static), iter(static))
    assert len(per_pair) == 2 and mean == pytest.approx(0.0, abs=1e-8)
    rng = np.random.default_rng(6)
    noisy = [np.clip(frame + rng.normal(0, 10, frame.shape), 0, 255).astype(np.uint8)
             for _ in range(3)]
    noisy_mean, _ = warp_error(noisy, static)
    assert noisy_mean == pytest.approx(2 * (10 / 255) ** 2, rel=0.3)  # two independent noises


def test_warp_error_of_a_moving_clip_is_small_and_resizes_the_originals() -> None:
    tex = texture(7)
    originals = [view(tex, 2 * t, t, size=128) for t in range(3)]
    outputs = [cv2.resize(f, (64, 64), interpolation=cv2.INTER_AREA) for f in originals]
    mean, per_pair = warp_error(outputs, originals)
    assert len(per_pair) == 2 and 0 <= mean < 1e-3


def test_one_pass_gives_e_warp_and_its_floor() -> None:
    """The run measures the output and the original along one flow per pair (it took two full
    passes, three decodes of the input: 25 minutes' silence for 10,000 frames at 512x288): each
    column is what warp_error gives alone."""
    tex = texture(11)
    rng = np.random.default_rng(12)
    originals = [view(tex, 3 * t, t, size=96) for t in range(4)]
    outputs = [np.clip(cv2.resize(f, (48, 48), interpolation=cv2.INTER_AREA) + rng.normal(0, 6, (48, 48, 3)),
                       0, 255).astype(np.uint8) for f in originals]
    small = [cv2.resize(f, (48, 48), interpolation=cv2.INTER_AREA) for f in originals]
    both = list(pair_errors(outputs, originals))
    assert [o for o, _ in both] == warp_error(outputs, originals)[1]
    assert [f for _, f in both] == warp_error(small, small)[1]
    assert all(f < o for o, f in both)  # the noise is the output's own


def test_warp_error_rejects_different_lengths() -> None:
    frame = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(InputError, match="differ in length"):
        warp_error([frame] * 3, [frame] * 2)
    with pytest.raises(InputError, match="output frame 1: expected RGB uint8"):  # a bad frame, not a short sequence
        warp_error([frame, None, frame], [frame] * 3)


def test_scene_cut_on_unrelated_frames_not_on_motion() -> None:
    for method in ("dis", "farneback"):
        cut = flow_pair(view(texture(8), 0, 0), view(texture(9), 0, 0), method)
        assert is_scene_cut(cut), method
        tex = texture(10)
        moved = flow_pair(view(tex, 0, 0), view(tex, 4, 3), method)
        assert not is_scene_cut(moved), method
    # The mask rule alone, on a hand-built pair (no photometric ratio).
    empty = np.zeros((8, 8), bool)
    flows = np.zeros((8, 8, 2), np.float32)
    assert is_scene_cut(FlowPair(flows, flows, empty.astype(np.float32), empty))
    assert not is_scene_cut(FlowPair(flows, flows, np.ones((8, 8), np.float32), ~empty))


def _random_warp_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    image = rng.random((24, 32, 3)).astype(np.float32)
    # Flow on the 1/32 px grid: OpenCV 4's remap rounds sample positions to it; OpenCV 5 does not.
    flow = np.round(rng.normal(0, 5, (24, 32, 2)) * 32).astype(np.float32) / 32
    return image, flow


def test_warp_taps_equals_warp() -> None:
    image, flow = _random_warp_case(11)
    idx, wts = bilinear_taps(flow)
    assert idx.shape == wts.shape == (24 * 32, 4)
    assert idx.dtype == np.int32 and wts.dtype == np.float32
    np.testing.assert_allclose(wts.sum(axis=1), 1.0, atol=1e-6)
    out = keras.ops.convert_to_numpy(warp_taps(image, idx, wts))
    np.testing.assert_allclose(out, warp(image, flow), atol=1e-3)
    image2, flow2 = _random_warp_case(12)
    idx2, wts2 = bilinear_taps(flow2)
    batch = warp_taps(np.stack([image, image2]), np.stack([idx, idx2]), np.stack([wts, wts2]))
    batch = keras.ops.convert_to_numpy(batch)
    np.testing.assert_allclose(batch[1], warp(image2, flow2), atol=1e-3)
    np.testing.assert_allclose(batch[0], out, atol=1e-6)
    shared = keras.ops.convert_to_numpy(warp_taps(np.stack([image, image2]), idx, wts))
    np.testing.assert_allclose(shared[1], warp(image2, flow), atol=1e-3)  # one set of taps


def _grad_of_weighted_sum(
    x: np.ndarray, idx: np.ndarray, wts: np.ndarray, probe: np.ndarray
) -> np.ndarray:
    """d/dx Σ probe · warp_taps(x), under whichever backend Keras runs."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x_var = tf.Variable(x)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(warp_taps(x_var, idx, wts) * probe)
        return np.asarray(tf.convert_to_tensor(tape.gradient(loss, x_var)))
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        grad_fn = jax.grad(lambda v: jnp.sum(warp_taps(v, idx, wts) * probe))
        return np.asarray(grad_fn(jnp.asarray(x)))
    pytest.skip(f"no gradient helper for the {backend} backend")


def test_warp_taps_gradient_is_the_transposed_warp() -> None:
    image, flow = _random_warp_case(13)
    idx, wts = bilinear_taps(flow)
    probe = np.random.default_rng(14).random(image.shape).astype(np.float32)
    grad = _grad_of_weighted_sum(image, idx, wts, probe)
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0
    expected = np.zeros((24 * 32, 3), np.float64)  # scatter each output's probe back to its taps
    for k in range(4):
        np.add.at(expected, idx[:, k], wts[:, k, None] * probe.reshape(-1, 3))
    np.testing.assert_allclose(grad.reshape(-1, 3), expected, atol=1e-4)


def test_scene_cut_threshold_zero_never_cuts():
    from vidstyle.flow import flow_pair, is_scene_cut

    rng = np.random.default_rng(0)
    a, b = (rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(2))  # unrelated frames
    pair = flow_pair(a, b, "dis")
    assert is_scene_cut(pair, 0.1) and not is_scene_cut(pair, 0.0)


@pytest.mark.parametrize("resume_at", [1, 3, 5])
def test_source_frames_resumed_equal_the_same_frames_of_a_whole_pass(resume_at):
    """A resumed run skips the long-finished frames, yet gets the frames, flows and cut flags that
    an uninterrupted pass gives from `resume_at` on (long-term offsets 1, 2, 4 included)."""
    from vidstyle.temporal import source_frames

    tex = texture(5)
    frames = [(k, view(tex, 1.5 * k, 0.5 * k)) for k in range(7)]
    whole = list(source_frames(frames, (SIZE, SIZE), (1, 2, 4), "dis", 0.1))
    resumed = list(source_frames(frames, (SIZE, SIZE), (1, 2, 4), "dis", 0.1, resume_at=resume_at))
    assert [f.position for f in resumed] == list(range(resume_at, 7))
    for a, b in zip(whole[resume_at:], resumed):
        assert a.cut == b.cut and sorted(a.pairs) == sorted(b.pairs)
        np.testing.assert_array_equal(a.content, b.content)
        for j in a.pairs:
            np.testing.assert_array_equal(a.pairs[j].flow_bwd, b.pairs[j].flow_bwd)
    assert sorted(whole[6].pairs) == [1, 2, 4]  # the long-term pairs are really there
