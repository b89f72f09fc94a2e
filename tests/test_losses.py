"""Known answers for the pure loss functions (METHOD.md section 2)."""

from __future__ import annotations

import numpy as np
from keras import ops

from vidstyle import losses


def np_(x):
    return ops.convert_to_numpy(x)


def test_gram_of_known_matrix():
    # Two positions, two channels: F = [[1, 2], [3, 4]] (rows = positions).
    f = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32).reshape(1, 1, 2, 2)
    expected = np.array([[1 + 9, 2 + 12], [2 + 12, 4 + 16]], np.float32) / 2  # G / M
    np.testing.assert_allclose(np_(losses.gram(f))[0], expected)


def test_tv_of_constant_image_is_about_zero():
    x = np.full((1, 10, 12, 3), 77.0, np.float32)
    value = float(np_(losses.tv_report(x))[0])
    np.testing.assert_allclose(value, 9 * 11 * 3 * np.sqrt(losses.TV_EPSILON), rtol=1e-5)
    assert float(np_(losses.tv_objective(x))[0]) <= 0.0101  # ~0: only the ε inside the root


def test_tv_of_ramp_is_known():
    # x = 2·j (horizontal ramp): every difference is (0, 2) -> sqrt(4 + eps) per entry.
    h, w = 6, 8
    x = np.tile((2.0 * np.arange(w, dtype=np.float32))[None, :, None], (h, 1, 3))[None]
    expected = (h - 1) * (w - 1) * 3 * np.sqrt(4.0 + losses.TV_EPSILON)
    np.testing.assert_allclose(float(np_(losses.tv_report(x))[0]), expected, rtol=1e-6)
    np.testing.assert_allclose(float(np_(losses.tv_objective(x))[0]), np.sqrt(4.0 + losses.TV_EPSILON), rtol=1e-6)


def test_content_and_style_known_values(rng):
    f = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    p = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(np_(losses.content_report(f, p)), 0.5 * ((f - p) ** 2).sum(axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(np_(losses.content_objective(f, p)), ((f - p) ** 2).mean(axis=(1, 2, 3)), rtol=1e-5)
    g = np_(losses.gram(f))
    a = rng.normal(size=(1, 5, 5)).astype(np.float32)
    e = ((g - a) ** 2).sum(axis=(1, 2)) / (4 * 5**2)
    np.testing.assert_allclose(np_(losses.style_report(g, a)), e, rtol=1e-5)
    np.testing.assert_allclose(np_(losses.style_objective(g, a)), 4 * e, rtol=1e-5)


def test_temporal_is_weighted_mean_square(rng):
    x = rng.uniform(0, 255, (1, 4, 5, 3)).astype(np.float32)
    warped = rng.uniform(0, 255, (1, 2, 4, 5, 3)).astype(np.float32)
    c = rng.uniform(0, 1, (1, 2, 4, 5, 1)).astype(np.float32)
    expected = (c * (x[:, None] - warped) ** 2).sum() / (4 * 5 * 3)
    np.testing.assert_allclose(float(np_(losses.temporal_report(x, warped, c))[0]), expected, rtol=1e-5)
    assert float(np_(losses.temporal_report(x, warped, 0 * c))[0]) == 0.0


def test_adam_update_first_step_moves_each_pixel_by_lr_against_its_gradient():
    """Known answer: from m = v = 0 the bias-corrected step is lr·g/(|g| + ε), clipped to 0-255."""
    from keras import ops

    from vidstyle.optimizers import adam_update

    x = np.array([[10.0, 100.0, 254.5]], np.float32)
    grad = np.array([[4.0, -0.5, -2.0]], np.float32)
    zeros = np.zeros_like(x)
    hyper = np.array([2.0, 0.9, 0.999, 1e-8], np.float32)
    new_x, m, v, t = (ops.convert_to_numpy(a) for a in adam_update(x, zeros, zeros, np.float32(0.0), grad, hyper))
    np.testing.assert_allclose(new_x, [[8.0, 102.0, 255.0]], rtol=1e-5)  # the last one clipped
    np.testing.assert_allclose(m, 0.1 * grad, rtol=1e-5)
    np.testing.assert_allclose(v, 0.001 * grad**2, rtol=1e-4)
    assert float(t) == 1.0
