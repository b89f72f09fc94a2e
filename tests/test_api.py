"""loss_terms and stylize_image against independent NumPy / Keras computations (METHOD.md 2-3)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import vidstyle
from vidstyle import backend
from vidstyle.api import get_engine
from vidstyle.config import DEFAULT_STYLE_LAYERS, StyleOptions
from vidstyle.errors import InputError, UsageError
from conftest import smooth_image

CONTENT = "block5_conv2"


def keras_features(weights_file: str, image_rgb: np.ndarray, names) -> dict[str, np.ndarray]:
    """Features from Keras' own VGG19 and its own preprocess_input: independent of vidstyle."""
    base = keras.applications.VGG19(include_top=False, weights=weights_file, input_shape=(None, None, 3))
    model = keras.Model(base.input, [base.get_layer(n).output for n in names])
    x = keras.applications.vgg19.preprocess_input(image_rgb[None].astype(np.float32).copy())
    return {n: keras.ops.convert_to_numpy(f)[0].astype(np.float64) for n, f in zip(names, model(x))}


def np_gram(f: np.ndarray) -> np.ndarray:
    flat = f.reshape(-1, f.shape[-1])
    return flat.T @ flat / flat.shape[0]


def np_tv(x: np.ndarray) -> float:
    x = x.astype(np.float64)
    base = x[:-1, :-1]
    return float(np.sqrt((x[1:, :-1] - base) ** 2 + (x[:-1, 1:] - base) ** 2 + 1e-4).sum())


@pytest.fixture(scope="module")
def images(rng):
    return {
        "content": smooth_image(rng, 40, 48),
        "image": rng.uniform(0, 255, (40, 48, 3)).astype(np.float32),
        "style1": smooth_image(rng, 56, 56),
        "style2": rng.uniform(0, 255, (36, 44, 3)).astype(np.float32),
    }


def test_loss_terms_equal_numpy_reference(weights_file, images):
    # Styles whose longest side is the image's: a run (and loss_terms) leaves them at that size.
    rng = np.random.default_rng(3)
    style1, style2 = smooth_image(rng, 48, 48), rng.uniform(0, 255, (36, 48, 3)).astype(np.float32)
    names = (CONTENT, *DEFAULT_STYLE_LAYERS)
    fx = keras_features(weights_file, images["image"], names)
    fp = keras_features(weights_file, images["content"], names)
    fs1 = keras_features(weights_file, style1, names)
    fs2 = keras_features(weights_file, style2, names)
    blend = (0.25, 0.75)
    content = 0.5 * ((fx[CONTENT] - fp[CONTENT]) ** 2).sum()
    style = style_obj = 0.0
    for n in DEFAULT_STYLE_LAYERS:
        target = blend[0] * np_gram(fs1[n]) + blend[1] * np_gram(fs2[n])
        diff = np_gram(fx[n]) - target
        style += 0.2 * (diff**2).sum() / (4 * diff.shape[0] ** 2)
        style_obj += 0.2 * (diff**2).mean()
    tv = np_tv(images["image"])
    total = 1e4 * ((fx[CONTENT] - fp[CONTENT]) ** 2).mean() + 1e-2 * style_obj + 5.0 * tv / (39 * 47 * 3)

    got = vidstyle.loss_terms(
        images["content"], images["image"], [style1, style2],
        weights=weights_file, style_blend=(1, 3), tv_weight=5.0,
    )
    assert set(got) == {"content", "style", "tv", "total"}
    for key, expected in (("content", content), ("style", style), ("tv", tv), ("total", total)):
        np.testing.assert_allclose(got[key], expected, rtol=2e-3, err_msg=key)


