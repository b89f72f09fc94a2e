"""The report's JSON layout: valid JSON, one line per history row, NaN and infinities as null."""

from __future__ import annotations

import json

from vidstyle.report import to_json


def test_the_report_is_json_with_a_line_per_row_and_null_for_non_finite_numbers():
    report = {"frames": [{"index": 0, "history": [[0, 1.5, float("nan")], [1, float("inf"), -float("inf")]]}],
              "style": ["NaN.png", 2.0], "empty": {}, "none": [], "size": (64, 48), "ok": True}
    text = to_json(report)
    assert json.loads(text) == {"frames": [{"index": 0, "history": [[0, 1.5, None], [1, None, None]]}],
                                "style": ["NaN.png", 2.0], "empty": {}, "none": [], "size": [64, 48], "ok": True}
    lines = text.splitlines()
    assert "    [0, 1.5, null]," in lines and "    [1, null, null]" in lines  # json.dumps(indent=1): a line a number
    assert ' "size": [64, 48],' in lines


def test_a_long_run_is_plotted_as_a_band_without_warnings(tmp_path):
    """Hundreds of frames: frame 0 and the others' median and band, not a curve each (a solid
    block of 2000 curves took 22 s, and matplotlib's legend warned on stderr)."""
    import warnings

    import numpy as np

    from vidstyle.report import plot_losses

    steps = np.arange(12.0)
    frames = [{"index": i, "history": np.stack([steps, 1e4 + steps, 1e6 / (1 + steps), 3e4 + 0 * steps,
                                                 0 * steps + (i > 0), 2e6 / (1 + steps)], 1).tolist()}
              for i in range(400)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_losses(tmp_path / "p.png", {"frames": frames, "warp_error": {"output": 1e-3, "pairs": [1e-3] * 399}})
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_shot_starts_are_drawn_apart_from_the_band(tmp_path):
    """A long run with scene cuts: the frames that start a shot run the first frame's budget, and
    in the band its last iterations were theirs alone, a 16x drop that read as convergence (the
    long-run audit: 598 frames of 4 history rows, the cut frame of 6)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from vidstyle.report import _band, plot_groups

    def frame(i: int, rows: int, cut: bool) -> dict:
        steps = np.arange(float(rows))
        return {"index": i, "cut": cut, "history": np.stack([steps, 1e4 + 0 * steps, 1e6 / (1 + steps),
                                                             3e4 + 0 * steps, 1 + 0 * steps, 2e6 / (1 + steps)], 1).tolist()}

    frames = [frame(i, 7 if i in (0, 300) else 4, i == 300) for i in range(600)]
    starts, banded = plot_groups(frames)
    assert [f["index"] for f in starts] == [0, 300] and len(banded) == 598
    assert plot_groups(frames[:20]) == (frames[:20], [])  # few frames: a curve each
    _, ax = plt.subplots()
    # A band over frames of which a few run longer (--tol stops the others): drawn while half have values.
    assert _band(ax, [frame(i, 7 if i < 3 else 4, False) for i in range(10)], 2, "red")
    assert list(ax.lines[-1].get_xdata()) == [0.0, 1.0, 2.0, 3.0]
    plt.close("all")


def test_a_plot_leaves_the_programs_matplotlib_backend_alone(tmp_path):
    """plot_losses called matplotlib.use("Agg"): a notebook's or a desktop program's backend was
    switched for the whole process, and plt.show() showed nothing after (the API audit)."""
    import matplotlib

    from vidstyle.report import plot_losses

    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        frames = [{"index": 0, "history": [[0, 1.0, 2.0, 3.0, 0.0, 4.0], [1, 0.5, 1.0, 2.0, 0.0, 2.0]]}]
        plot_losses(tmp_path / "p.png", {"frames": frames})
        assert matplotlib.get_backend() == "svg"
        assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    finally:
        matplotlib.use(before)
