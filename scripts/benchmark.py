"""Speed and convergence benchmarks: writes docs/BENCHMARKS.md and the raw docs/bench_<section>.json.

Usage:
    python scripts/benchmark.py [--quick] [--sections efficiency,tuning,optimizers] [--out docs]

Sections (METHOD.md sections 3 and 6):

* ``efficiency``: seconds per iteration of the compiled Adam step (``Engine.optimize``, tol 0) for
  each size, precision (float32, mixed = bfloat16 convolutions) and ``jit_compile``; GFLOP/s from
  the cost model (1.48 MFLOP per pixel per iteration) divided by a float32 4096×4096 matrix
  product's GFLOP/s measured in the same process: the efficiency ratio. Also where the time goes
  (forward alone, forward + input gradient) at the largest size.
* ``tuning``: the same float32 step at the largest size in fresh processes with other thread
  settings and oneDNN environment variables (they only take effect before TensorFlow starts).
* ``optimizers``: loss against seconds for Adam (lr 2, 6, 12), L-BFGS and the TensorFlow tutorial's
  Adam; two targets (a: Adam lr 6 after N iterations, b: the tutorial's after N steps) and the
  seconds and iterations each setting needs to reach them; a cross-check of the tutorial's Adam
  written independently on [0, 1] pixels; float32 against mixed precision on the final loss.

The machine may be shared, so every speed is also given as a ratio to the matrix product measured
in the same process, each figure is the best of a few repeats, and each timed block waits (a
bounded time) for the other processes' CPU use to drop. Seeded random VGG19 weights are used
(``weights="random"``): ImageNet weights cannot be downloaded on the machines this runs on. Speed
does not depend on the weights; the loss curves do, so the optimiser comparison is about this
objective with random features.

BENCHMARKS.md is rebuilt from every docs/bench_<section>.json present, so running one section
refreshes that section and keeps the others.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np

SECTIONS = ("efficiency", "tuning", "optimizers")
# tuning: opt-in (fresh processes, about 10 minutes). optimizers: opt-in, the settings of an earlier
# default (Adam lr 6), hours at 256² on 2 cores; the curves BENCHMARKS.md cites ran on a GPU
# (scripts/gpu_quality.py, docs/GPU.md).
DEFAULT_SECTIONS = ("efficiency",)
FLOP_PER_PIXEL = 1.48e6  # forward + input gradient up to block5_conv2, per iteration (METHOD.md 6)
MATMUL_N = 4096
RANDOM_SEED_OTHER = 99  # a second random network, for the tuning section's correctness check
# Decisions (time caps, "behind", screening, the fastest setting) use this process's CPU time ÷ cores,
# which another process's load inflates far less than wall time; both are reported.
CLOCK = "cpu_seconds"

PLANS = {
    # eff_*: efficiency; opt_*: optimizers; quiet_wait: longest wait (s) for a quiet machine per block
    "full": {
        "eff_sizes": (128, 256),
        "eff_iterations": {128: 10, 256: 5},
        "eff_repeats": 3,
        "opt_sizes": (128, 256),
        "opt_iterations": 1000,
        "cross_steps": 20,
        "quiet_wait": 20.0,
        "wait_budget": 240.0,
    },
    "quick": {
        "eff_sizes": (64, 128),
        "eff_iterations": {64: 5, 128: 4},
        "eff_repeats": 2,
        "opt_sizes": (64, 128),
        "opt_iterations": 100,
        "cross_steps": 20,
        "quiet_wait": 5.0,
        "wait_budget": 30.0,
    },
}

# name, label, StyleOptions changes. The first two define the targets; the tutorial's Adam on [0, 1]
# pixels (lr 0.02, beta1 0.99, epsilon 0.1) is, on our 0-255 pixels, lr 0.02*255 and epsilon 0.1/255.
OPTIMIZER_SETTINGS = (
    ("adam_lr6", "Adam lr 6 (source report)", {"optimizer": "adam", "lr": 6.0}),
    ("tutorial", "TF tutorial Adam (lr 5.1, β1 0.99, ε 0.1/255)",
     {"optimizer": "adam", "lr": 0.02 * 255, "beta1": 0.99, "eps": 0.1 / 255}),
    ("adam_lr2", "Adam lr 2", {"optimizer": "adam", "lr": 2.0}),
    ("adam_lr12", "Adam lr 12", {"optimizer": "adam", "lr": 12.0}),
    ("lbfgs", "L-BFGS-B (maxcor 10)", {"optimizer": "lbfgs"}),
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the machine ---------------------------------------------------------------------------------


def lscpu() -> dict:
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def machine() -> dict:
    info = lscpu()
    flags = info.get("Flags", "").split()
    return {
        "cpu": info.get("Model name", platform.processor() or "unknown"),
        "cores": int(info.get("CPU(s)", os.cpu_count() or 0)),
        "threads_per_core": info.get("Thread(s) per core", "?"),
        "isa": [f for f in ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile") if f in flags],
        "python": platform.python_version(),
    }


def backend_info() -> dict:
    import keras

    from vidstyle import backend

    info = {"backend": backend.name(), "keras": keras.__version__, "numpy": np.__version__}
    if backend.name() == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        info["intra_op_threads"] = tf.config.threading.get_intra_op_parallelism_threads()
        info["inter_op_threads"] = tf.config.threading.get_inter_op_parallelism_threads()
    else:
        import jax

        info["jax"] = jax.__version__
    prefixes = ("TF_ENABLE_", "TF_ONEDNN", "TF_XLA", "TF_NUM_", "TF_CPP_", "ONEDNN_", "DNNL_", "OMP_", "XLA_", "KERAS_")
    info["env"] = {k: os.environ[k] for k in sorted(os.environ) if k.startswith(prefixes)}
    return info


def _proc_stat() -> tuple[int, int]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    return sum(values), values[3] + values[4]  # total, idle + iowait


def others_busy(seconds: float = 0.5) -> float:
    """Fraction of the machine's CPU busy while this process sleeps: the other processes' load."""
    try:
        t0, i0 = _proc_stat()
        time.sleep(seconds)
        t1, i1 = _proc_stat()
    except OSError:
        return float("nan")
    return 1.0 - (i1 - i0) / max(t1 - t0, 1)


WAIT_BUDGET = {"left": 240.0, "spent": 0.0}  # seconds of waiting for a quiet machine, for the whole run


def wait_quiet(max_wait: float, threshold: float = 0.15) -> tuple[float, float]:
    """Wait (at most max_wait s, and within the run's WAIT_BUDGET) until other processes use under
    `threshold` of the CPUs; returns (their last measured share, seconds waited)."""
    start = time.perf_counter()
    busy = others_busy()
    limit = min(max_wait, WAIT_BUDGET["left"])
    while busy > threshold and time.perf_counter() - start < limit:
        busy = others_busy(1.0)
    waited = time.perf_counter() - start
    WAIT_BUDGET["left"] = max(0.0, WAIT_BUDGET["left"] - waited)
    WAIT_BUDGET["spent"] += waited
    return busy, waited


def cpu_seconds() -> float:
    """This process's CPU time (all threads) ÷ cores: equals wall time for a process that keeps
    every core busy, and grows far less than wall time when other processes take a share."""
    return time.process_time() / (os.cpu_count() or 1)


class CpuShare:
    """This process's CPU time over (wall time × cores): near 1 when it had the machine to itself."""

    def __enter__(self):
        self.t, self.c = time.perf_counter(), os.times()
        return self

    def __exit__(self, *exc):
        c = os.times()
        wall = time.perf_counter() - self.t
        cpu = (c.user - self.c.user) + (c.system - self.c.system)
        self.share = cpu / max(wall * (os.cpu_count() or 1), 1e-9)


class Matmul:
    """The reference: a float32 N×N matrix product with the same backend, best of `repeats`."""

    def __init__(self, n: int = MATMUL_N):
        from vidstyle import backend

        self.n, self.samples, self.samples_cpu = n, [], []
        rng = np.random.default_rng(0)
        a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
        if backend.name() == "tensorflow":
            import tensorflow as tf

            ta, tb = tf.constant(a), tf.constant(b)
            self.fn = lambda: tf.linalg.matmul(ta, tb).numpy()
        else:
            import jax
            import jax.numpy as jnp

            ja, jb, mm = jnp.asarray(a), jnp.asarray(b), jax.jit(jnp.matmul)
            self.fn = lambda: mm(ja, jb).block_until_ready()
        self.fn()

    def measure(self, repeats: int = 5) -> float:
        """Best wall time of `repeats` products as GFLOP/s; also records the best CPU time ÷ cores."""
        best, best_cpu = math.inf, math.inf
        for _ in range(repeats):
            tick, cpu = time.perf_counter(), cpu_seconds()
            self.fn()
            best = min(best, time.perf_counter() - tick)
            best_cpu = min(best_cpu, cpu_seconds() - cpu)
        gflops = 2 * self.n**3 / best / 1e9
        self.samples.append(gflops)
        self.samples_cpu.append(2 * self.n**3 / max(best_cpu, 1e-9) / 1e9)
        return gflops

    @property
    def best(self) -> float:
        return max(self.samples)

    @property
    def best_cpu(self) -> float:
        return max(self.samples_cpu)


# --- inputs and engines --------------------------------------------------------------------------


def samples(size: int) -> tuple[np.ndarray, np.ndarray]:
    from vidstyle.images import read_image, resize

    def square(name):
        image = read_image(ROOT / "samples" / name).astype(np.float32)
        return np.clip(resize(image, size, size), 0, 255).astype(np.float32)

    return square("content.png"), square("style.png")


def make_engine(precision: str = "float32", jit: bool = False, **changes):
    from vidstyle.config import StyleOptions
    from vidstyle.optimize import Engine

    options = StyleOptions(weights="random", optimizer="adam", precision=precision, **changes)
    return Engine(options, jit_compile=jit)


def make_targets(engine, content: np.ndarray, style: np.ndarray):
    o = engine.options
    grams = engine.style_targets([style], [1.0])
    return engine.targets(content[None], grams, (o.content_weight, o.style_weight, o.tv_weight, 0.0))


def conv_flop_per_pixel(last: str = "block5_conv2") -> float:
    """Forward multiply-adds × 2 per input pixel up to `last` (so × 2 again with the input gradient)."""
    from vidstyle.vgg import BLOCKS

    macs, cin = 0.0, 3
    for b, (filters, convs) in enumerate(BLOCKS, start=1):
        for c in range(1, convs + 1):
            macs += cin * filters * 9 / 4 ** (b - 1)
            cin = filters
            if f"block{b}_conv{c}" == last:
                return 2 * macs
    raise ValueError(last)


def best_time(fn, repeats: int, quiet: float) -> float:
    best = math.inf
    wait_quiet(quiet)
    for _ in range(repeats):
        tick = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - tick)
    return best


