"""Output formats: each container's codecs, the codecs this ffmpeg has, and --codec/--crf checks.

What planning needs to refuse an output before any frame is optimised; encode.py writes it.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import CRF_MAX, DEFAULT_CRF
from .errors import OutputError, UsageError
from .ffmpeg import run_ffmpeg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Format:
    codec: str
    audio_codec: str | None  # None: the container has no sound
    extra: tuple[str, ...] = ()


# AVI gets MJPEG and PCM sound: H.264 with B-frames and AAC are poorly supported in that container, and
# MP3 put the picture one frame late (its encoder delay shifts both streams, and AVI stamps frames by
# index) and its sound 23 ms late (AVI cannot say the delay).
# GIF: one 256-colour palette made from the whole clip (palettegen), ordered dithering, looping.
_GIF_PALETTE = "split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=3"
FORMATS: dict[str, Format] = {
    ".mp4": Format("libx264", "aac", ("-movflags", "+faststart")),
    ".mov": Format("libx264", "aac", ("-movflags", "+faststart")),
    ".mkv": Format("libx264", "aac"),
    ".avi": Format("mjpeg", "pcm_s16le"),
    ".webm": Format("libvpx-vp9", "libopus"),
    ".gif": Format("gif", None, ("-vf", _GIF_PALETTE, "-loop", "0")),
}


def video_encoders() -> set[str]:
    """The video encoders the bundled ffmpeg has (`ffmpeg -encoders`: flags, then the name)."""
    listing = run_ffmpeg(["-hide_banner", "-encoders"], error=OutputError, timeout=60).stdout.decode(errors="replace")
    table = listing.split("------", 1)[-1].splitlines()
    return {fields[1] for fields in map(str.split, table) if len(fields) > 1 and fields[0].startswith("V")}


def check_codec(codec: str, suffix: str = ".mp4") -> None:
    """Refuse, before any frame is optimised, a --codec this ffmpeg cannot encode video with, or
    cannot put in a `suffix` file (gif or rawvideo in .mp4): a two-frame trial run, as VideoWriter
    would encode, answers the second."""
    encoders = video_encoders()
    if encoders and codec not in encoders:
        known = ", ".join(c for c in ("libx264", "libx265", "libvpx-vp9", "mjpeg", "gif") if c in encoders)
        raise UsageError(f"--codec {codec}: not a video encoder of this ffmpeg (try {known}; "
                         "'ffmpeg -encoders' lists them)")
    extra = FORMATS[suffix].extra if suffix in FORMATS else ()
    with tempfile.TemporaryDirectory(prefix="vidstyle-codec-") as folder:
        trial = Path(folder) / f"trial{suffix}"
        done = run_ffmpeg(["-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=32x32:r=10:d=0.2", "-c:v", codec,
                           *quality_args(codec, DEFAULT_CRF), "-pix_fmt", pix_fmt(codec), *extra, "-y", str(trial)],
                          error=OutputError, timeout=60)
        if done.returncode != 0 or not trial.exists() or trial.stat().st_size == 0:
            first = (done.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[0]  # the cause; the last: "nothing written"
            reason = re.sub(r"^\[[^\]]*\]\s*", "", first)  # without ffmpeg's "[mp4 @ 0x55…]"
            raise UsageError(f"--codec {codec}: ffmpeg cannot write it into a {suffix} file ({reason})")


def check_crf(codec: str, crf: int) -> None:
    """Refuse a --crf beyond the codec's scale (before any frame is optimised, when planning)."""
    if codec in CRF_MAX and not 0 <= crf <= CRF_MAX[codec]:
        raise UsageError(f"--crf: {codec}'s scale is 0..{CRF_MAX[codec]}, got {crf}")


def note_ignored_crf(codec: str, crf: int) -> None:
    """Say that a codec without a scale (mjpeg, gif) ignores a --crf other than the default."""
    if codec not in CRF_MAX and crf != DEFAULT_CRF:
        log.warning("--crf %d is ignored: %s has no constant-quality scale", crf, codec)


def quality_args(codec: str, crf: int) -> list[str]:
    if codec in ("libx264", "libx265"):
        return ["-crf", str(crf)]
    if codec == "mjpeg":
        return ["-q:v", "3"]  # crf has no meaning here; 2-4 is visually lossless
    if codec == "libvpx-vp9":
        return ["-crf", str(crf), "-b:v", "0", "-row-mt", "1"]  # constant quality (VP9's scale is 0-63)
    return []


def pix_fmt(codec: str) -> str:
    """4:2:0 for players' sake; JPEG-based codecs want the full-range variant, GIF a palette."""
    return {"mjpeg": "yuvj420p", "gif": "pal8"}.get(codec, "yuv420p")