def test_loss_terms_take_the_content_a_run_was_given(weights_file, images):
    """README: `loss_terms(content, stylize_image(content, ...), styles)`: the result is at the
    working size, and the content is resized to it (it was refused as another shape)."""
    from vidstyle.images import resize

    big = resize(images["content"].astype(np.uint8), 96, 80)
    out = vidstyle.stylize_image(big, [images["style1"]], weights=weights_file, size=48, iterations=2)
    assert out.shape == (40, 48, 3)
    got = vidstyle.loss_terms(big, out, [images["style1"]], weights=weights_file)
    assert got == vidstyle.loss_terms(resize(big.astype(np.float32), 48, 40), out, [images["style1"]], weights=weights_file)
    with pytest.raises(InputError, match="not a smaller copy"):
        vidstyle.loss_terms(big[:, :90], out, [images["style1"]], weights=weights_file)


@pytest.mark.parametrize("options", [{}, {"style_scale": 0.5}, {"tv_weight": 1e5, "content_weight": 1.0}])
def test_loss_terms_score_what_the_run_optimised(weights_file, images, options):
    """The README shows loss_terms(content, stylize_image(...), styles) as the optimised total, but
    it scored the styles at their own size (6x the run's style term, the API audit) and ignored
    --style-scale. --preserve-colors is refused: the run returns only its image's luminance."""
    from vidstyle.api import run_image

    o = StyleOptions.from_kwargs(**({"weights": weights_file, "size": 48, "iterations": 3, "tol": 0,
                                     "precision": "float32"} | options))
    content = images["content"].astype(np.uint8)
    image, result = run_image(content, [images["style1"]], o)
    got = vidstyle.loss_terms(content, image, [images["style1"]], weights=weights_file, **options)
    last = result.history[-1][0]
    for key, column in (("content", 0), ("style", 1), ("tv", 2), ("total", 4)):
        np.testing.assert_allclose(got[key], last[column], rtol=2e-3, err_msg=key)
    with pytest.raises(UsageError, match="preserve_colors"):
        vidstyle.loss_terms(content, image, [images["style1"]], weights=weights_file, preserve_colors=True)


def tutorial_objective(weights_file: str, image_rgb, content_rgb, style_rgb) -> float:
    """The TensorFlow tutorial's style_content_loss, written from its description, on [0,1] images."""
    names = (CONTENT, *DEFAULT_STYLE_LAYERS)

    def outputs(img01):
        feats = keras_features(weights_file, img01 * 255.0, names)
        grams = {n: np.einsum("ijc,ijd->cd", feats[n], feats[n]) / (feats[n].shape[0] * feats[n].shape[1])
                 for n in DEFAULT_STYLE_LAYERS}
        return feats[CONTENT], grams

    gen_c, gen_s = outputs(image_rgb / 255.0)
    tgt_c, _ = outputs(content_rgb / 255.0)
    _, tgt_s = outputs(style_rgb / 255.0)
    style_loss = sum(((gen_s[n] - tgt_s[n]) ** 2).mean() for n in DEFAULT_STYLE_LAYERS) * 1e-2 / 5
    content_loss = ((gen_c - tgt_c) ** 2).mean() * 1e4 / 1
    return style_loss + content_loss


@pytest.mark.parametrize("shape", [(40, 48), (64, 80)])
def test_content_and_style_objective_is_the_tutorials(weights_file, rng, shape):
    h, w = shape
    # The style's longest side is the image's, as the tutorial loads both (and as a run scales it).
    content, image, style = smooth_image(rng, h, w), rng.uniform(0, 255, (h, w, 3)).astype(np.float32), smooth_image(rng, w, w)
    ours = vidstyle.loss_terms(content, image, style, weights=weights_file, tv_weight=0.0)["total"]
    np.testing.assert_allclose(ours, tutorial_objective(weights_file, image, content, style), rtol=2e-3)


