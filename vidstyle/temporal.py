"""Per-frame temporal inputs (Ruder et al. 2016; METHOD.md sections 2 and 4).

The flow side depends only on the ORIGINAL frames, so it is computed ahead in a background thread
(`source_frames` + `prefetch`); the stylised side (warping earlier results, initialisation) needs
the previous result and is done on the main thread, just before a frame is optimised.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .flow import FlowPair, flow_pair, is_scene_cut, warp
from .images import resize


@dataclass
class SourceFrame:
    """One original frame at the working size, with its flows to earlier frames of its shot."""

    position: int  # output index, 0-based
    source_index: int  # index in the input video or folder
    content: np.ndarray  # RGB uint8, working size
    pairs: dict[int, FlowPair] = field(default_factory=dict)  # offset j -> flows (t-j, t)
    cut: bool = False  # frame t starts a new shot (or the sequence): no temporal coupling


def source_frames(
    frames: Iterable[tuple[int, np.ndarray]],
    size: tuple[int, int],
    offsets: Sequence[int],
    method: str,
    cut_threshold: float,
    resume_at: int = 0,
    independent: bool = False,
    fit: Callable[[int, int], tuple[int, int]] | None = None,
) -> Iterator[SourceFrame]:
    """Resize frames to the working size and compute flows to the earlier frames in `offsets`.

    Long-term flows are computed directly between the original frames t-j and t (Ruder et al.),
    never across a scene cut. Frames before `resume_at` (already finished) are decoded but not
    yielded; only the last few of them are resized and given flows, to know the shot and the
    originals the next frame needs.
    `independent` frames are not coupled, so no flow is computed: only the first is a cut; `fit`
    gives each its own working size (a folder of images of several sizes).
    """
    if independent:
        for position, (source_index, frame) in enumerate(frames):
            if position >= resume_at:
                own = fit(frame.shape[1], frame.shape[0]) if fit else size
                yield SourceFrame(position, source_index, resize(frame, *own), cut=position == 0)
        return
    reach = max(offsets)
    recent: deque[np.ndarray] = deque(maxlen=reach)  # originals t-1, t-2, ... (newest left)
    shot_start = 0
    for position, (source_index, frame) in enumerate(frames):
        if position < resume_at - reach - 1:
            continue  # long finished: its original is never read again
        content = resize(frame, *size)
        pairs: dict[int, FlowPair] = {}
        cut = position == 0
        if position < resume_at - reach:
            recent.appendleft(content)  # long finished: no flow needed
            continue
        if recent:
            short = flow_pair(recent[0], content, method)
            if is_scene_cut(short, cut_threshold):
                cut, shot_start = True, position
            else:
                pairs[1] = short
                for j in offsets:
                    if j > 1 and position - j >= shot_start and j <= len(recent):
                        pairs[j] = flow_pair(recent[j - 1], content, method)
        if cut:
            recent.clear()
        recent.appendleft(content)
        if position >= resume_at:
            yield SourceFrame(position, source_index, content, pairs, cut)


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Run `items` in a background thread, `depth` ahead; exceptions re-raised in the consumer."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(entry: tuple) -> bool:
        """Hand over one entry, unless the consumer stops first (then it never takes it)."""
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        # Every put watches `stop`, the last one too: a worker blocked on a full queue after the
        # consumer was interrupted held the consumer's join for its whole 30 s timeout.
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put((done, exc))

    worker = threading.Thread(target=produce, name="vidstyle-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = box.get()
            if item is done:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        # Wait for the worker to finish its item: left running into interpreter exit (Ctrl-C,
        # SIGTERM), a thread inside OpenCV's flow aborted the process ("terminate called without
        # an active exception") after the clean error line.
        stop.set()
        worker.join(timeout=30)


@dataclass
class TemporalInputs:
    warped: np.ndarray  # (K, H, W, 3) float32: stylised t-j warped into t, zeros where unused
    weights: np.ndarray  # (K, H, W, 1) float32: long-term-reduced c_j
    init: np.ndarray  # (H, W, 3) float32 starting image


def temporal_inputs(
    frame: SourceFrame,
    history: dict[int, np.ndarray],
    offsets: Sequence[int],
    init_mode: str,
    chained: bool = False,
) -> TemporalInputs:
    """Warp earlier stylised frames along the flows and build the temporal targets and the start.

    history maps output position -> stylised RGB uint8 (the saved 8-bit frames, so a resumed run
    chains exactly like an uninterrupted one). Long-term weights: c_j' = max(c_j - Σ_{k<j} c_k, 0),
    nearest first (METHOD.md 2). `chained`: frame t-1 is in the same batch window and coupled
    through the differentiable warp instead, so offset 1 only counts towards the reduction.
    """
    h, w = frame.content.shape[:2]
    content = frame.content.astype(np.float32)
    warped = np.zeros((len(offsets), h, w, 3), np.float32)
    weights = np.zeros((len(offsets), h, w, 1), np.float32)
    covered = np.zeros((h, w), np.float32)
    for i, j in enumerate(sorted(offsets)):
        pair = frame.pairs.get(j)
        earlier = history.get(frame.position - j)
        if pair is not None and j == 1 and chained:
            covered += pair.weights
            continue
        if pair is None or earlier is None:
            continue
        warped[i] = warp(earlier, pair.flow_bwd)
        weights[i, ..., 0] = np.maximum(pair.weights - covered, 0.0)
        covered += pair.weights
    init = content
    if not frame.cut and 1 in frame.pairs and frame.position - 1 in history:
        init = start_image(init_mode, frame.pairs[1], history[frame.position - 1], content,
                           warped=warped[sorted(offsets).index(1)])
    return TemporalInputs(warped, weights, init)


def start_image(init_mode: str, pair: FlowPair, previous: np.ndarray, content: np.ndarray,
                warped: np.ndarray | None = None) -> np.ndarray:
    """Where a frame starts, given the previous frame's result (`warped`: it already moved along
    the pair's flow): moved along the flow (prev-warped), as it is (prev), or the content."""
    if init_mode == "prev-warped":
        moved = warp(previous, pair.flow_bwd) if warped is None else warped
        m = pair.start_weights()  # disoccluded pixels start from the content, not smeared pixels
        return m * moved + (1.0 - m) * content
    if init_mode == "prev":
        return previous.astype(np.float32)
    return content
