"""Frame folders: the images of a folder in natural order (frame2 before frame10), and their sizes."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import InputError
from .images import IMAGE_SUFFIXES, read_image


def _natural_key(path: Path) -> tuple:
    """frame2 before frame10: digit runs compare as numbers (split alternates str, int)."""
    parts = re.split(r"(\d+)", path.name.lower())
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), path.name


def _image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the header when Pillow can read it, else by decoding."""
    try:
        from PIL import Image  # installed with imageio; only the header is read

        with Image.open(path) as img:
            return img.size
    except Exception:  # noqa: BLE001 - any failure: fall back to a full decode
        height, width = read_image(path).shape[:2]
        return width, height


def folder_sizes(folder: str | os.PathLike) -> dict[str, tuple[int, int]]:
    """(width, height) of each image of a folder, in natural order, from the headers."""
    return {str(frame): _image_size(frame) for frame in list_frames(folder, one_size=False)}


def list_frames(folder: str | os.PathLike, *, one_size: bool = True) -> list[Path]:
    """The images of a frame folder in natural order; all of one size unless `one_size` is False."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    frames = sorted(
        (p for p in folder.iterdir()
         if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()),
        key=_natural_key,
    )
    if not frames:
        raise InputError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
    size = _image_size(frames[0])
    for frame in frames[1:] if one_size else ():
        other = _image_size(frame)
        if other != size:
            raise InputError(
                f"{frame}: size {other[0]}x{other[1]} differs from {size[0]}x{size[1]} of {frames[0].name} "
                "(a clip's frames share one size; --independent takes images of any size)"
            )
    return frames