def test_gradient_matches_finite_differences(rng):
    options = StyleOptions(weights="random", style_layers=("block1_conv1", "block2_conv1"),
                           content_layers=("block2_conv2",), tv_weight=10.0)
    engine = get_engine(options)
    content, style = smooth_image(rng, 16, 16), smooth_image(rng, 16, 16)
    x = smooth_image(rng, 16, 16)[None]
    targets = engine.targets(content[None], engine.style_targets([style], [1.0]), (1e4, 1e-2, 10.0, 0.0))
    grad = engine.gradient(x, targets).astype(np.float64)
    total = lambda img: float(engine.evaluate(img, targets)[0, 4])  # noqa: E731
    for _ in range(3):
        d = rng.normal(size=x.shape).astype(np.float32)
        d /= np.linalg.norm(d)
        h = 0.5
        numeric = (total(x + h * d) - total(x - h * d)) / (2 * h)
        analytic = float((grad * d).sum())
        np.testing.assert_allclose(analytic, numeric, rtol=0.03, atol=1e-3 * abs(total(x)))


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_no_retrace_between_iterations_and_images(rng, optimizer):
    options = StyleOptions(weights="random", optimizer=optimizer, size=32, iterations=4, tol=0.0)
    before = dict(backend.TRACES)
    for seed in range(3):
        out = vidstyle.stylize_image(smooth_image(rng, 32, 32), smooth_image(rng, 32, 32),
                                     weights="random", optimizer=optimizer, size=32, iterations=4, tol=0.0,
                                     content_weight=1e4 * (seed + 1), lr=4.0 + seed)
        assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    key = "adam" if optimizer == "adam" else "gradient"
    assert backend.TRACES[key] - before.get(key, 0) <= 1, backend.TRACES
    del options


def test_optimizers_reduce_loss_and_respect_bounds(rng):
    content, style = smooth_image(rng, 32, 32), smooth_image(rng, 32, 32)
    for optimizer in ("adam", "lbfgs"):
        o = StyleOptions(weights="random", optimizer=optimizer, size=32, iterations=50, tol=0.0, lr=2.0)
        image, result = vidstyle.api.run_image(content, style, o)
        assert result.iterations == 50, optimizer
        assert result.history[-1, 0, 4] < 0.85 * result.history[0, 0, 4], optimizer
        assert image.min() >= 0 and image.max() <= 255


def test_tol_stops_early(rng):
    content, style = smooth_image(rng, 32, 32), smooth_image(rng, 32, 32)
    o = StyleOptions(weights="random", optimizer="adam", size=32, iterations=400, tol=0.05)
    _, result = vidstyle.api.run_image(content, style, o)
    assert result.iterations < 400


def test_preserve_colors_keeps_content_chroma(rng):
    import cv2

    content, style = smooth_image(rng, 32, 32), smooth_image(rng, 32, 32)[..., ::-1].copy()
    out = vidstyle.stylize_image(content, style, weights="random", size=32, iterations=10, preserve_colors=True)
    chroma = lambda im: cv2.cvtColor(im.astype(np.uint8), cv2.COLOR_RGB2YCrCb)[..., 1:].astype(float)  # noqa: E731
    assert np.abs(chroma(out) - chroma(content)).mean() < 2.0


def test_unknown_option_is_a_usage_error():
    from vidstyle.errors import UsageError

    with pytest.raises(UsageError, match="unknown option"):
        vidstyle.stylize_image(np.zeros((32, 32, 3)), np.zeros((32, 32, 3)), weigths="random")


def test_coarse_to_fine_keeps_one_history_row_per_iteration_with_its_scale(rng):
    from vidstyle.report import frame_entries

    o = StyleOptions(weights="random", size=64, iterations=5, tol=0.0, scales=2)
    image, result = vidstyle.api.run_image(smooth_image(rng, 48, 64), smooth_image(rng, 48, 48), o)
    assert image.shape == (48, 64, 3)
    entry = frame_entries(result, 0)[0]
    assert entry["scales"] == [[32, 24], [64, 48]]
    assert entry["iterations"] == 10 and len(entry["history"]) == 11
    assert [row[6] for row in entry["history"]] == [0] * 6 + [1] * 5


def test_mixed_precision_runs_with_adam_and_is_refused_with_lbfgs(rng):
    from vidstyle.errors import UsageError

    out = vidstyle.stylize_image(smooth_image(rng, 32, 32), smooth_image(rng, 32, 32), weights="random",
                                 size=32, iterations=3, optimizer="adam", precision="mixed")
    assert out.shape == (32, 32, 3)
    with pytest.raises(UsageError, match="--optimizer adam"):
        StyleOptions(weights="random", precision="mixed", optimizer="lbfgs")


