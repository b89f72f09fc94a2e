"""Device choice and the out-of-memory probe."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidstyle import device, jaxcache
from vidstyle.cli import main
from vidstyle.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]


def test_largest_fitting_halves_batch_first_then_bisects_size():
    assert device.largest_fitting(lambda s, b: s * s * b <= 600 * 600, 512, 4, 32) == "--batch 1 fits at --size 512"
    assert device.largest_fitting(lambda s, b: s * s * b <= 300 * 300, 512, 4, 32) == "--size 288 fits with --batch 1"
    assert "use --device cpu" in device.largest_fitting(lambda s, b: False, 512, 1, 32)


def test_out_of_memory_is_recognised_for_both_backends():
    class ResourceExhaustedError(Exception):
        pass

    assert device.is_out_of_memory(ResourceExhaustedError("OOM when allocating tensor"))
    assert device.is_out_of_memory(RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate"))
    assert not device.is_out_of_memory(ValueError("shapes do not match"))


def test_cli_names_what_fits_after_running_out_of_memory(tmp_path, monkeypatch, capsys):
    from vidstyle import optimize

    def no_memory(*args, **kwargs):
        raise RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 9 GiB")

    monkeypatch.setattr(optimize.Engine, "optimize", no_memory)
    monkeypatch.setattr(device, "step_fits", lambda engine: (lambda s, b: s <= 96))
    code = main(["stylize", str(ROOT / "samples/content.png"), "-s", str(ROOT / "samples/style.png"),
                 "-o", str(tmp_path / "o.png"), "--weights", "random", "--size", "256", "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1] == ("error: --size 256 with --batch 1 does not fit in the device's memory; "
                                     "--size 96 fits with --batch 1")


def test_out_of_memory_at_the_original_size_names_the_input_size(tmp_path, monkeypatch, capsys):
    """--size original: the error named --size 1024 whatever the input was."""
    from vidstyle import optimize
    from vidstyle.images import read_image

    def no_memory(*args, **kwargs):
        raise RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 9 GiB")

    monkeypatch.setattr(optimize.Engine, "optimize", no_memory)
    monkeypatch.setattr(device, "step_fits", lambda engine: (lambda s, b: s <= 96))
    content = ROOT / "samples/content.png"
    code = main(["stylize", str(content), "-s", str(ROOT / "samples/style.png"),
                 "-o", str(tmp_path / "o.png"), "--weights", "random", "--size", "original", "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1].startswith(f"error: --size {max(read_image(content).shape[:2])} with --batch 1")


def test_gpu_asked_but_none_seen_is_a_usage_error(tmp_path, capsys):
    if device.gpus():
        pytest.skip("this machine has a GPU")
    code = main(["stylize", str(ROOT / "samples/content.png"), "-s", str(ROOT / "samples/style.png"),
                 "-o", str(tmp_path / "o.png"), "--weights", "random", "--device", "gpu", "-q"])
    assert code == 2 and "sees no GPU" in capsys.readouterr().err


def test_cpu_bfloat16_is_read_from_the_flags_line(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 amx_tile\n")
    assert device.cpu_has_bfloat16(str(info))
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_vnni\nbugs\t: avx512_bf16\n")
    assert not device.cpu_has_bfloat16(str(info))
    assert not device.cpu_has_bfloat16(str(tmp_path / "missing"))


@pytest.mark.parametrize(
    ("optimizer", "backend", "on_gpu", "bf16", "expected"),
    [
        ("adam", "tensorflow", False, True, "mixed"),
        ("adam", "tensorflow", False, False, "float32"),
        ("lbfgs", "tensorflow", False, True, "float32"),
        ("adam", "tensorflow", True, True, "float32"),
        ("adam", "jax", False, True, "float32"),
    ],
)
def test_auto_precision_is_mixed_only_where_measured_to_pay(optimizer, backend, on_gpu, bf16, expected):
    assert device.auto_precision(optimizer, backend, on_gpu, bf16) == expected


def test_explicit_precision_is_kept_and_auto_is_resolved():
    from vidstyle.config import StyleOptions

    assert device.resolve_precision(StyleOptions(weights="random", precision="float32")).precision == "float32"
    resolved = device.resolve_precision(StyleOptions(weights="random")).precision
    assert resolved in ("float32", "mixed")
    lbfgs = StyleOptions(weights="random", optimizer="lbfgs")
    assert device.resolve_precision(lbfgs).precision == "float32"


def test_under_tensorflow_no_jax_hook_can_swallow_a_ctrl_c():
    """JAX's garbage-collector hook, imported by Keras under TensorFlow too, ignored a Ctrl-C
    landing in it; the backend's start removes it (it frees JAX buffers, of which there are none)."""
    import gc

    from vidstyle import backend

    if backend.name() != "tensorflow":
        pytest.skip("the hook frees JAX's own buffers under JAX")
    backend.import_quietly()
    assert not [c for c in gc.callbacks if getattr(c, "__name__", "") == "_xla_gc_callback"]


