"""Measure temporal stability on samples/clip.mp4: the init/temporal table, the λ sweep and the
feature-scale check that docs/TEMPORAL.md reports.

Every run goes through the public API, ``vidstyle.stylize_video``, into a throw-away frame folder,
and keeps only a summary (E_warp, per-pair errors, per-frame seconds and final loss terms). Summaries
are saved to ``--results`` after each run and reused when the same run (same options, same network
scale) is asked for again, so an interrupted measurement continues where it stopped.

Usage (what docs/TEMPORAL.md was made with):

    python scripts/temporal_table.py --size 96 --iterations 100 --frame-iterations 20 \
        --parts table,sweep,scale

Seeded random VGG19 weights throughout (ImageNet weights cannot be downloaded here).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vidstyle.config import StyleOptions, VideoOptions  # noqa: E402

DEFAULT_LAMBDA = VideoOptions().temporal_weight

# Rows of the main table: name -> options that differ from the common ones.
TABLE = {
    "independent": {"independent": True},
    "content": {"init_mode": "content", "temporal_weight": 0.0},
    "prev": {"init_mode": "prev", "temporal_weight": 0.0},
    "prev-warped": {"temporal_weight": 0.0},
    "prev-warped + temporal": {},
    "+ long-term": {"long_term": (1, 2, 4)},
}
SWEEP = (0.1, 0.3, 1.0, 3.0, 10.0)
SCALES = (1.0, 0.7, 1.4)  # k = 1 first: the others are checked against it
TERMS = ("content", "style", "tv", "temporal", "total")

log = logging.getLogger("temporal_table")


# --- one run ---------------------------------------------------------------------------------


def code_version() -> str:
    """The commit of the vidstyle/ measured, with '+dirty' when it has uncommitted changes."""
    try:
        git = ["git", "-C", str(ROOT)]
        commit = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(git + ["status", "--porcelain", "--", "vidstyle"], capture_output=True, text=True)
        return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("VIDSTYLE_CODE_VERSION", "unknown")


def run_key(options: dict, scale: float, code: str) -> str:
    """Cache key: a summary is reused only for the same options, network scale and code."""
    return json.dumps({"options": options, "scale": scale, "code": code}, sort_keys=True, default=list)


def summarise(report: dict, wall: float, load: tuple[float, float]) -> dict:
    frames = report["frames"]
    pairs = [None if p is None or math.isnan(p) else float(p) for p in report["warp_error"]["pairs"]]
    later = frames[1:]
    return {
        "e_warp": report["warp_error"]["output"],
        "e_warp_original": report["warp_error"]["original"],
        "pairs": pairs,
        "original_pairs": [None if p is None or math.isnan(p) else float(p)
                           for p in report["warp_error"]["original_pairs"]],
        "temporal_delta": report.get("temporal_delta"),
        "size": report["size"],
        "seconds_per_frame": float(np.mean([f["seconds"] for f in frames])),
        "iterations": [f["iterations"] for f in frames],
        "cuts": [f["index"] for f in frames if f.get("cut")],
        "frame_seconds": [f["seconds"] for f in frames],
        "final": {t: [f["final"][t] for f in frames] for t in TERMS},
        "initial_first": frames[0]["initial"],
        "mean_final_later": {t: float(np.mean([f["final"][t] for f in later])) for t in TERMS},
        "wall_seconds": wall,
        "load_average": list(load),
    }


def stylise(clip: Path, style: Path, options: dict) -> tuple[dict, float]:
    from vidstyle import stylize_video

    with tempfile.TemporaryDirectory(prefix="vidstyle-temporal-") as tmp:
        tick = time.perf_counter()
        report = stylize_video(clip, [style], Path(tmp) / "out", **options)
        return report, time.perf_counter() - tick


# --- network scaling (the scale-freeness check) -------------------------------------------------


def conv_layers(engine) -> list:
    import keras

    return [layer for layer in engine.extractor.model.layers if isinstance(layer, keras.layers.Conv2D)]


class ScaledNetwork:
    """Multiply every conv kernel of the cached engine by k (zero biases + ReLU: layer l's features
    scale by k^l); restore the saved weights on exit."""

    def __init__(self, style: StyleOptions, k: float):
        from vidstyle.api import get_engine

        self.engine, self.k = get_engine(style), k
        self.saved: list = []

    def __enter__(self):
        for layer in conv_layers(self.engine):
            kernel, bias = layer.get_weights()
            if np.any(bias != 0):
                raise RuntimeError(f"{layer.name} has non-zero biases: the features would not scale as k^l")
            self.saved.append((layer, kernel, bias))
            layer.set_weights([kernel * self.k, bias])
        return self.engine

    def __exit__(self, *exc) -> None:
        for layer, kernel, bias in self.saved:
            layer.set_weights([kernel, bias])


def feature_ratios(engine, image: np.ndarray, reference: dict) -> dict:
    """mean|F| of each extracted layer divided by the reference's."""
    feats = engine.features(image[None].astype(np.float32))
    return {name: float(np.mean(np.abs(np.asarray(f)))) / reference[name] for name, f in feats.items()}