def test_arrays_are_taken_like_files_and_unit_floats_are_refused(rng):
    from vidstyle.api import as_rgb

    rgb = rng.integers(0, 256, (6, 5, 3)).astype(np.uint8)
    assert np.array_equal(as_rgb(rgb, "content"), rgb.astype(np.float32))
    assert np.array_equal(as_rgb(rgb[:, :, 0], "content"), np.repeat(rgb[:, :, :1], 3, axis=2))  # gray
    assert np.allclose(as_rgb(rgb.astype(np.uint16) * 257, "content"), rgb)  # 16 bits
    alpha = np.dstack([rgb, np.full((6, 5), 255, np.uint8)])
    assert np.allclose(as_rgb(alpha, "content"), rgb)  # opaque: the colours themselves
    alpha[..., 3] = 0
    assert np.allclose(as_rgb(alpha, "content"), 255)  # transparent: white paper
    assert as_rgb(np.zeros((4, 4, 3), np.float32), "content").max() == 0  # black is 0-255 black
    with pytest.raises(InputError, match=r"style: a float array with values in \[0, 1\]"):
        as_rgb(rgb / 255.0, "style")
    with pytest.raises(InputError, match="unsupported pixel type bool"):
        as_rgb(rgb > 9, "content")


def test_one_layer_for_content_and_style(rng):
    # One layer in all makes a one-output Keras model, which returns a tensor, not a list.
    content = smooth_image(rng, 24, 32)
    out = vidstyle.stylize_image(content, content[::-1], weights="random", iterations=3, tol=0.0,
                                 content_layers=("block1_conv1",), style_layers=("block1_conv1",))
    assert out.shape == (24, 32, 3)
    terms = vidstyle.loss_terms(content, out, content[::-1], weights="random", content_layers=("block1_conv1",),
                                style_layers=("block1_conv1",))
    assert terms["content"] > 0 and terms["style"] > 0


def test_keywords_are_taken_as_a_program_has_them(rng, tmp_path):
    # Paths, NumPy numbers, "1,3" strings and size="original" as the CLI spells them.
    from pathlib import Path

    from vidstyle.errors import UsageError

    content = smooth_image(rng, 24, 32)
    o = StyleOptions.from_kwargs(style_blend="1,3", style_layer_weights=[1, 1, 1, 1, np.float32(2)],
                                 seed=np.int64(3), size="original", init=Path("start.png"), lr=np.float64(2))
    assert (o.style_blend, o.seed, o.size, o.init, o.lr) == ((1.0, 3.0), 3, None, "start.png", 2.0)
    assert isinstance(o.seed, int) and o.layer_weights[-1] == pytest.approx(2 / 6)
    with pytest.raises(UsageError, match="--style-blend"):
        StyleOptions.from_kwargs(style_blend="1,x")
    with pytest.raises(UsageError, match="init"):
        StyleOptions.from_kwargs(init=content)
    with pytest.raises(InputError, match="8x8 is too small"):  # was a backend abort
        vidstyle.loss_terms(content[:8, :8], content[:8, :8], content, weights="random")


