"""The GPU check's argument handling, tested here because the device runs it once, unattended."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_bench_runs_sections_in_the_given_order_and_parses_shapes():
    bench = load_script("gpu_bench")
    args = bench.parse_args(["--sections", "video,loss", "--shapes", "1920x1080x1,512X512x4"])
    assert args.sections == ["video", "loss"]
    assert args.shapes == [(1920, 1080, 1), (512, 512, 4)]
    default = bench.parse_args([])
    assert default.sections == list(bench.SECTIONS) and default.shapes is None


@pytest.mark.parametrize("argv", [["--sections", "video,speed"], ["--shapes", "1920x1080"],
                                  ["--shapes", "0x64x1"], ["--shapes", "axbxc"]])
def test_gpu_bench_refuses_unknown_sections_and_bad_shapes(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        load_script("gpu_bench").parse_args(argv)
    assert exc.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_gpu_bench_reads_issue_4s_acceptance_off_the_video_rows():
    bench = load_script("gpu_bench")

    def row(e_warp, ratio, seconds):
        return {"warp_error": {"output": e_warp}, "pair_ratio": ratio, "frame_seconds_median": seconds}

    ok = bench.batch_verdict({1: row(2.0e-5, 1.9, 0.30), 4: row(2.2e-5, 2.1, 0.12)})
    assert "+10.0% (at most +15 %)" in ok and "worst pair 2.10x the median (under 3x)" in ok
    bad = bench.batch_verdict({1: row(2.0e-5, 1.9, 0.30), 4: row(2.4e-5, 3.5, 0.12)})
    assert "+20.0% (OVER +15 %)" in bad and "OVER 3x" in bad
    steadier = bench.batch_verdict({1: row(2.0e-5, 1.9, 0.30), 4: row(1.0e-5, 1.9, 0.12)})
    assert "-50.0% (at most +15 %)" in steadier  # a steadier batch passes
    assert bench.batch_verdict({1: row(2.0e-5, 1.9, 0.30)}) is None  # batch 4 skipped or failed
