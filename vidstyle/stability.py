"""E_warp, the temporal stability of a stylised clip (METHOD.md 5): measured, never optimised."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import zip_longest

import cv2
import numpy as np

from .config import SCENE_CUT
from .errors import InputError
from .flow import check_method, flow_pair, is_scene_cut, warp


_END = object()  # what zip_longest gives for the shorter sequence's missing frames


def _rgb8(frame: object, index: int, name: str) -> np.ndarray:
    """The frame as an array, checked to be RGB uint8: E_warp is defined on that scale only."""
    img = np.asarray(frame)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise InputError(
            f"{name} frame {index}: expected RGB uint8 (H, W, 3), got {img.dtype} {img.shape}"
        )
    return img


def warp_error(
    output_frames: Iterable[np.ndarray],
    original_frames: Iterable[np.ndarray],
    method: str = "dis",
    cut_threshold: float | None = SCENE_CUT,
) -> tuple[float, list[float]]:
    """E_warp of METHOD.md 5 (Lai et al. 2018): (mean over pairs, one value per pair (t-1, t)).

    Frames are streamed; two of each sequence are held. Flow is computed on the original frames
    resized (INTER_AREA) to the output's size. A pair whose mask M_t is empty (a hard scene cut)
    has no defined error: it is NaN in the per-pair list and left out of the mean; the mean is NaN
    when no pair counts (fewer than two frames). Scene cuts in the ORIGINAL frames
    (`is_scene_cut` with `cut_threshold`; None counts them) are NaN too: across a cut there is no
    motion to be stable along, and one cut pair would otherwise outweigh a whole shot.
    """
    per_pair = [output for output, _ in pair_errors(output_frames, original_frames, method, cut_threshold)]
    return mean_counted(per_pair), per_pair


def mean_counted(per_pair: list[float]) -> float:
    """E_warp from its pairs: the mean of those that count (not NaN); NaN when none does."""
    counted = [e for e in per_pair if not np.isnan(e)]
    return float(np.mean(counted)) if counted else float("nan")


def pair_errors(
    output_frames: Iterable[np.ndarray],
    original_frames: Iterable[np.ndarray],
    method: str = "dis",
    cut_threshold: float | None = SCENE_CUT,
) -> Iterator[tuple[float, float]]:
    """Each pair's warping error (warp_error's rules), of the output and of the original itself
    (resized to the output's size): one flow and one pass over the frames give E_warp and its floor."""
    check_method(method)
    prev_out: np.ndarray | None = None
    prev_orig: np.ndarray | None = None
    nan = float("nan")
    for index, (out, orig) in enumerate(zip_longest(output_frames, original_frames, fillvalue=_END)):
        if out is _END or orig is _END:  # one sequence ended first (a None frame is a bad frame)
            short = "output" if out is _END else "original"
            raise InputError(f"warp error: output and original differ in length "
                             f"(frame {index} is missing from the {short})")
        out01 = _rgb8(out, index, "output").astype(np.float32) / 255.0
        orig = _rgb8(orig, index, "original")
        out_h, out_w = out01.shape[:2]
        if orig.shape[:2] != (out_h, out_w):
            orig = cv2.resize(orig, (out_w, out_h), interpolation=cv2.INTER_AREA)
        if prev_out is not None and prev_orig is not None:
            if prev_out.shape != out01.shape:
                raise InputError(f"output frame {index} is {out01.shape[:2]}, "
                                 f"frame {index - 1} {prev_out.shape[:2]}")
            pair = flow_pair(prev_orig, orig, method)
            flow_bwd, mask = pair.flow_bwd, pair.mask
            count = int(mask.sum())
            if count == 0 or (cut_threshold is not None and is_scene_cut(pair, cut_threshold)):
                yield nan, nan
            else:
                yield _masked_error(out01, prev_out, flow_bwd, mask), _masked_error(
                    orig.astype(np.float32) / 255.0, prev_orig.astype(np.float32) / 255.0, flow_bwd, mask)
        prev_out, prev_orig = out01, orig


def _masked_error(frame01: np.ndarray, previous01: np.ndarray, flow_bwd: np.ndarray, mask: np.ndarray) -> float:
    """Σ M·‖O_t − warp(O_t−1)‖² / Σ M, the channel mean inside (METHOD.md 5)."""
    err = np.mean((frame01 - warp(previous01, flow_bwd)) ** 2, axis=-1)
    return float(err[mask].sum() / int(mask.sum()))
