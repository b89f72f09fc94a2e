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
