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