def time_adam(engine, x0, targets, iterations: int, repeats: int, quiet: float) -> dict:
    """Per-iteration seconds of Engine.optimize (Adam, tol 0): the compiled step's busy time."""
    tick = time.perf_counter()
    engine.optimize(x0, targets, 2, 0.0)  # traces and compiles
    warmup = time.perf_counter() - tick
    runs = []
    for _ in range(repeats):
        busy, waited = wait_quiet(quiet)
        marks = []  # (wall, cpu) at each iteration's callback: steps 1..n-1 lie between the first and last
        with CpuShare() as share:
            result = engine.optimize(x0, targets, iterations, 0.0,
                                     lambda k, terms, x, marks=marks: marks.append((time.perf_counter(), cpu_seconds())))
        first, last = marks[0], marks[iterations - 1]
        runs.append({
            "step_s": result.step_seconds / iterations,
            "wall_s": result.seconds / iterations,
            "cpu_s": (last[1] - first[1]) / max(iterations - 1, 1),
            "callback_wall_s": (last[0] - first[0]) / max(iterations - 1, 1),
            "cpu_share": share.share,
            "others_busy_before": busy,
            "waited_s": waited,
        })
    best = min(runs, key=lambda r: r["step_s"])
    return {"warmup_s": warmup, "iterations": iterations, "runs": runs, "step_s": best["step_s"],
            "cpu_s": min(r["cpu_s"] for r in runs), "cpu_share": best["cpu_share"]}


# --- section: efficiency -------------------------------------------------------------------------


def section_efficiency(plan: dict) -> dict:
    from vidstyle import backend

    jits = (False, True) if backend.name() == "tensorflow" else (False,)
    matmul = Matmul()
    log(f"matmul reference: {matmul.measure():.0f} GFLOP/s")
    rows, breakdown = [], None
    for size in plan["eff_sizes"]:
        content, style = samples(size)
        for precision in ("float32", "mixed"):
            for jit in jits:
                wait_quiet(plan["quiet_wait"])
                mm_before = matmul.measure()
                engine = make_engine(precision, jit)
                targets = make_targets(engine, content, style)
                t = time_adam(engine, content[None], targets, plan["eff_iterations"][size],
                              plan["eff_repeats"], plan["quiet_wait"])
                mm_after = matmul.measure()
                gflops = FLOP_PER_PIXEL * size * size / t["step_s"] / 1e9
                row = {"size": size, "precision": precision, "jit_compile": jit, **t, "gflops": gflops,
                       "matmul_adjacent": max(mm_before, mm_after)}
                rows.append(row)
                log(f"{size}² {precision:7s} jit={jit!s:5s}: {1e3 * t['step_s']:7.1f} ms/it, "
                    f"{gflops:6.0f} GFLOP/s, matmul {mm_before:.0f}/{mm_after:.0f}, warm-up {t['warmup_s']:.1f} s, "
                    f"cpu share {t['cpu_share']:.2f}")
                if size == max(plan["eff_sizes"]) and precision == "float32" and not jit:
                    breakdown = time_breakdown(engine, content, targets, size, plan)
                    breakdown["matmul_adjacent"] = matmul.measure()
                del engine, targets
                gc.collect()
    best_mm = matmul.best
    for row in rows:
        row["ratio"] = row["gflops"] / best_mm
        row["ratio_adjacent"] = row["gflops"] / row["matmul_adjacent"]
        row["gflops_cpu"] = FLOP_PER_PIXEL * row["size"] ** 2 / row["cpu_s"] / 1e9
        row["ratio_cpu"] = row["gflops_cpu"] / matmul.best_cpu
    if breakdown:
        for key in ("forward", "gradient", "adam_step"):
            breakdown[key]["ratio"] = breakdown[key]["gflops"] / best_mm
        for layer in breakdown.get("layers", []):
            for key in ("forward", "backward_input"):
                layer[key + "_ratio"] = layer["gflop"] / layer[key + "_s"] / best_mm
    return {"matmul": {"n": MATMUL_N, "best_gflops": best_mm, "samples": matmul.samples,
                       "best_gflops_cpu": matmul.best_cpu, "samples_cpu": matmul.samples_cpu},
            "flop_per_pixel": FLOP_PER_PIXEL, "rows": rows, "breakdown": breakdown,
            "repeats": plan["eff_repeats"]}


def time_breakdown(engine, content, targets, size: int, plan: dict) -> dict:
    """Forward alone (loss terms), forward + input gradient, and the Adam step, best of repeats."""
    from keras import ops

    from vidstyle import backend

    x = ops.convert_to_tensor(content[None])
    args = targets.args()
    m, v, t = ops.zeros_like(x), ops.zeros_like(x), ops.convert_to_tensor(0.0)
    hyper = ops.convert_to_tensor(np.array([6.0, 0.9, 0.999, 1e-8], np.float32))
    calls = {
        "forward": (lambda: backend.to_numpy(engine.compiled_terms(x, engine.params, *args)), 0.5),
        "gradient": (lambda: backend.to_numpy(engine.compiled_gradient(x, engine.params, *args)[2]), 1.0),
        "adam_step": (lambda: backend.to_numpy(engine.compiled_adam(x, m, v, t, hyper, engine.params, *args)[4]), 1.0),
    }
    out = {}
    fwd = conv_flop_per_pixel() * size * size
    for name, (fn, share) in calls.items():
        fn()
        seconds = best_time(fn, 3 * plan["eff_repeats"], plan["quiet_wait"])
        out[name] = {"s": seconds, "gflops": share * FLOP_PER_PIXEL * size * size / seconds / 1e9}
    back = out["gradient"]["s"] - out["forward"]["s"]
    out["backward_only"] = {"s": back, "gflops": fwd / back / 1e9 if back > 0 else float("nan")}
    out["size"] = size
    out["chain_warp"] = time_chain_warp(content, 3 * plan["eff_repeats"], plan["quiet_wait"])
    if backend.name() == "tensorflow":
        out["layers"] = conv_profile(size, 2 * plan["eff_repeats"], min(plan["quiet_wait"], 5.0))
    log("breakdown: " + ", ".join(f"{k} {1e3 * v['s']:.0f} ms" for k, v in out.items() if isinstance(v, dict)))
    return out


def time_chain_warp(content: np.ndarray, repeats: int, quiet: float) -> dict | None:
    """The in-batch warp term that every step now computes (zero-weighted for one image): its
    forward and gradient alone, as the loss computes it, with all-zero taps."""
    try:
        from vidstyle.diffwarp import warp_taps
        from vidstyle.losses import temporal_report
    except ImportError:
        return None
    from keras import ops

    from vidstyle import backend

    b, h, w, _ = content[None].shape
    x = ops.convert_to_tensor(content[None])
    idx = ops.convert_to_tensor(np.zeros((b, h * w, 4), np.int32))
    taps = ops.convert_to_tensor(np.zeros((b, h * w, 4), np.float32))
    cw = ops.convert_to_tensor(np.zeros((b, h, w, 1), np.float32))

    def term(x):
        previous = ops.concatenate([x[:1], x[:-1]], axis=0)
        chained = ops.expand_dims(warp_taps(previous, idx, taps), 1)
        return ops.sum(temporal_report(x, chained, ops.expand_dims(cw, 1)))

    def with_aux(x):
        return term(x), 0.0

    value_and_grad = backend.value_and_grad(with_aux)

    def gradient(x):
        return value_and_grad(x)[1]

    grad = backend.compile_fn(gradient)
    grad(x)
    seconds = best_time(lambda: backend.to_numpy(grad(x)), repeats, quiet)
    return {"s": seconds}


