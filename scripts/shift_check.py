#!/usr/bin/env python3
"""How much the content term (block5_conv2) moves when an image moves by half a pixel.

Later video frames start from the previous result warped along the flow; if the network's deep
features change a lot under a sub-pixel shift, every later frame starts far from its optimum
however good the flow is. This stylises frame 0 of samples/clip.mp4 (random weights, α 1e3,
γ 30) and scores, against that frame's content: the result, the result shifted by half a pixel
(bilinear and bicubic), and the content itself shifted the same way.

    python scripts/shift_check.py --weights random
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def shifted(image: np.ndarray, pixels: float, interpolation: int) -> np.ndarray:
    h, w = image.shape[:2]
    map_x, map_y = np.meshgrid(np.arange(w, dtype=np.float32) + pixels, np.arange(h, dtype=np.float32) + pixels)
    out = cv2.remap(image, map_x, map_y, interpolation, borderMode=cv2.BORDER_REPLICATE)
    return np.clip(out, 0, 255)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", default="random")
    p.add_argument("--iterations", type=int, default=300)
    args = p.parse_args(argv)
    import vidstyle
    from vidstyle.api import prepare_styles, run_image
    from vidstyle.config import StyleOptions
    from vidstyle.images import read_image
    from vidstyle.video import iter_frames

    content = next(iter(iter_frames(ROOT / "samples" / "clip.mp4")))[1].astype(np.float32)
    kw = {"weights": args.weights, "content_weight": 1e3, "tv_weight": 30.0, "precision": "float32"}
    options = StyleOptions.from_kwargs(**kw, iterations=args.iterations)
    style = read_image(ROOT / "samples" / "style.png")
    result, _ = run_image(content, style, options)
    result = np.clip(np.rint(result), 0, 255)
    style = prepare_styles([style.astype(np.float32)], (content.shape[1], content.shape[0]), options, None)[0]

    def content_term(image: np.ndarray) -> float:
        return vidstyle.loss_terms(content, image, style, **kw)["content"]

    rows = [("stylised frame 0", content_term(result))]
    for name, interpolation in (("bilinear", cv2.INTER_LINEAR), ("bicubic", cv2.INTER_CUBIC)):
        rows.append((f"stylised, shifted 0.5 px ({name})", content_term(shifted(result, 0.5, interpolation))))
    for name, interpolation in (("bilinear", cv2.INTER_LINEAR), ("bicubic", cv2.INTER_CUBIC)):
        rows.append((f"content, shifted 0.5 px ({name})", content_term(shifted(content, 0.5, interpolation))))
    print(f"| image ({args.weights} weights) | content term | / stylised frame 0 |\n| --- | --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value:.4g} | {value / rows[0][1]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