def mean_abs_features(engine, image: np.ndarray) -> dict:
    feats = engine.features(image[None].astype(np.float32))
    return {name: float(np.mean(np.abs(np.asarray(f)))) for name, f in feats.items()}


# --- tables ------------------------------------------------------------------------------------


def pair_stats(pairs: list[float | None]) -> tuple[float, float, float]:
    """(max, median, max / median) over the pairs that have an error (None/NaN = scene cut)."""
    valid = np.array([p for p in pairs if p is not None and not math.isnan(p)])
    median, peak = float(np.median(valid)), float(np.max(valid))
    return peak, median, peak / median


def table_markdown(rows: dict[str, dict]) -> str:
    base = rows["independent"]["e_warp"]
    lines = ["| row | E_warp | E_warp / independent | max pair / median pair | s / frame | mean final total (frames 1-29) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        _, _, ratio = pair_stats(r["pairs"])
        lines.append(f"| {name} | {r['e_warp']:.5f} | {r['e_warp'] / base:.3f} | {ratio:.2f} | "
                     f"{r['seconds_per_frame']:.2f} | {r['mean_final_later']['total']:.4g} |")
    first = next(iter(rows.values()))
    peak, median, ratio = pair_stats(first["original_pairs"])
    lines.append(f"| original video | {first['e_warp_original']:.5f} | {first['e_warp_original'] / base:.3f} | "
                 f"{ratio:.2f} | – | – |")
    return "\n".join(lines)


def sweep_markdown(rows: dict[float, dict], base: float) -> str:
    lines = ["| λ | δ | E_warp | E_warp / independent | max pair / median pair | content | style | tv | temporal | total |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for lam, r in rows.items():
        m = r["mean_final_later"]
        _, _, ratio = pair_stats(r["pairs"])
        lines.append(f"| {lam:g} | {r['temporal_delta']:.4g} | {r['e_warp']:.5f} | {r['e_warp'] / base:.3f} | {ratio:.2f} | "
                     f"{m['content']:.4g} | {m['style']:.4g} | {m['tv']:.4g} | {m['temporal']:.4g} | {m['total']:.4g} |")
    return "\n".join(lines)


def scale_markdown(rows: dict[float, dict], checks: dict) -> str:
    lines = ["| k | block1_conv1 mean\\|F\\| ratio | block5_conv2 ratio | δ (temporal_delta) | E_warp | E_warp / (k=1) | max pair / median pair | style (frames 1-29) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ref = rows[1.0]["e_warp"]
    for k, r in sorted(rows.items()):
        c = checks.get(str(k), {})
        _, _, ratio = pair_stats(r["pairs"])
        lines.append(f"| {k:g} | {c.get('block1_conv1', 1.0):.4g} | {c.get('block5_conv2', 1.0):.4g} | {r['temporal_delta']:.4g} | "
                     f"{r['e_warp']:.5f} | {r['e_warp'] / ref:.3f} | {ratio:.2f} | {r['mean_final_later']['style']:.4g} |")
    return "\n".join(lines)


def plot_pairs(path: Path, rows: dict[str, dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.8))
    for name, r in rows.items():
        ax.plot(range(1, len(r["pairs"]) + 1), np.array(r["pairs"], float), marker=".", label=f"{name} ({r['e_warp']:.4f})")
    first = next(iter(rows.values()))
    ax.plot(range(1, len(first["original_pairs"]) + 1), np.array(first["original_pairs"], float), "k--", marker=".",
            label=f"original video ({first['e_warp_original']:.4f})")
    ax.set_yscale("log")
    ax.set_xlabel("frame pair (t-1, t); the gap at t = 20 is the scene cut")
    ax.set_ylabel("warping error (RGB in [0,1], mean over channels)")
    ax.set_title("Per-pair warping error, samples/clip.mp4 (E_warp in the legend)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_sweep(path: Path, rows: dict[float, dict], base: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lams = list(rows)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(lams, [rows[l]["e_warp"] / base for l in lams], marker="o", label="E_warp / independent")
    ax1.plot(lams, [pair_stats(rows[l]["pairs"])[2] / 10 for l in lams], marker="s", label="(max/median pair) / 10")
    ax1.axhline(0.4, color="grey", ls="--", lw=1, label="acceptance 0.4 and 3/10")
    ax1.axhline(0.3, color="grey", ls=":", lw=1)
    ax1.set_xscale("log")
    ax1.set_xlabel("λ (--temporal-weight)")
    ax1.legend(fontsize=8)
    for term, colour in (("content", "tab:blue"), ("style", "tab:red")):
        ax2.plot(lams, [rows[l]["mean_final_later"][term] for l in lams], marker="o", color=colour, label=term)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("λ")
    ax2.set_ylabel("mean final loss, frames 1-29 (unweighted)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, default=ROOT / "samples" / "clip.mp4")
    parser.add_argument("--style", type=Path, default=ROOT / "samples" / "style.png")
    parser.add_argument("--size", type=int, default=96, help="working longest side")
    parser.add_argument("--iterations", type=int, default=100, help="first frame (and every independent frame)")
    parser.add_argument("--frame-iterations", type=int, default=20)
    parser.add_argument("--content-weight", type=float, help="α; the package default when not given")
    parser.add_argument("--tv-weight", type=float, help="γ; the package default when not given")
    parser.add_argument("--parts", default="table,sweep,scale", help="comma list of table, sweep, scale")
    parser.add_argument("--extra-frame-iterations", type=int, nargs="*", default=[],
                        help="also run the default row with these frame_iterations")
    parser.add_argument("--extra-lambdas", type=float, nargs="*", default=[],
                        help="with --extra-frame-iterations: these λ too")
    parser.add_argument("--fixed-delta", action="store_true",
                        help="scale check: also run each k with the δ of k = 1 (what an absolute weight would do)")
    parser.add_argument("--scale-baselines", action="store_true",
                        help="scale check: also run the independent baseline at each k (E_warp / independent)")
    parser.add_argument("--results", type=Path, default=ROOT / "docs" / "temporal_runs.json")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("vidstyle").setLevel(logging.ERROR)  # the random-weights warning, 12 times

    common = {"weights": "random", "size": args.size, "iterations": args.iterations,
              "frame_iterations": args.frame_iterations}
    for name in ("content_weight", "tv_weight"):  # random features need another balance (scripts/demo.sh)
        if getattr(args, name) is not None:
            common[name] = getattr(args, name)
    code = code_version()
    results: dict = json.loads(args.results.read_text()) if args.results.exists() else {}
    parts = set(args.parts.split(","))

    def measure(name: str, changes: dict, scale: float = 1.0) -> dict:
        options = common | changes
        key = run_key(options, scale, code)
        if key in results:
            log.info("%-28s cached: E_warp %.5f", name, results[key]["e_warp"])
            return results[key]
        load_before = os.getloadavg()[0]
        if scale != 1.0:
            style_kw, _ = VideoOptions.split_kwargs(options)
            style = StyleOptions.from_kwargs(**style_kw)
            with ScaledNetwork(style, scale):
                report, wall = stylise(args.clip, args.style, options)
        else:
            report, wall = stylise(args.clip, args.style, options)
        summary = summarise(report, wall, (load_before, os.getloadavg()[0])) | {
            "name": name, "scale": scale, "options": options, "code": code,
            "tv_weight": report["config"].get("tv_weight")}
        results[key] = summary
        args.results.write_text(json.dumps(results, indent=1, default=list) + "\n")
        log.info("%-28s E_warp %.5f  δ %s  %.0f s", name, summary["e_warp"], summary["temporal_delta"], wall)
        return summary

    out: dict = {"command": "python scripts/temporal_table.py " + " ".join(argv or sys.argv[1:]),
                 "code": code, "common": common, "default_lambda": DEFAULT_LAMBDA,
                 "defaults": {"tv_weight": StyleOptions(weights="random").tv_weight,
                              "frame_iterations": VideoOptions().frame_iterations}}
    table = {name: measure(name, changes) for name, changes in TABLE.items()}  # the baseline is always needed
    base = table["independent"]["e_warp"]
    print("\n## table\n\n" + table_markdown(table))
    plot_pairs(args.docs / "temporal_pairs.png", table)
    out["table"] = {n: {k: r[k] for k in ("e_warp", "e_warp_original", "seconds_per_frame", "mean_final_later",
                                         "temporal_delta")} | {"max_over_median": pair_stats(r["pairs"])[2]}
                    for n, r in table.items()}

    if "sweep" in parts:
        sweep = {lam: measure(f"λ = {lam:g}", {"temporal_weight": lam}) for lam in SWEEP}
        print("\n## λ sweep\n\n" + sweep_markdown(sweep, base))
        plot_sweep(args.docs / "temporal_sweep.png", sweep, base)
        out["sweep"] = {lam: {"e_warp": r["e_warp"], "ratio": r["e_warp"] / base, "delta": r["temporal_delta"],
                              "max_over_median": pair_stats(r["pairs"])[2], "mean_final_later": r["mean_final_later"]}
                        for lam, r in sweep.items()}

    if "scale" in parts:
        from vidstyle.api import get_engine
        from vidstyle.images import read_image

        style_kw, _ = VideoOptions.split_kwargs(common)
        style = StyleOptions.from_kwargs(**style_kw)
        engine = get_engine(style)
        probe = read_image(ROOT / "samples" / "content.png")
        reference = mean_abs_features(engine, probe)
        checks, scaled = {}, {}
        for k in SCALES:
            if k == 1.0:
                scaled[k] = measure("scale k = 1", {})
                continue
            with ScaledNetwork(style, k) as e:
                # The engine stylize_video will fetch is this one, and its features did scale by k^l.
                if get_engine(style) is not e or e is not engine:
                    raise RuntimeError("get_engine returned another engine: the scaling would not be used")
                checks[str(k)] = feature_ratios(e, probe, reference)
            scaled[k] = measure(f"scale k = {k:g}", {}, scale=k)
            if scaled[k]["temporal_delta"] == scaled[1.0]["temporal_delta"]:
                raise RuntimeError(f"k = {k}: δ did not change, so the run did not use the scaled network")
        fixed = {}
        if args.fixed_delta:
            delta_1 = scaled[1.0]["temporal_delta"]
            for k in SCALES:
                if k != 1.0:  # λ chosen so that this network's calibration gives k = 1's δ
                    lam = DEFAULT_LAMBDA * delta_1 / scaled[k]["temporal_delta"]
                    fixed[k] = measure(f"scale k = {k:g}, δ of k = 1", {"temporal_weight": lam}, scale=k)
        baselines = {1.0: table["independent"]} if args.scale_baselines else {}
        for k in SCALES if args.scale_baselines else ():
            if k != 1.0:
                baselines[k] = measure(f"independent, k = {k:g}", {"independent": True}, scale=k)
        restored = feature_ratios(engine, probe, reference)
        if any(abs(v - 1) > 1e-5 for v in restored.values()):
            raise RuntimeError(f"the network was not restored: {restored}")
        print("\n## scale check\n\n" + scale_markdown(scaled, checks))
        for k, r in sorted(baselines.items()):
            print(f"k = {k:g}: independent E_warp {r['e_warp']:.5f}; default / independent "
                  f"{scaled[k]['e_warp'] / r['e_warp']:.3f}; style (frames 1-29) independent "
                  f"{r['mean_final_later']['style']:.4g}")
        for k, r in fixed.items():
            print(f"k = {k:g} with k = 1's δ ({r['temporal_delta']:.4g}): E_warp {r['e_warp']:.5f} "
                  f"({r['e_warp'] / scaled[1.0]['e_warp']:.3f} × k = 1), max/median pair {pair_stats(r['pairs'])[2]:.2f}")
        out["scale"] = {"feature_ratios": checks,
                        "runs": {k: {"e_warp": r["e_warp"], "delta": r["temporal_delta"],
                                     "max_over_median": pair_stats(r["pairs"])[2],
                                     "initial_first": r["initial_first"], "mean_final_later": r["mean_final_later"]}
                                 for k, r in scaled.items()},
                        "independent": {k: {"e_warp": r["e_warp"], "ratio": scaled[k]["e_warp"] / r["e_warp"]}
                                        for k, r in baselines.items()},
                        "fixed_delta": {k: {"e_warp": r["e_warp"], "delta": r["temporal_delta"],
                                            "max_over_median": pair_stats(r["pairs"])[2]} for k, r in fixed.items()}}

    for fi in args.extra_frame_iterations:
        for lam in [DEFAULT_LAMBDA] + [l for l in args.extra_lambdas if l != DEFAULT_LAMBDA]:
            changes = {"frame_iterations": fi} | ({} if lam == DEFAULT_LAMBDA else {"temporal_weight": lam})
            r = measure(f"λ = {lam:g}, frame_iterations={fi}", changes)
            print(f"\nframe_iterations={fi}, λ = {lam:g}: E_warp {r['e_warp']:.5f} ({r['e_warp'] / base:.3f} × independent), "
                  f"max/median pair {pair_stats(r['pairs'])[2]:.2f}, {r['seconds_per_frame']:.2f} s/frame, "
                  f"style {r['mean_final_later']['style']:.4g}, content {r['mean_final_later']['content']:.4g}, "
                  f"temporal {r['mean_final_later']['temporal']:.4g}")
            out.setdefault("frame_iterations", {}).setdefault(fi, {})[lam] = {
                "e_warp": r["e_warp"], "ratio": r["e_warp"] / base, "max_over_median": pair_stats(r["pairs"])[2],
                "seconds_per_frame": r["seconds_per_frame"], "mean_final_later": r["mean_final_later"]}

    (args.docs / "temporal_summary.json").write_text(json.dumps(out, indent=1, default=list) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