def test_the_plot_breaks_its_lines_where_the_scale_changes(tmp_path, monkeypatch):
    """Coarse-to-fine histories jump where the resolution changes: the plot marks the change and
    draws no line across it; rows of 0 (a start that is the content) are not drawn on the log axis."""
    import matplotlib.axes

    from vidstyle.report import _scale_changes, plot_losses

    rows = [[i, 0.0 if i == 0 else 10.0 + i, 5.0, 1.0, 0.0, 20.0, 0 if i < 3 else 1] for i in range(6)]
    assert _scale_changes(np.asarray(rows, dtype=float)) == [3]
    drawn = []
    real_plot = matplotlib.axes.Axes.plot

    def plot(ax, x, y, *args, **kwargs):
        drawn.append((list(x), list(y), kwargs.get("label")))
        return real_plot(ax, x, y, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", plot)
    report = {"frames": [{"history": rows, "scales": [[32, 24], [64, 48]]}]}
    plot_losses(tmp_path / "p.png", report)
    content = next(d for d in drawn if d[2] is None and len(d[0]) == 7)  # 6 rows and the break
    assert np.isnan(content[0][3]) and np.isnan(content[1][0])  # the break; the 0 start left out
    assert {d[2] for d in drawn if d[2]} == {"content", "style", "tv", "total"}  # no empty "temporal"
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_pil_images_are_taken_as_their_colours():
    """A PIL image as the style raised a bare TypeError (it was taken for a list of styles); a
    palette image came out as gray palette indices, a CMYK one all white (the API audit)."""
    from PIL import Image

    from vidstyle.prepare import as_list, as_rgb

    rgb = np.random.default_rng(4).uniform(0, 255, (20, 30, 3)).astype(np.uint8)
    palette = Image.fromarray(rgb).convert("P")
    assert np.array_equal(as_rgb(palette, "content"), np.asarray(palette.convert("RGB")))
    assert np.abs(as_rgb(Image.fromarray(rgb).convert("CMYK"), "style") - rgb).max() <= 1
    styles = as_list(palette)
    assert len(styles) == 1 and np.array_equal(styles[0], np.asarray(palette.convert("RGB")))


def test_an_image_can_be_the_start(images, tmp_path):
    """init as an array or PIL image (an earlier result, say) was refused: only a path, 'content'
    or 'noise'. It starts the run as the same image read from a file does."""
    from PIL import Image

    from vidstyle.errors import UsageError
    from vidstyle.images import write_image

    start = np.random.default_rng(9).uniform(0, 255, (20, 24, 3)).astype(np.uint8)  # half the work's size
    write_image(tmp_path / "start.png", start)
    common = dict(weights="random", iterations=2, size=48, tol=0.0)
    from_file = vidstyle.stylize_image(images["content"], images["style1"], init=tmp_path / "start.png", **common)
    from_array = vidstyle.stylize_image(images["content"], images["style1"], init=start, **common)
    from_pil = vidstyle.stylize_image(images["content"], images["style1"], init=Image.fromarray(start), **common)
    from_content = vidstyle.stylize_image(images["content"], images["style1"], **common)
    assert np.array_equal(from_array, from_file) and np.array_equal(from_pil, from_file)
    assert np.abs(from_array.astype(float) - from_content).mean() > 10
    with pytest.raises(UsageError, match=r"init: .*\(stylize_image\) an image, got ndarray"):
        vidstyle.stylize_video(tmp_path / "any.mp4", images["style1"], tmp_path / "o.mp4", init=start)


def test_a_stop_is_a_keyboard_interrupt_and_errors_are_reachable():
    """A program's `except Exception` around each video of a batch swallowed a Ctrl-C and went on
    to the next video; `vidstyle.errors` was missing until another module had imported it."""
    import subprocess
    import sys

    from vidstyle.errors import Interrupted

    assert issubclass(Interrupted, KeyboardInterrupt) and not issubclass(Interrupted, Exception)
    code = "import vidstyle; print(vidstyle.errors.VidstyleError.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "VidstyleError", done.stderr


def test_arrays_on_another_scale_are_refused_not_painted():
    """An int32 array with negatives, floats up to 1020 (content * 4) and NaN were taken and made
    garbage, or an OptimizationError after three retries (the API audit); a resampling's overshoot
    is clipped."""
    from vidstyle.prepare import as_rgb

    for array, message in ((np.full((8, 8, 3), 1020.0), "values from 0 to 1020"),
                           (np.full((8, 8, 3), -300, np.int32), "values from -300 to 0"),
                           (np.full((8, 8, 3), np.nan, np.float32), "NaN")):
        with pytest.raises(InputError, match=message):
            as_rgb(array, "content")
    assert as_rgb(np.full((8, 8, 3), 258.5), "content").max() == 255.0