def conv_profile(size: int, repeats: int, quiet: float) -> list[dict]:
    """Each VGG19 convolution up to block5_conv2 alone at `size`² (TensorFlow): forward with bias and
    ReLU (what oneDNN fuses), and the input gradient (Conv2DBackpropInput), best of `repeats`."""
    import tensorflow as tf

    from vidstyle.vgg import BLOCKS

    rows, cin, rng = [], 3, np.random.default_rng(0)
    for b, (filters, convs) in enumerate(BLOCKS, start=1):
        side = size // 2 ** (b - 1)
        for c in range(1, convs + 1):
            x = tf.constant(rng.standard_normal((1, side, side, cin), dtype=np.float32))
            k = tf.constant(rng.standard_normal((3, 3, cin, filters), dtype=np.float32) * 0.05)
            bias = tf.zeros((filters,))
            dy = tf.constant(rng.standard_normal((1, side, side, filters), dtype=np.float32))
            fwd = tf.function(lambda x=x, k=k, bias=bias: tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, k, 1, "SAME"), bias)))
            bwd = tf.function(lambda dy=dy, k=k, shape=x.shape: tf.nn.conv2d_transpose(dy, k, shape, 1, "SAME"))
            flop = 2.0 * side * side * cin * filters * 9
            row = {"layer": f"block{b}_conv{c}", "side": side, "cin": cin, "cout": filters, "gflop": flop / 1e9}
            wait_quiet(quiet)
            for key, fn in (("forward", fwd), ("backward_input", bwd)):
                fn().numpy()
                best = math.inf
                for _ in range(repeats):
                    tick = time.perf_counter()
                    fn().numpy()
                    best = min(best, time.perf_counter() - tick)
                row[key + "_s"] = best
            rows.append(row)
            cin = filters
            if row["layer"] == "block5_conv2":
                return rows
    return rows


# --- section: tuning (fresh processes) -----------------------------------------------------------

TUNING_VARIANTS = (  # label, environment changes, (intra-op, inter-op) threads
    ("default", {}, None),
    ("intra-op 2, inter-op 1 threads", {}, (2, 1)),
    ("TF_ENABLE_ONEDNN_OPTS=0 (Eigen kernels)", {"TF_ENABLE_ONEDNN_OPTS": "0"}, None),
    ("TF_ONEDNN_ASSUME_FROZEN_WEIGHTS=1", {"TF_ONEDNN_ASSUME_FROZEN_WEIGHTS": "1"}, None),
    ("TF_ONEDNN_THREADPOOL_USE_CALLER_THREAD=1", {"TF_ONEDNN_THREADPOOL_USE_CALLER_THREAD": "1"}, None),
    ("ASSUME_FROZEN_WEIGHTS=1 + USE_CALLER_THREAD=1", {"TF_ONEDNN_ASSUME_FROZEN_WEIGHTS": "1", "TF_ONEDNN_THREADPOOL_USE_CALLER_THREAD": "1"}, None),
    ("ONEDNN_DEFAULT_FPMATH_MODE=BF16", {"ONEDNN_DEFAULT_FPMATH_MODE": "BF16"}, None),
)


def probe(size: int, iterations: int, repeats: int, threads: str | None, quiet: float) -> dict:
    """One float32 measurement in this (fresh) process: Adam step, forward, matmul; as JSON."""
    if threads:
        import tensorflow as tf

        intra, inter = (int(v) for v in threads.split(","))
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    matmul = Matmul()
    matmul.measure()
    content, style = samples(size)
    engine = make_engine("float32", False)
    targets = make_targets(engine, content, style)
    t = time_adam(engine, content[None], targets, iterations, repeats, quiet)
    matmul.measure()
    x = content[None]
    fwd = best_time(lambda: engine.evaluate(x, targets), repeats, quiet)
    matmul.measure()
    gflops = FLOP_PER_PIXEL * size * size / t["step_s"] / 1e9
    gflops_cpu = FLOP_PER_PIXEL * size * size / t["cpu_s"] / 1e9
    same = engine.evaluate(x, targets)[0, 4]
    engine = targets = None  # free the first network before building the second
    gc.collect()
    return {"size": size, "step_s": t["step_s"], "cpu_s": t["cpu_s"], "forward_s": fwd, "gflops": gflops,
            "matmul_gflops": matmul.best, "ratio": gflops / matmul.best, "cpu_share": t["cpu_share"],
            "matmul_gflops_cpu": matmul.best_cpu, "ratio_cpu": gflops_cpu / matmul.best_cpu,
            "loss": float(same), "other_network": other_network_check(content)}


def other_network_check(content: np.ndarray) -> float:
    """Features of a second network with other (seeded) weights, built after the first was freed:
    a setting that caches converted weights by address or by shape answers with the first network's."""
    from keras import ops

    from vidstyle.features import Extractor

    other = Extractor(("block5_conv1",), "random", seed=RANDOM_SEED_OTHER)
    small = ops.convert_to_tensor(np.ascontiguousarray(content[None, ::4, ::4]))
    return float(np.abs(np.asarray(other(other.params(), small)["block5_conv1"], np.float64)).sum())


