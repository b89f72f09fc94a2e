"""Presets and option validation (no network needed)."""

from __future__ import annotations

import pytest

from vidstyle.config import PRESETS, StyleOptions, VideoOptions
from vidstyle.errors import UsageError


def test_a_preset_fills_in_what_the_user_did_not_set():
    o = StyleOptions.from_kwargs(weights="random", preset="quality")
    assert (o.iterations, o.tol, o.precision) == (1000, 0.0, "float32")
    style_kw, video_kw = VideoOptions.split_kwargs({"preset": "fast", "weights": "random"})
    assert VideoOptions(**video_kw).frame_iterations == PRESETS["fast"]["frame_iterations"]
    assert StyleOptions.from_kwargs(**style_kw).iterations == PRESETS["fast"]["iterations"]


def test_explicit_options_win_over_the_preset():
    o = StyleOptions.from_kwargs(weights="random", preset="quality", iterations=7, precision="mixed")
    assert (o.iterations, o.precision, o.tol) == (7, "mixed", 0.0)


def test_balanced_is_the_defaults_and_unknown_presets_are_refused():
    assert StyleOptions.from_kwargs(weights="random", preset="balanced") == StyleOptions(weights="random")
    with pytest.raises(UsageError, match="--preset"):
        StyleOptions.from_kwargs(weights="random", preset="fastest")


def test_precision_auto_is_the_default_and_bad_values_are_refused():
    assert StyleOptions(weights="random").precision == "auto"
    with pytest.raises(UsageError, match="--precision"):
        StyleOptions(weights="random", precision="half")


@pytest.mark.parametrize("field, value", [("beta1", "0.9"), ("lr", "2"), ("content_weight", True), ("tol", None)])
def test_api_values_of_the_wrong_type_are_usage_errors(field, value):
    """Programs pass anything: a str reaching a comparison raised a bare TypeError."""
    with pytest.raises(UsageError, match=f"--{field.replace('_', '-')}"):
        StyleOptions(weights="random", **{field: value})


@pytest.mark.parametrize("field, value", [("crf", "18"), ("crf", 18.5), ("scene_cut", "0.2"), ("frame_lr", "2")])
def test_api_video_values_of_the_wrong_type_are_usage_errors(field, value):
    with pytest.raises(UsageError, match=f"--{field.replace('_', '-')}"):
        VideoOptions(**{field: value})


def test_a_cli_preset_sets_defaults_and_explicit_options_win():
    from vidstyle.arguments import parse

    base = ["stylize", "in.mp4", "-s", "s.png", "-o", "out.mp4"]
    fast = parse([*base, "--preset", "fast"])
    assert (fast.iterations, fast.frame_iterations) == (PRESETS["fast"]["iterations"], PRESETS["fast"]["frame_iterations"])
    assert parse([*base, "--preset", "fast", "--iterations", "7"]).iterations == 7
    assert parse(base).iterations == StyleOptions.__dataclass_fields__["iterations"].default


def test_numpy_values_are_taken_as_a_program_has_them():
    """README: values come as a program has them. A NumPy array of offsets was refused for
    long_term while style_blend took one (the API audit)."""
    import numpy as np

    from vidstyle.config import StyleOptions, VideoOptions

    style_kw, video_kw = VideoOptions.split_kwargs({"long_term": np.array([1, 2]), "style_blend": np.array([1.0, 3.0]),
                                                   "iterations": np.int64(5)})
    assert VideoOptions(**video_kw).long_term == (1, 2)
    style = StyleOptions.from_kwargs(**style_kw)
    assert style.style_blend == (1.0, 3.0) and style.iterations == 5 and type(style.iterations) is int
