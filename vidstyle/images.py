"""Still images: read any common format as RGB uint8, write atomically, resize."""

from __future__ import annotations

import errno
import glob
import logging
import os
import re
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from .errors import InputError, OutputError

log = logging.getLogger(__name__)

MKSTEMP_PART = r"[a-z0-9_]{8}"  # the random part tempfile.mkstemp puts in a name

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

# OpenCV's decoders warn on stderr about damaged files ("PNG input buffer is incomplete"); we
# raise InputError naming the file instead, so its warnings would only bury the `error:` line.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

_noted: set[tuple[str, str]] = set()


def _note(name: str, what: str) -> None:
    """Log a conversion once per folder: a folder of grayscale frames would say it per frame."""
    key = (os.path.dirname(name), what)
    log.log(logging.DEBUG if key in _noted else logging.INFO, "%s: %s", name, what)
    _noted.add(key)


def three_channels(img: np.ndarray) -> np.ndarray:
    """Float32 on 0-255 with 3 channels in the input's own order (RGB or BGR): 16 bits scaled to
    8, gray repeated, an alpha channel (the last) composited on white, since transparent areas of
    a painting are usually paper. Any other shape is returned as it is, for the caller to refuse."""
    out = img.astype(np.float32) / (257.0 if img.dtype == np.uint16 else 1.0)
    if out.ndim == 2:
        return np.repeat(out[:, :, None], 3, axis=2)
    if out.ndim == 3 and out.shape[2] == 4:
        alpha = out[:, :, 3:] / 255.0
        return out[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
    return out


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An image on the 0-255 scale as uint8, rounded (not truncated) and clipped."""
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def to_rgb8(array: np.ndarray, name: str = "image") -> np.ndarray:
    """Convert a decoded OpenCV array (gray, BGR, BGRA; 8/16-bit/float) to RGB uint8."""
    img = np.asarray(array)
    if img.dtype == np.uint16:
        _note(name, "16-bit image converted to 8 bits")
    elif img.dtype in (np.float32, np.float64):
        _note(name, "float image converted to 8 bits")
        img = np.clip(img * 255.0, 0, 255)  # OpenCV's float images are on [0, 1]
    elif img.dtype != np.uint8:
        raise InputError(f"{name}: unsupported pixel type {img.dtype}")
    if img.ndim == 2:
        _note(name, "grayscale image converted to RGB")
    elif img.ndim == 3 and img.shape[2] == 4:
        _note(name, "alpha channel composited on white")
    bgr = three_channels(img)
    if bgr.ndim != 3 or bgr.shape[2] != 3:
        raise InputError(f"{name}: unsupported image shape {img.shape}")
    return cv2.cvtColor(np.clip(bgr + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_BGR2RGB)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as an H×W×3 RGB uint8 array; InputError if it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected an image file")
    try:
        data = np.fromfile(path, dtype=np.uint8)  # np.fromfile + imdecode copes with unicode paths
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    except cv2.error:  # a malformed file may raise instead of returning None
        img = None
    if img is None or img.size == 0:
        raise InputError(f"{path}: not a readable image")
    return to_rgb8(img, str(path))


def write_image(path: str | os.PathLike, rgb: np.ndarray, quality: int = 95) -> None:
    """Write an RGB uint8 image atomically: a temporary file in the same folder, then rename."""
    path = Path(path)
    suffix = path.suffix.lower() or ".png"
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if suffix in (".jpg", ".jpeg") else []
    ok, encoded = cv2.imencode(suffix, cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise OutputError(f"{path}: cannot encode an image with suffix {suffix!r}")
    write_bytes_atomic(path, encoded.tobytes())


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes to path via a temporary file and os.replace, so readers never see half a file."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException as exc:  # a failed write, or Ctrl-C: no temporary file is left either way
        Path(tmp).unlink(missing_ok=True)  # the old file, if any, is untouched
        if not isinstance(exc, OSError):
            raise
        hint = "; free some space and try again" if exc.errno == errno.ENOSPC else ""
        raise OutputError(f"{path}: write failed ({exc.strerror}){hint}") from None


def remove_stale_temps(path: str | os.PathLike, older_than: float = 60.0) -> None:
    """Delete the temporary files that write_bytes_atomic left for `path` when a kill -9 hit it.

    Only those older than `older_than` seconds: write_bytes_atomic holds one for milliseconds, so an
    older one has no writer, while a younger one may be another run's, writing the same --report."""
    path = Path(path)
    remove_mkstemp_leftovers(path.parent, f".{path.name}.", ".tmp", older_than)


def remove_mkstemp_leftovers(folder: Path, prefix: str, suffix: str, older_than: float = 0.0) -> None:
    """Delete the files tempfile.mkstemp(prefix=, suffix=) made in `folder` and a kill left there,
    matched exactly (another name's, `.a.json.x.XXXXXXXX.tmp` for `.a.json.`, are not), if older
    than `older_than` seconds."""
    ours = re.compile(re.escape(prefix) + MKSTEMP_PART + re.escape(suffix))
    now = time.time()
    for stale in folder.glob(f"{glob.escape(prefix)}*{glob.escape(suffix)}"):
        try:
            if ours.fullmatch(stale.name) and now - stale.stat().st_mtime >= older_than:
                stale.unlink()
        except OSError:
            continue


def current_umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def fit_size(width: int, height: int, longest: int | None) -> tuple[int, int]:
    """(w, h) scaled so that the longest side is `longest` (None keeps the size)."""
    if longest is None:
        return width, height
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize with area averaging when shrinking and Lanczos when enlarging."""
    h, w = rgb.shape[:2]
    if (w, h) == (width, height):
        return rgb
    interp = cv2.INTER_AREA if width * height < w * h else cv2.INTER_LANCZOS4
    return cv2.resize(rgb, (width, height), interpolation=interp)