def section_tuning(plan: dict, script: Path) -> dict:
    size = max(plan["eff_sizes"])
    rows = []
    for label, env_changes, threads in TUNING_VARIANTS:
        env = {**os.environ, **env_changes}
        cmd = [sys.executable, str(script), "--probe", str(size), "--probe-iterations",
               str(plan["eff_iterations"][size]), "--probe-repeats", str(plan["eff_repeats"]),
               "--probe-quiet", str(plan["quiet_wait"])]
        if threads:
            cmd += ["--probe-threads", f"{threads[0]},{threads[1]}"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if done.returncode != 0 or not lines:
            log(f"tuning {label}: failed ({done.stderr.strip().splitlines()[-1:] or done.returncode})")
            rows.append({"variant": label, "error": (done.stderr.strip().splitlines() or ["?"])[-1]})
            continue
        row = {"variant": label, **json.loads(lines[-1])}
        rows.append(row)
        log(f"tuning {label}: {1e3 * row['step_s']:.0f} ms/it, ratio {row['ratio']:.2f} "
            f"(matmul {row['matmul_gflops']:.0f} GFLOP/s), CPU {1e3 * row['cpu_s']:.0f} ms/it")
    base = next((r for r in rows if r["variant"] == "default" and "error" not in r), None)
    for row in rows:
        if base and "error" not in row and "other_network" in row:
            row["same_results"] = bool(
                abs(row["loss"] - base["loss"]) <= 1e-4 * abs(base["loss"])
                and abs(row["other_network"] - base["other_network"]) <= 1e-4 * abs(base["other_network"]))
    return {"size": size, "rows": rows}


# --- section: optimizers -------------------------------------------------------------------------


class _Stop(Exception):
    pass


def loss_at(curve: dict, seconds: float) -> float:
    """The loss a curve had reached `seconds` into its run (its first loss before that)."""
    k = int(np.searchsorted(curve[CLOCK], seconds, side="right")) - 1
    return curve["loss"][max(k, 0)]


def run_curve(engine, x0, targets, options, iterations: int, quiet: float, stop_below: float | None = None,
              max_seconds: float | None = None, behind: tuple | None = None, keep: tuple[int, ...] = ()) -> dict:
    """Optimise, recording per iteration the wall time, loss and gradient evaluations (on_iteration).

    Stops early once the loss is at most `stop_below`, after `max_seconds`, or (`behind` = (curves,
    margin, from_seconds)) once, after `from_seconds`, its loss is more than `margin` above every
    reference curve's at the same elapsed time. Keeps the images of the iterations in `keep`.
    """
    from vidstyle import backend

    counts = [0]
    saved = {}
    for name in ("compiled_adam", "compiled_gradient"):  # count compiled steps: Adam's updates, L-BFGS' evaluations
        fn = saved[name] = getattr(engine, name)

        def counted(*a, _fn=fn):
            counts[0] += 1
            return _fn(*a)

        setattr(engine, name, counted)
    times, cpu, losses, evals, images = [], [], [], [], {}
    stopped = [None]
    busy, _ = wait_quiet(quiet)
    cores = os.cpu_count() or 1
    start, start_cpu = time.perf_counter(), os.times()

    def on_iteration(k, terms, x):
        times.append(time.perf_counter() - start)
        now = os.times()
        cpu.append((now.user - start_cpu.user + now.system - start_cpu.system) / cores)
        losses.append(float(np.sum(terms[:, 4])))
        evals.append(counts[0])
        if k in keep:
            images[k] = backend.to_numpy(x)
        if stop_below is not None and losses[-1] <= stop_below:
            stopped[0] = "targets reached"
        elif max_seconds is not None and cpu[-1] > max_seconds:
            stopped[0] = "time cap"
        elif behind and cpu[-1] > behind[2] and all(
            losses[-1] > (1 + behind[1]) * loss_at(ref, cpu[-1]) for ref in behind[0]
        ):
            stopped[0] = "behind"
        if stopped[0]:
            raise _Stop

    with CpuShare() as share:
        try:
            images[iterations] = engine.optimize(x0, targets, iterations, 0.0, on_iteration, options).image
        except _Stop:
            pass
        finally:
            for name, fn in saved.items():
                setattr(engine, name, fn)
    return {"seconds": times, "cpu_seconds": cpu, "loss": losses, "evaluations": evals, "stopped": stopped[0],
            "cpu_share": share.share, "others_busy_before": busy, "images": images}


def first_reach(curve: dict, target: float) -> dict | None:
    for k, loss in enumerate(curve["loss"]):
        if loss <= target:
            return {"iteration": k, "seconds": curve["seconds"][k], "cpu_seconds": curve["cpu_seconds"][k],
                    "evaluations": curve["evaluations"][k]}
    return None


def tol_limit(losses: list[float], upto: int) -> float:
    """Largest --tol that does not stop the run before iteration `upto` (vidstyle's should_stop rule)."""
    from vidstyle.config import STOP_WINDOW

    limit = math.inf
    for n in range(3 * STOP_WINDOW, min(upto, len(losses)) + 1):
        seen = losses[:n]
        before, now = min(seen[:-STOP_WINDOW]), min(seen)
        limit = min(limit, (before - now) / (STOP_WINDOW * max(abs(now), 1e-30)))
    return limit


def stop_iteration(losses: list[float], tol: float) -> int | None:
    from vidstyle.optimizers import should_stop

    for n in range(1, len(losses) + 1):
        if should_stop(losses[:n], tol):
            return n - 1
    return None


def tutorial_crosscheck(engine, content, targets, steps: int) -> dict:
    """The tutorial's Adam written independently on [0, 1] pixels, against Engine.optimize.

    The objective comes from the engine (its compiled loss terms, differentiated here with our own
    tape through the ×255); the update is written out below, in two forms: the textbook one
    (m̂ / (√v̂ + ε)), which vidstyle's step uses, and Keras' (lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)),
    which the tutorial's tf.keras Adam runs (ε is effectively ε/√(1−β2ᵗ), larger in the first steps).
    Steps this large amplify float rounding, so a third run gives the yardstick: Engine.optimize
    from the content image moved by 1e-4 (random signs), about one step's rounding difference.
    """
    import tensorflow as tf

    from vidstyle import backend

    lr, beta1, beta2, eps = 0.02, 0.99, 0.999, 0.1
    args = targets.args()

    def total(x01):
        return tf.reduce_sum(engine.compiled_terms(x01 * 255.0, engine.params, *args)[:, 4])

    def step(x, m, v, t, keras_form: bool):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = total(x)
        g = tape.gradient(loss, x)
        t = t + 1.0
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if keras_form:
            alpha = lr * tf.sqrt(1 - beta2**t) / (1 - beta1**t)
            x = x - alpha * m / (tf.sqrt(v) + eps)
        else:
            x = x - lr * (m / (1 - beta1**t)) / (tf.sqrt(v / (1 - beta2**t)) + eps)
        return tf.clip_by_value(x, 0.0, 1.0), m, v, t, loss

    compiled = tf.function(step, autograph=False)

    def independent(keras_form: bool):
        x = tf.constant(content[None] / 255.0)
        m, v, t = tf.zeros_like(x), tf.zeros_like(x), tf.constant(0.0)
        losses, images = [], [x.numpy() * 255.0]
        for _ in range(steps):
            x, m, v, t, loss = compiled(x, m, v, t, keras_form)
            losses.append(float(loss))
            images.append(x.numpy() * 255.0)
        losses.append(float(total(x)))
        return np.array(losses), images

    def engine_run(x0):
        images = []
        result = engine.optimize(x0, targets, steps, 0.0, lambda k, terms, x: images.append(backend.to_numpy(x)),
                                 engine.options.replace(**OPTIMIZER_SETTINGS[1][2]))
        return result.history[:, :, 4].sum(axis=1), images

    ours_loss, ours_images = engine_run(content[None])
    out = {"steps": steps, "ours": ours_loss.tolist()}
    rng = np.random.default_rng(5)
    nudged = np.clip(content[None] + 1e-4 * rng.choice([-1.0, 1.0], content[None].shape), 0, 255).astype(np.float32)
    runs = {"textbook": independent(False), "keras": independent(True), "nudged": engine_run(nudged)}
    for form, (loss, images) in runs.items():
        rel = np.abs(loss - ours_loss) / np.abs(ours_loss)
        pix = [float(np.abs(a - b).max()) for a, b in zip(images, ours_images, strict=True)]
        out[form] = {"loss": loss.tolist(), "rel_loss_diff": rel.tolist(), "max_rel_loss_diff": float(rel.max()),
                     "final_rel_loss_diff": float(rel[-1]), "max_pixel_diff": pix,
                     "step1_max_pixel_diff": pix[1] if len(pix) > 1 else 0.0,
                     "final_mean_pixel_diff": float(np.abs(images[-1] - ours_images[-1]).mean())}
    # The gradient's size on [0, 1] pixels tells how much ε (0.1) weighs in the first steps.
    g = engine.gradient(content[None], targets) * 255.0
    out["grad01_median_abs"] = float(np.median(np.abs(g)))
    return out


BEHIND_MARGIN, BEHIND_FROM = 0.05, 0.3  # "behind": > 5 % above both target runs after 30 % of their time


def section_optimizers(plan: dict, precision: str) -> dict:
    from vidstyle import backend

    n = plan["opt_iterations"]
    other = "float32" if precision == "mixed" else "mixed"
    sizes = {}
    first = None  # the smallest size's results, to screen the costly runs at larger sizes
    for size in plan["opt_sizes"]:
        content, style = samples(size)
        engine = make_engine(precision)
        targets = make_targets(engine, content, style)
        engine.optimize(content[None], targets, 2, 0.0)  # compile outside the timed runs
        if precision == "float32":  # vidstyle refuses L-BFGS with mixed precision
            engine.optimize(content[None], targets, 2, 0.0, options=engine.options.replace(optimizer="lbfgs"))
        checkpoints = tuple(sorted({k for k in (100, 300, n) if k <= n}))
        curves, tgt, images, screened, start = {}, {}, {}, {}, math.inf
        for name, label, changes in OPTIMIZER_SETTINGS:
            options = engine.options.replace(**changes)
            if len(tgt) < 2:  # the two target-defining runs use the whole budget
                curve = run_curve(engine, content[None], targets, options, n, plan["quiet_wait"],
                                  keep=checkpoints if name == "adam_lr6" else ())
            else:
                if changes["optimizer"] == "lbfgs" and precision == "mixed":
                    screened[name] = label
                    log(f"{size}² {name:9s}: not run (vidstyle refuses L-BFGS with mixed precision)")
                    continue
                if first is not None and not first["faster"].get(name):
                    screened[name] = label
                    log(f"{size}² {name:9s}: not run (slower than the target runs at {first['size']}²)")
                    continue
                refs = (curves["adam_lr6"], curves["tutorial"])
                cap = max(r[CLOCK][-1] for r in refs)
                useful = [v for v in tgt.values() if v < start]
                curve = run_curve(engine, content[None], targets, options, n, plan["quiet_wait"],
                                  stop_below=min(useful) if useful else None, max_seconds=cap,
                                  behind=(refs, BEHIND_MARGIN, BEHIND_FROM * cap))
            shots = curve.pop("images")
            if name == "adam_lr6":
                tgt["a"], images, start = curve["loss"][-1], shots, curve["loss"][0]
            elif name == "tutorial":
                tgt["b"] = curve["loss"][-1]
            curves[name] = finish_curve(curve, label, changes, size, name)

        # Adam lr 6 in the other precision, the whole budget: a row of its own, and its images at the
        # checkpoints scored with the float32 objective against this precision's.
        f32 = engine if precision == "float32" else make_engine("float32")
        f32_targets = targets if precision == "float32" else make_targets(f32, content, style)
        oth = make_engine("mixed") if other == "mixed" else f32
        oth_targets = make_targets(oth, content, style) if other == "mixed" else f32_targets
        oth.optimize(content[None], oth_targets, 2, 0.0)
        changes = {"optimizer": "adam", "lr": 6.0, "precision": other}
        ocurve = run_curve(oth, content[None], oth_targets, oth.options.replace(lr=6.0), n, plan["quiet_wait"],
                           keep=checkpoints)
        oimages = ocurve.pop("images")
        curves[f"adam_lr6_{other}"] = finish_curve(ocurve, f"Adam lr 6, {other}", changes, size, f"lr6 {other}")
        rows = []
        for k in checkpoints:
            score = {precision: float(f32.evaluate(images[k], f32_targets)[0, 4]),
                     other: float(f32.evaluate(oimages[k], f32_targets)[0, 4])}
            rows.append({"iteration": k, "loss_float32_eval": score,
                         "rel_diff_mixed_vs_float32": (score["mixed"] - score["float32"]) / score["float32"],
                         "max_abs_pixel_diff": float(np.abs(images[k] - oimages[k]).max())})
            log(f"{size}² Adam lr 6 after {k} its, loss scored in float32: "
                + ", ".join(f"{p} {v:.6g}" for p, v in score.items()))
        precision_cmp = {"rows": rows, "s_per_iteration": {precision: curves["adam_lr6"]["s_per_iteration"],
                                                           other: curves[f"adam_lr6_{other}"]["s_per_iteration"]}}

        # A target at or above the starting loss (the content image) says nothing: no reaching it.
        reach = {name: {k: first_reach(c, v) if v < start else None for k, v in tgt.items()}
                 for name, c in curves.items()}
        tol = {}
        for name, c in curves.items():
            upto = reach[name]["a"]["iteration"] if reach[name]["a"] else len(c["loss"]) - 1
            tol[name] = {"limit_for_target_a": tol_limit(c["loss"], upto) if reach[name]["a"] else None,
                         "stop_at_1e-4": stop_iteration(c["loss"], 1e-4),
                         "stop_at_1e-5": stop_iteration(c["loss"], 1e-5)}
        if first is None:
            first = {"size": size, "faster": {}}
            for name in curves:
                ra, rb = reach[name]["a"], reach[name]["b"]
                first["faster"][name] = bool(
                    (ra and ra[CLOCK] < reach["adam_lr6"]["a"][CLOCK])
                    or (rb and rb[CLOCK] < reach["tutorial"]["b"][CLOCK]))
        cross = None
        if backend.name() == "tensorflow" and size == min(plan["opt_sizes"]):
            cross = tutorial_crosscheck(f32, content, f32_targets, plan["cross_steps"])
            log(f"cross-check ({size}², {plan['cross_steps']} steps): textbook max rel loss diff "
                f"{cross['textbook']['max_rel_loss_diff']:.2e}, keras {cross['keras']['max_rel_loss_diff']:.2e}")
        sizes[str(size)] = {"targets": tgt, "start_loss": start, "curves": curves, "reach": reach, "tol": tol, "screened_out": screened,
                            "precision_cmp": precision_cmp, "crosscheck": cross}
        del engine, f32, oth
        gc.collect()
    from vidstyle.config import StyleOptions

    defaults = StyleOptions(weights="random")
    weights = {k: getattr(defaults, k) for k in ("content_weight", "style_weight", "tv_weight")}
    return {"precision": precision, "iterations": n, "sizes": sizes, "objective_weights": weights,
            "rules": {"behind_margin": BEHIND_MARGIN, "behind_from": BEHIND_FROM}}


def finish_curve(curve: dict, label: str, changes: dict, size: int, name: str) -> dict:
    its = len(curve["loss"]) - 1
    curve.update(label=label, options=changes, iterations=its,
                 s_per_iteration=curve[CLOCK][-1] / max(its, 1),
                 wall_s_per_iteration=curve["seconds"][-1] / max(its, 1),
                 evaluations_per_iteration=curve["evaluations"][-1] / max(its, 1))
    log(f"{size}² {name:9s}: {its} its in {curve['seconds'][-1]:.1f} s (CPU {curve[CLOCK][-1]:.1f} s), final loss {curve['loss'][-1]:.6g}, "
        f"{curve['evaluations_per_iteration']:.2f} eval/it, cpu share {curve['cpu_share']:.2f}"
        + (f" (stopped: {curve['stopped']})" if curve["stopped"] else ""))
    return curve


# --- report --------------------------------------------------------------------------------------


def fmt_s(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def md_efficiency(data: dict) -> list[str]:
    mm = data["matmul"]
    lines = [
        "## 1. Efficiency of the compiled Adam step",
        "",
        (f"Matrix-product reference: float32 {mm['n']}×{mm['n']} `matmul`, best of 5, measured "
        f"{len(mm['samples'])} times in the same process: best **{mm['best_gflops']:.0f} GFLOP/s** "
        f"(range {min(mm['samples']):.0f}–{max(mm['samples']):.0f}). GFLOP/s of a step = "
        f"{data['flop_per_pixel'] / 1e6:.2f} MFLOP × pixels / seconds (METHOD.md 6; forward + input "
        f"gradient up to block5_conv2). Times are the best of {data['repeats']} repeats of the mean "
        "per-iteration time inside the compiled step (`Result.step_seconds`); ratio = step GFLOP/s ÷ "
        "best matmul GFLOP/s; *adjacent* uses the matmul measured just before and after that "
        "configuration instead. CPU share = this process's CPU time ÷ (wall × cores) during the best "
        "repeat (below ~0.9: another process took part of the machine). Because the machine is shared, "
        "the same is also measured on the *CPU clock* (this process's CPU time ÷ cores, per iteration "
        "between the first and last `on_iteration` callbacks, and for the matmul, best "
        f"{mm.get('best_gflops_cpu', math.nan):.0f} GFLOP/s): another process's load stretches wall "
        "time but hardly this clock, so *ratio (CPU)* is the figure that does not depend on who else ran. "
        "(Time a thread spends spinning while waiting for work counts as CPU time, so the CPU clock is "
        "not flattering.)"),
        "",
        "| size | precision | jit_compile | ms / iteration | GFLOP/s | ratio | ratio (adjacent) | CPU ms / iteration | ratio (CPU) | warm-up s | CPU share |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["rows"]:
        lines.append(
            f"| {r['size']}² | {r['precision']} | {r['jit_compile']} | {1e3 * r['step_s']:.1f} | "
            f"{r['gflops']:.0f} | {r['ratio']:.2f} | {r['ratio_adjacent']:.2f} | "
            f"{1e3 * r.get('cpu_s', math.nan):.1f} | {r.get('ratio_cpu', math.nan):.2f} | {r['warmup_s']:.1f} | "
            f"{r['cpu_share']:.2f} |"
        )
    b = data.get("breakdown")
    if b:
        lines += [
            "",
            (f"Where the time goes at {b['size']}², float32, no XLA (best of repeats; forward = the loss "
            "terms only, through `Engine.evaluate`'s compiled function; GFLOP/s counted as half the cost "
            "model for the forward, the whole for the others):"),
            "",
            "| call | ms | GFLOP/s | ratio |",
            "|---|---:|---:|---:|",
        ]
        for key in ("forward", "gradient", "adam_step"):
            lines.append(f"| {key} | {1e3 * b[key]['s']:.0f} | {b[key]['gflops']:.0f} | {b[key]['ratio']:.2f} |")
        lines.append(f"| backward only (gradient − forward) | {1e3 * b['backward_only']['s']:.0f} | "
                     f"{b['backward_only']['gflops']:.0f} | |")
        if b.get("chain_warp"):
            lines.append(f"| in-batch warp term alone, forward + gradient (zero weight for one image) | "
                         f"{1e3 * b['chain_warp']['s']:.1f} | | |")
        layers = b.get("layers")
        if layers:
            fwd = sum(r["forward_s"] for r in layers)
            bwd = sum(r["backward_input_s"] for r in layers)
            lines += [
                "",
                ("Each convolution alone (`tf.nn.conv2d` + bias + ReLU forward; `conv2d_transpose`, the same "
                "Conv2DBackpropInput kernel as the input gradient), batch 1, best of repeats; ratio to the "
                "matmul as above:"),
                "",
                "| layer | input | Cin→Cout | GFLOP | forward ms | ratio | input-gradient ms | ratio |",
                "|---|---|---|---:|---:|---:|---:|---:|",
            ]
            for r in layers:
                lines.append(f"| {r['layer']} | {r['side']}² | {r['cin']}→{r['cout']} | {r['gflop']:.2f} | "
                             f"{1e3 * r['forward_s']:.1f} | {r['forward_ratio']:.2f} | {1e3 * r['backward_input_s']:.1f} | "
                             f"{r['backward_input_ratio']:.2f} |")
            total_flop = sum(r["gflop"] for r in layers) * 2
            lines += [
                "",
                (f"The convolutions alone: {1e3 * fwd:.0f} ms forward + {1e3 * bwd:.0f} ms input gradient = "
                f"{1e3 * (fwd + bwd):.0f} ms ({total_flop / (fwd + bwd) / data['matmul']['best_gflops']:.2f} of the "
                f"matmul's rate), against {1e3 * b['adam_step']['s']:.0f} ms for the whole Adam step: "
                f"{100 * (1 - (fwd + bwd) / b['adam_step']['s']):.0f} % of the step is outside the convolutions "
                "(pooling and ReLU gradients, Grams, losses, layout reorders, the update, dispatch)."),
            ]
    return lines


def md_tuning(data: dict) -> list[str]:
    lines = [
        "## 2. Thread settings and oneDNN options (float32 step, fresh process each)",
        "",
        (f"Each row is a new Python process timing the float32 Adam step at {data['size']}² and its own "
        "matmul (thread settings and oneDNN variables only take effect before TensorFlow starts; the "
        "matmul runs under the same settings)."),
        "",
        "| variant | ms / iteration | forward ms | GFLOP/s | matmul GFLOP/s | ratio | CPU ms / iteration | ratio (CPU) | CPU share | same results |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in data["rows"]:
        if "error" in r:
            lines.append(f"| {r['variant']} | failed: {r['error'][:60]} | | | | | | | | |")
            continue
        same = {True: "yes", False: "**no**", None: "?"}[r.get("same_results")]
        lines.append(f"| {r['variant']} | {1e3 * r['step_s']:.0f} | {1e3 * r['forward_s']:.0f} | {r['gflops']:.0f} | "
                     f"{r['matmul_gflops']:.0f} | {r['ratio']:.2f} | {1e3 * r.get('cpu_s', math.nan):.0f} | "
                     f"{r.get('ratio_cpu', math.nan):.2f} | {r['cpu_share']:.2f} | {same} |")
    lines += [
        "",
        ("*Same results*: the variant's loss for the samples equals the default process's, and so do the "
        "features of a second network with other random weights built after the first was freed (as "
        "the API does when its engine cache turns over, and the tests do). "
        "`TF_ONEDNN_ASSUME_FROZEN_WEIGHTS=1` makes oneDNN keep each convolution's weights converted to "
        "its own layout instead of converting them at every call, which is where the deep layers' forward "
        "convolutions lose time (section 1's per-layer table); but the kept copy is found again by a later, "
        "different network, which then computes with the first network's weights. "
        "`TF_ONEDNN_THREADPOOL_USE_CALLER_THREAD=1` lets the calling thread work in oneDNN's thread pool "
        "instead of waiting. `ONEDNN_DEFAULT_FPMATH_MODE=BF16` lets oneDNN compute float32 convolutions "
        "*and the reference matmul* in bfloat16 (AMX): mixed precision by another name, so its ratio is "
        "not a float32 efficiency."),
    ]
    return lines


def md_optimizers(data: dict) -> list[str]:
    n = data["iterations"]
    w = data.get("objective_weights", {})
    objective = f"α {w.get('content_weight', math.nan):g}, β {w.get('style_weight', math.nan):g}, γ {w.get('tv_weight', math.nan):g}"
    lines = [
        "## 3. Optimisers: loss against time",
        "",
        (f"Samples resized to squares, content initialisation, the default objective weights of "
        f"`StyleOptions` ({objective}), tol 0, **{data['precision']}** precision (plus one Adam lr 6 "
        f"run in the other precision), up to {n} iterations. Target **(a)** = the loss of Adam lr 6 after {n} "
        f"iterations, target **(b)** = the loss of the tutorial's Adam after {n} steps, each at its size. "
        "Those two runs (and the other-precision one) use the whole budget. The others stop once below both "
        "targets (*targets reached*), once they have run as long as the slower target run (*time cap*), or "
        f"once, after {100 * data['rules']['behind_from']:.0f} % of that time, their loss is more than "
        f"{100 * data['rules']['behind_margin']:.0f} % above both target runs' at the same elapsed time "
        "(*behind*; both on the CPU-time clock below). At the larger sizes a setting is only run if at the smallest size it reached a "
        "target sooner than the run that defines it (the others are marked *not run*). Times run from "
        "the call of `Engine.optimize` to the iteration's `on_iteration` callback, so they include L-BFGS' "
        "extra evaluations and SciPy's own work. *Wall s* is elapsed time; *CPU s* is this process's CPU "
        "time ÷ cores over the same span: on a quiet machine the two agree (CPU share near 1), and when "
        "another process takes part of the machine the wall time grows but the CPU time hardly does, so "
        "the stopping rules and the ranking use CPU s. L-BFGS iterations are SciPy's, and *eval / it* "
        "counts compiled gradient evaluations per iteration. Losses are the optimiser's own (bfloat16 "
        "features for the mixed run; compare the precision table, scored in float32)."),
    ]
    for size, s in data["sizes"].items():
        t = s["targets"]
        lines += ["", f"### {size}×{size}", "",
                  (f"Target (a) = {t['a']:.6g}, target (b) = {t['b']:.6g}; starting loss (the content image) "
                   f"{s['curves']['adam_lr6']['loss'][0]:.6g}."
                   + "".join(f" Target ({k}) is not below the starting loss, so nothing counts as reaching it."
                             for k, v in t.items() if v >= s["curves"]["adam_lr6"]["loss"][0])), "",
                  "| setting | its → (a) | CPU s → (a) | wall s → (a) | its → (b) | CPU s → (b) | wall s → (b) | iterations run | final loss | CPU s / it | eval / it | CPU share |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, c in s["curves"].items():
            r = s["reach"][name]

            def cell(key, r=r):
                if r[key] is None:
                    return "not reached | | "
                return f"{r[key]['iteration']} | {r[key]['cpu_seconds']:.1f} | {r[key]['seconds']:.1f}"

            lines.append(
                f"| {c['label']} | {cell('a')} | {cell('b')} | "
                f"{c['iterations']}{' (' + c['stopped'] + ')' if c['stopped'] else ''} | "
                f"{c['loss'][-1]:.6g} | {c['s_per_iteration']:.3f} | {c['evaluations_per_iteration']:.2f} | "
                f"{c['cpu_share']:.2f} |")
        for name, label in s.get("screened_out", {}).items():
            lines.append(f"| {label} | not run | | | | | | | | | | |")
        p = s["precision_cmp"]
        sp = p["s_per_iteration"]
        lines += [
            "",
            ("Precision (Adam lr 6, the same iterations, both images scored with the float32 objective; "
            f"s / iteration float32 {sp['float32']:.3f}, mixed {sp['mixed']:.3f}):"),
            "",
            "| iterations | float32 | mixed | mixed vs float32 | largest pixel difference |",
            "|---:|---:|---:|---:|---:|",
        ]
        for row in p["rows"]:
            sc = row["loss_float32_eval"]
            lines.append(f"| {row['iteration']} | {sc['float32']:.6g} | {sc['mixed']:.6g} | "
                         f"{100 * row['rel_diff_mixed_vs_float32']:+.2f} % | {row['max_abs_pixel_diff']:.1f} |")
        lines += ["", "Early stop (`--tol`, vidstyle's rule on the best loss over 5 iterations), per curve:", "",
                  "| setting | stops at, tol 1e-4 | stops at, tol 1e-5 | largest tol that still reaches (a) |",
                  "|---|---:|---:|---:|"]
        for name, tl in s["tol"].items():
            def it(v):
                return "never" if v is None else str(v)

            lim = tl["limit_for_target_a"]
            lim = "— (not reached)" if lim is None else ("none: any tol > 0 stops it first" if lim <= 0 else f"{lim:.2g}")
            lines.append(f"| {s['curves'][name]['label']} | {it(tl['stop_at_1e-4'])} | {it(tl['stop_at_1e-5'])} | {lim} |")
        cc = s.get("crosscheck")
        if cc:
            lines += [
                "",
                (f"Cross-check of the tutorial's Adam ({cc['steps']} steps at {size}², float32): an independent "
                "`tf.function` Adam on [0, 1] pixels (lr 0.02, β1 0.99, ε 0.1) using the same objective "
                "(the engine's compiled loss, differentiated with its own tape through the ×255), against "
                "`Engine.optimize` with lr 5.1, β1 0.99, ε 0.1/255 on 0–255 pixels. Median |gradient| on "
                f"[0, 1] pixels at the start: {cc['grad01_median_abs']:.3g}."),
                "",
                "| run | image difference after step 1 (0–255, max) | after the last step (max / mean) | largest relative loss difference over the steps | after the last step |",
                "|---|---:|---:|---:|---:|",
            ]
            labels = (("textbook", "independent, m̂ / (√v̂ + ε) on [0, 1] (vidstyle's form)"),
                      ("keras", "independent, Keras' form on [0, 1] (the tutorial's tf.keras Adam)"),
                      ("nudged", "yardstick: Engine.optimize from the content ± 1e-4"))
            for form, label in labels:
                f = cc[form]
                lines.append(f"| {label} | {f['step1_max_pixel_diff']:.2g} | {f['max_pixel_diff'][-1]:.3g} / "
                             f"{f['final_mean_pixel_diff']:.3g} | {f['max_rel_loss_diff']:.2e} | "
                             f"{f['final_rel_loss_diff']:.2e} |")
    return lines


def equal_time_line(size: str, s: dict) -> str:
    """Which setting has the lowest loss after as much CPU time as Adam lr 6's whole run."""
    budget = s["curves"]["adam_lr6"][CLOCK][-1]
    rows = []
    for c in s["curves"].values():
        loss = loss_at(c, budget)
        note = ""
        if c[CLOCK][-1] < budget and c["stopped"] and c["stopped"] != "targets reached":
            note = f" (stopped {c['stopped']} at {c[CLOCK][-1]:.0f} s)"
        rows.append((loss, c["label"], note))
    rows.sort()
    best = rows[0]
    return (f"**Lowest loss in the same time** at {size}² (the {budget:.0f} CPU s of Adam lr 6's "
            f"{s['curves']['adam_lr6']['iterations']} iterations; starting loss {s['start_loss']:.6g}): "
            + "; ".join(f"{label} {loss:.6g}{note}" for loss, label, note in rows)
            + f". Best: **{best[1]}**.")


def recommendation(eff: dict | None, opt: dict | None, tuning: dict | None) -> list[str]:
    lines = ["## 4. Recommendation", ""]
    if opt:
        big = str(max(int(k) for k in opt["sizes"]))
        s = opt["sizes"][big]

        def fastest(key, sizes=s):
            got = [(r[key][CLOCK], n) for n, r in sizes["reach"].items()
                   if r[key] is not None and "precision" not in sizes["curves"][n]["options"]]
            return min(got) if got else None

        fa, fb = fastest("a"), fastest("b")
        key, fk = ("a", fa) if fa else ("b", fb)
        if not fa:
            lines += [(f"**Target (a) says nothing at {big}²**: Adam lr 6's loss after {opt['iterations']} iterations "
                       f"({s['targets']['a']:.6g}) is not below the starting loss ({s['start_loss']:.6g}), so no "
                       "setting can be said to reach it"
                       + (" and target (b) is used below instead." if fb else ", nor target (b).")), ""]
        if fk:
            name = fk[1]
            c, r = s["curves"][name], s["reach"][name]
            own = "adam_lr6" if key == "a" else "tutorial"
            lines.append(
                f"**Optimiser.** At {big}² ({opt['precision']}) the fastest to target ({key}) is **{c['label']}**: "
                f"{r[key][CLOCK]:.1f} CPU s ({r[key]['seconds']:.1f} s wall), {r[key]['iteration']} iterations "
                f"({r[key]['evaluations']} gradient evaluations), against {s['reach'][own][key][CLOCK]:.1f} "
                f"CPU s ({s['reach'][own][key]['iteration']} iterations) for {s['curves'][own]['label']}, which "
                "defines it"
                + (f"; the fastest to target (b) is {s['curves'][fb[1]]['label']}, {fb[0]:.1f} CPU s."
                   if key == "a" and fb else "."))
            others = []
            for k, v in opt["sizes"].items():
                if k != big:
                    got = fastest(key, v)
                    if got:
                        others.append(f"at {k}² the fastest to ({key}) is {v['curves'][got[1]]['label']} "
                                      f"({got[0]:.1f} CPU s)")
            if others:
                text = "; ".join(others)
                lines[-1] += " " + text[0].upper() + text[1:] + "."
            lines.append("")
            lines.append(
                f"**Iteration budget.** With {c['label']}, target ({key}) at {big}² is reached after "
                f"{r[key]['iteration']} iterations"
                + "".join(f"; at {k}²: {v['reach'][name][key]['iteration'] if v['reach'][name][key] else 'not reached'}"
                          for k, v in opt["sizes"].items() if k != big and name in v["reach"]) + ".")
            lines.append("")
            stop = stop_iteration(c["loss"], 1e-4)
            limit = tol_limit(c["loss"], r[key]["iteration"])
            text = f"**Early stop.** With {c['label']} at {big}², the default tol 1e-4 "
            if stop is None:
                text += "never stops the run early."
            else:
                text += (f"stops the run at iteration {stop}, at loss {c['loss'][stop]:.6g} (start "
                         f"{c['loss'][0]:.6g}, target ({key}) {s['targets'][key]:.6g}). ")
            if limit > 0:
                text += f" Any tol up to {limit:.2g} lets it reach target ({key})."
            else:
                text += (f" No tol > 0 lets it reach target ({key}): its loss rises in the first iterations, so the "
                         "best loss is still the starting one when the rule first applies (after 15 iterations), "
                         "and the improvement it measures is 0.")
            lr6 = s["curves"]["adam_lr6"]["loss"]
            stop6 = stop_iteration(lr6, 1e-4)
            if name != "adam_lr6" and stop6 is not None:
                text += (f" (Adam lr 6 with tol 1e-4 stops at iteration {stop6}, loss {lr6[stop6]:.6g} against "
                         f"{lr6[0]:.6g} at the start.)")
            lines += [text, ""]
        for size, v in opt["sizes"].items():
            lines += [equal_time_line(size, v), ""]
        worst = max(abs(row["rel_diff_mixed_vs_float32"]) for v in opt["sizes"].values()
                    for row in v["precision_cmp"]["rows"])
        speed = s["precision_cmp"]["s_per_iteration"]
        lines.append(
            f"**Mixed precision** {'qualifies' if worst <= 0.01 else 'does not qualify'} by the 1 % rule: after "
            f"the same iterations its final loss, scored in float32, differs from float32's by up to "
            f"{100 * worst:.2f} % (every size and checkpoint above); an iteration at {big}² takes "
            f"{speed['mixed']:.3f} s against {speed['float32']:.3f} s in float32.")
        lines.append("")
    if eff:
        big = max(r["size"] for r in eff["rows"])
        by = {(r["precision"], r["jit_compile"]): r for r in eff["rows"] if r["size"] == big}
        parts = []
        for p in ("float32", "mixed"):
            if (p, True) in by:
                a, b = by[(p, False)], by[(p, True)]
                parts.append(f"{p} {1e3 * a['step_s']:.0f} → {1e3 * b['step_s']:.0f} ms")
        if parts:
            helps = all(by[(p, True)]["step_s"] < 0.95 * by[(p, False)]["step_s"] for p in ("float32", "mixed"))
            lines.append(f"**jit_compile** {'helps' if helps else 'does not help'} at {big}² "
                         f"(per iteration without → with XLA: {', '.join(parts)}).")
            lines.append("")
        f32 = by.get(("float32", False))
        if f32:
            cpu_ratio = f32.get("ratio_cpu", math.nan)
            lines.append(f"**Efficiency.** float32 at {big}²: ratio {f32['ratio']:.2f} to the matmul on the wall "
                         f"clock, {cpu_ratio:.2f} on the CPU clock (target 0.7: "
                         f"{'met' if max(f32['ratio'], cpu_ratio) >= 0.7 else 'missed'}).")
            if tuning:
                ok = [r for r in tuning["rows"] if "error" not in r]
                if ok:
                    key = "ratio_cpu" if all("ratio_cpu" in r for r in ok) else "ratio"
                    best = max(ok, key=lambda r: r[key] if "BF16" not in r["variant"] else -1)
                    base = next((r for r in ok if r["variant"] == "default"), None)
                    lines[-1] += (f" Among the float32 thread/oneDNN variants (section 2) the best is {best['variant']}, "
                                  f"ratio ({'CPU' if key == 'ratio_cpu' else 'wall'}) {best[key]:.2f}"
                                  + (f" against {base[key]:.2f} for the default." if base else "."))
            lines.append("")
    return lines


def plot_optimizers(opt: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for size, s in opt["sizes"].items():
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), sharey=True)
        for name, c in s["curves"].items():
            style = {"ls": ":", "color": "k"} if "precision" in c["options"] else {}
            for ax, x in zip(axes, (c["seconds"], c[CLOCK], np.arange(len(c["loss"]))), strict=True):
                ax.plot(x, c["loss"], label=c["label"], lw=1.2, **style)
        lows = [min(c["loss"]) for c in s["curves"].values()]
        start = s["curves"]["adam_lr6"]["loss"][0]
        for ax, label in zip(axes, ("wall seconds", "CPU seconds ÷ cores", "iteration"), strict=True):
            ax.axhline(s["targets"]["a"], color="gray", ls="--", lw=0.8)
            ax.axhline(s["targets"]["b"], color="gray", ls="-.", lw=0.8)
            ax.set_yscale("log")
            ax.set_ylim(min(lows) * 0.98, start * 1.5)
            ax.set_xlabel(label)
            ax.grid(True, which="both", alpha=0.3)
        axes[0].set_ylabel("total loss (objective)")
        axes[0].legend(fontsize=8)
        fig.suptitle(f"{size}×{size}, {opt['precision']} precision, random VGG19 weights "
                     "(dashed: target a, dash-dot: target b)")
        fig.tight_layout()
        name = f"bench_optimizers_{size}.png"
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        names.append(name)
    return names


def plot_efficiency(eff: dict, out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    labels = [f"{r['size']}²\n{r['precision']}\n{'XLA' if r['jit_compile'] else 'no XLA'}" for r in eff["rows"]]
    ax.bar(range(len(labels)), [r["ratio"] for r in eff["rows"]], color="tab:blue")
    ax.axhline(0.7, color="red", ls="--", lw=1, label="target 0.7")
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylabel("GFLOP/s ÷ float32 matmul GFLOP/s")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "bench_efficiency.png", dpi=100)
    plt.close(fig)
    return "bench_efficiency.png"


ELSEWHERE = [  # issue 5's other measurements, made by other scripts (kept here so a rebuild keeps them)
    "## 5. Measured by other scripts",
    "",
    "- **What the CLI runs**: it sets `TF_ONEDNN_ASSUME_FROZEN_WEIGHTS=1` (one network per process, so the "
    "reuse shown in section 2 cannot happen there): 0.73 of the matrix product on the wall clock, 0.83 on the "
    "CPU clock, at 256² float32 (section 2). The library leaves it unset.",
    "- **Optimisers to the tutorial's 1000-step loss at 256²**: the curves ran on the lent H200 in true "
    "float32 (`scripts/gpu_quality.py`, docs/GPU.md), because 1000 iterations per setting at 256² take "
    "hours on these 2 cores and evaluation counts do not depend on the machine. Adam lr 1 (the default) "
    "reached it in 100 evaluations, L-BFGS-B in 128, the tutorial's configuration in 915: **0.10 of the "
    "tutorial's time** on this CPU, where every evaluation costs the same (target ≤ 1/3). Adam lr 2 and 4 "
    "never reached it. Plot: `optimizers_256.png` (`python scripts/plot_quality.py`).",
    "- **Video frame budgets** (H200, docs/GPU.md): with the defaults (60 iterations per later frame, 1/5 of "
    "the first frame's 300) E_warp is 19.7 % and the later frames' loss 9.2 % above what 5× as many "
    "iterations give: the \"within 2 %\" target is not met (docs/DEFAULTS.md). On this CPU, frames 0–5 in mixed "
    "precision: +14.3 % loss and +37 % E_warp (`python scripts/frame_budget.py`). With random weights a later "
    "frame starts 2.2× above the first frame's final loss, mostly content: half a pixel of shift alone costs the "
    "content image 0.91× of the whole stylisation's content term (`python scripts/shift_check.py`). Larger Adam "
    "steps for later frames help: the default `--frame-lr 2` ends +9.2 % and +18 % above 5× (lr 4: +6.7 %, +9.3 %) "
    "and lowers the whole clip's E_warp by 6.7 % against lr 1 (docs/DEFAULTS.md).",
    "- **Whole-clip busy share** (the report's `busy`): 0.976 at `--batch 1` and 0.984 at `--batch 4` on "
    "the sample clip with the defaults in float32 (`python scripts/batch_check.py`, docs/BATCH.md); with the "
    "current defaults (mixed precision on this CPU, `--frame-lr 2`) 0.963 (`python scripts/preset_check.py`, "
    "balanced); target ≥ 0.9. Lighter settings fall just under it, as flow and encoding weigh more: 0.898 "
    "for `--preset fast` (20 iterations per later frame) and 0.889 in the README's demo run (`bash "
    "scripts/demo.sh`, also 20).",
    "- **Coarse-to-fine** at 512×384 (the sample enlarged), 300 iterations per scale, mixed precision, random-weights "
    "balance (`python scripts/scales_check.py`): `--scales 2` needed 226.9 s to reach the single scale's final loss, "
    "which took 171.6 s; `--scales 3` never reached it. With the default objective `--scales 2` never reached "
    "the single scale's final loss either (ended 0.11 % above, 197.9 s against 189.3 s). Coarse-to-fine stays "
    "off (docs/DEFAULTS.md).",
    "- **Presets** timed as a whole on the sample clip (`python scripts/preset_check.py`, the current defaults): "
    "fast 78 s, balanced 208 s (171 s in a later run on a quieter machine), quality 1067 s; later-frame loss "
    "+9.6 % and −3.7 % against balanced (docs/DEFAULTS.md, docs/preset_check_frame_lr2.json, "
    "docs/preset_check_quality_flr2.json).",
    "- **Precision**: `--precision mixed` against float32, 300 Adam iterations, final image scored in float32: "
    "at 128×96 2.5× faster and +0.66 %; at 256² 2.56× faster and +0.35 % (default objective), 2.48× and "
    "−0.22 % (random-weights balance) (`python scripts/precision_check.py`, docs/DEFAULTS.md); on the sample "
    "clip's later frames +0.05 % and the same E_warp (`python scripts/frame_budget.py`). Within the 1 % rule, so "
    "the default `--precision auto` picks mixed with Adam under TensorFlow on a CPU with bfloat16 instructions "
    "(docs/DEFAULTS.md says where it does not).",
    "- **Tolerance**: replaying the stop rule on the 256² Adam lr 1 curve (`python scripts/tol_check.py`), the "
    "old `--tol 1e-4` stopped at iteration 47, short of the tutorial's target; the new default 3e-6 stops at 127 "
    "with the target reached (0.127 of the tutorial's time).",
    "",
]


def write_report(out: Path, meta: dict) -> None:
    data = {}
    for section in SECTIONS:
        path = out / f"bench_{section}.json"
        if path.exists():
            data[section] = json.loads(path.read_text())
    m = meta
    be = m["backend"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/benchmark.py`; do not edit by hand. Rerun `python scripts/benchmark.py` "
        "(the efficiency section, about 10 minutes on a quiet machine; `--sections tuning` about 10 more; "
        "`--quick` takes a few minutes, `--sections` reruns some sections and keeps the others' JSON, "
        "`--report-only` rebuilds this page and the plots from the JSON). Raw data: " + ", ".join(f"`bench_{s}.json`" for s in data) + ".",
        "",
        (f"- Machine: {m['machine']['cpu']} (`lscpu`), {m['machine']['cores']} cores "
        f"({', '.join(m['machine']['isa'])}), shared with other work: every speed is also given as a ratio "
        "to a matrix product timed in the same process, figures are the best of repeats, and the CPU share "
        "column says how much of the machine a measurement had."),
        f"- Backend: {be['backend']} {be.get('tensorflow', be.get('jax'))}, Keras {be['keras']}, NumPy "
        f"{be['numpy']}, Python {m['machine']['python']}; environment: "
        + (", ".join(f"{k}={v}" for k, v in be["env"].items()) or "defaults") + ".",
        ("- Weights: **seeded random VGG19** (`weights=\"random\"`): ImageNet weights cannot be downloaded on "
        "this machine. Speeds do not depend on the weights; the loss values and curves do (random "
        "features give another landscape than ImageNet's), so the optimiser ranking is evidence, not proof, "
        "for real styles."),
        f"- This page: {m['date']}, `{m['command']}`.",
    ]
    for section, d in data.items():
        sm = d.get("meta", {})
        lines.append(f"- `{section}` measured {sm.get('date', '?')} by `{sm.get('command', '?')}` "
                     f"({sm.get('plan', '?')} plan) in {sm.get('seconds', 0) / 60:.1f} min, of which "
                     f"{sm.get('waited_for_quiet_s', 0):.0f} s waiting for other processes to quieten.")
    lines.append("")
    if "efficiency" in data:
        lines += md_efficiency(data["efficiency"]) + [""]
    if "tuning" in data:
        lines += md_tuning(data["tuning"]) + [""]
    if "optimizers" in data:
        lines += md_optimizers(data["optimizers"]) + [""]
    lines += recommendation(data.get("efficiency"), data.get("optimizers"), data.get("tuning"))
    lines += ELSEWHERE
    lines += ["## Plots", ""]
    if "efficiency" in data:
        lines += [f"![efficiency ratio]({plot_efficiency(data['efficiency'], out)})", ""]
    if "optimizers" in data:
        for name in plot_optimizers(data["optimizers"], out):
            lines += [f"![{name}]({name})", ""]
    (out / "BENCHMARKS.md").write_text("\n".join(lines).rstrip() + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer iterations (a few minutes)")
    parser.add_argument("--sections", default=",".join(DEFAULT_SECTIONS),
                        help=f"comma-separated, of {', '.join(SECTIONS)} (default: {','.join(DEFAULT_SECTIONS)})")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for BENCHMARKS.md and bench_*.json")
    parser.add_argument("--precision", default="float32", choices=("float32", "mixed"),
                        help="precision of the optimiser curves (Adam lr 6 is also run in the other one)")
    parser.add_argument("--report-only", action="store_true", help="rebuild BENCHMARKS.md and the plots from the JSON")
    parser.add_argument("--probe", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--probe-iterations", type=int, default=5, help=argparse.SUPPRESS)
    parser.add_argument("--probe-repeats", type=int, default=3, help=argparse.SUPPRESS)
    parser.add_argument("--probe-threads", help=argparse.SUPPRESS)
    parser.add_argument("--probe-quiet", type=float, default=20.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.probe:
        WAIT_BUDGET["left"] = 2 * args.probe_quiet
        print(json.dumps(probe(args.probe, args.probe_iterations, args.probe_repeats, args.probe_threads,
                               args.probe_quiet)))
        return 0
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    plan_name = "quick" if args.quick else "full"
    plan = PLANS[plan_name]
    WAIT_BUDGET["left"] = plan["wait_budget"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from vidstyle import backend

    backend.import_quietly()
    import logging

    logging.getLogger("vidstyle").setLevel(logging.ERROR)  # the random-weights warning, once per engine
    meta = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": " ".join(["python", "scripts/benchmark.py", *map(shlex.quote, sys.argv[1:] if argv is None else argv)]),
        "plan": plan_name,
        "machine": machine(),
        "backend": backend_info(),
    }
    if not args.report_only:
        for section in sections:
            tick, waited = time.perf_counter(), WAIT_BUDGET["spent"]
            log(f"section {section} ({plan_name})")
            if section == "efficiency":
                result = section_efficiency(plan)
            elif section == "tuning":
                result = section_tuning(plan, Path(__file__).resolve())
            else:
                result = section_optimizers(plan, args.precision)
            plan_json = {k: {str(a): b for a, b in v.items()} if isinstance(v, dict) else v for k, v in plan.items()}
            result["meta"] = {**meta, "plan_settings": plan_json, "seconds": time.perf_counter() - tick,
                              "waited_for_quiet_s": WAIT_BUDGET["spent"] - waited}
            (out / f"bench_{section}.json").write_text(json.dumps(result, indent=1, default=float) + "\n")
            log(f"section {section} done in {time.perf_counter() - tick:.0f} s")
    write_report(out, meta)
    log(f"wrote {out / 'BENCHMARKS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