def test_the_device_is_chosen_through_the_package_before_any_call():
    """README: `vidstyle.device.select("cpu")` after a plain `import vidstyle` (it was an AttributeError)."""
    import subprocess
    import sys

    code = "import os, vidstyle; vidstyle.device.select('cpu'); print(os.environ['JAX_PLATFORMS'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "cpu", done.stderr


def test_the_cli_keeps_jax_compiled_steps_where_it_may(tmp_path, monkeypatch):
    import warnings

    monkeypatch.setattr(jaxcache, "_hooked", False)
    monkeypatch.setattr(jaxcache, "_mended", None)
    with warnings.catch_warnings():  # the damaged-entry hook is the process's: the CLI's alone
        env: dict[str, str] = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
        assert jaxcache.keep_compiled_steps(env) == tmp_path / "xdg" / "vidstyle" / "jax"
        assert env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "xdg" / "vidstyle" / "jax")
        assert env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0.2"
        relative = {"XDG_CACHE_HOME": "xdg", "HOME": str(tmp_path / "home")}  # the XDG spec: ignored
        assert jaxcache.keep_compiled_steps(relative) == tmp_path / "home" / ".cache" / "vidstyle" / "jax"
        moved = {"JAX_COMPILATION_CACHE_DIR": str(tmp_path / "elsewhere")}  # the same rules, no pruning
        assert jaxcache.keep_compiled_steps(moved) == tmp_path / "elsewhere"
        assert moved["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0.2"
        off = {"JAX_COMPILATION_CACHE_DIR": "", "XDG_CACHE_HOME": str(tmp_path)}
        assert jaxcache.keep_compiled_steps(off) is None and off["JAX_COMPILATION_CACHE_DIR"] == ""
        assert not (tmp_path / "vidstyle").exists()
        homeless = {"HOME": ""}
        monkeypatch.setattr("os.path.expanduser", lambda path: path)  # no passwd entry either
        assert jaxcache.keep_compiled_steps(homeless) is None and "JAX_COMPILATION_CACHE_DIR" not in homeless
        (tmp_path / "file").write_text("not a folder")
        blocked: dict[str, str] = {"XDG_CACHE_HOME": str(tmp_path / "file")}
        assert jaxcache.keep_compiled_steps(blocked) is None and "JAX_COMPILATION_CACHE_DIR" not in blocked


def test_the_cache_folder_is_pruned_oldest_first(tmp_path):
    import os

    for age, name in enumerate(["new", "mid", "old"]):
        (tmp_path / name).write_bytes(b"x" * 100)
        os.utime(tmp_path / name, (1e9 - age * 1e3, 1e9 - age * 1e3))
    jaxcache.prune(tmp_path, 250)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["mid", "new"]
    jaxcache.prune(tmp_path, 250)
    assert len(list(tmp_path.iterdir())) == 2


def test_a_later_jax_run_takes_its_steps_from_the_cache_and_mends_a_damaged_one(tmp_path):
    """Two CLI runs under JAX in fresh processes: the first stores its compiled steps; with the
    Adam step's entry then cut short (a full disk), the second finds the others (JAX logs its hits
    under --debug), says nothing of the damaged one, even with warnings ignored, and writes it afresh."""
    import os
    import subprocess
    import sys

    # Every platform JAX looks for, so that it logs the ones it cannot start (the TPU's, here).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_COMPILATION_CACHE", "JAX_PLATFORMS"))}
    env |= {"KERAS_BACKEND": "jax", "XDG_CACHE_HOME": str(tmp_path / "xdg"),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
    folder = tmp_path / "xdg" / "vidstyle" / "jax"

    def run(*extra: str) -> str:
        return subprocess.run([sys.executable, "-m", "vidstyle", "stylize", str(ROOT / "samples/content.png"), "-s",
                               str(ROOT / "samples/style.png"), "-o", str(tmp_path / "o.png"), "--weights", "random",
                               "--size", "32", "--iterations", "2", "--overwrite", *extra],
                              env=env, check=True, capture_output=True, text=True, timeout=300).stderr

    assert "Unable to initialize backend" not in run()  # JAX's INFO lines stay under --debug
    whole = {f.name: f.read_bytes() for f in folder.iterdir()}
    adam = [name for name in whole if name.startswith("jit_adam_step-")]
    assert len(adam) == 1
    (folder / adam[0]).write_bytes(whole[adam[0]][: len(whole[adam[0]]) // 2])
    env["PYTHONWARNINGS"] = "ignore"  # the mending still sees JAX's warning
    err = run("--debug")
    assert "Persistent compilation cache hit for 'jit_evaluate'" in err and "UserWarning" not in err
    rewritten = {f.name: f.stat().st_size for f in folder.iterdir()}  # sizes vary by a few bytes a compilation
    assert rewritten.keys() == whole.keys() and rewritten[adam[0]] > len(whole[adam[0]]) // 2


def test_lbfgs_on_a_gpu_gets_a_note_once(monkeypatch, caplog):
    """Through the API, as a run builds its engine (the engine is built with Adam's options and
    each call names its optimiser: a note in the engine never showed)."""
    import numpy as np

    import vidstyle
    from vidstyle import optimizers

    image = np.random.default_rng(0).uniform(0, 255, (32, 32, 3)).astype(np.uint8)
    monkeypatch.setattr(optimizers, "gpus", lambda: ["cuda:0"])
    optimizers.note_lbfgs_on_gpu.cache_clear()
    common = dict(weights="random", size=32, iterations=1, precision="float32")
    with caplog.at_level("WARNING"):
        vidstyle.stylize_image(image, image, optimizer="adam", **common)
        vidstyle.stylize_image(image, image, optimizer="lbfgs", **common)
        vidstyle.stylize_image(image, image, optimizer="lbfgs", **common)
    notes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("note: --optimizer lbfgs")]
    assert len(notes) == 1 and "0.375 s an iteration" in notes[0]
    optimizers.note_lbfgs_on_gpu.cache_clear()


def test_the_backend_is_the_one_keras_starts(tmp_path, monkeypatch, capsys):
    """JAX chosen in keras.json was taken for TensorFlow (no compile cache; a wrong name in errors)."""
    from vidstyle.backend import chosen_name

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert chosen_name() == ("tensorflow", "KERAS_BACKEND")  # no keras.json: Keras' default
    (tmp_path / "keras.json").write_text('{"backend": "jax", "floatx": "float32"}')
    assert chosen_name() == ("jax", f"{tmp_path / 'keras.json'}'s backend")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert chosen_name() == ("tensorflow", "KERAS_BACKEND")
    monkeypatch.delenv("KERAS_BACKEND")
    (tmp_path / "keras.json").write_text('{"backend": "torch"}')
    code = main(["stylize", str(ROOT / "samples/content.png"), "-s", str(ROOT / "samples/style.png"),
                 "-o", str(tmp_path / "o.png"), "--weights", "random", "-q"])
    assert code == 2 and capsys.readouterr().err.strip() == (
        f"error: {tmp_path / 'keras.json'}'s backend=torch: vidstyle runs on tensorflow or jax")


def test_devices_that_cannot_start_are_one_line(monkeypatch):
    """JAX_PLATFORMS=cuda without CUDA: jax.devices() raised a bare AssertionError, a traceback."""
    def no_cuda():
        raise AssertionError

    monkeypatch.setattr(device, "gpus", no_cuda)
    monkeypatch.setenv("JAX_PLATFORMS", "cuda")
    with pytest.raises(UsageError, match=r"^JAX_PLATFORMS=cuda: the backend cannot start its devices \(AssertionError\)"):
        device.check("auto")


def test_a_terminal_without_a_size_still_gets_bars(monkeypatch):
    """A pty that reports 0 columns (`script`) made the bars 0 - 2 wide: none was drawn."""
    import os

    from vidstyle import progress

    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((0, 0)))
    assert progress._columns() == 80
    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((100, 30)))
    assert progress._columns() == 100
