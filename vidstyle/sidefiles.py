"""Checks, before any work, of the files a run writes beside its output: preview, report, plot.

Each fails only after minutes or hours of optimisation when its path is bad, and a careless path
could overwrite the input or a style image; so they are refused up front like the output itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import OutputError, UsageError
from .images import IMAGE_SUFFIXES

# What matplotlib's Agg canvas writes (FigureCanvasAgg.get_supported_filetypes), without importing it.
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".svgz", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".eps", ".ps")


def check_side_files(files: Mapping[str, str | os.PathLike | None], protected: Iterable[str | os.PathLike],
                     folders: Iterable[str | os.PathLike] = ()) -> None:
    """`files` maps an option (--preview, --report, --plot) to its path or None; `protected` are
    the input, the style images and the output, which none of them may be; nor may they go into
    `folders`: the input folder of frames (they would be frames of the next run), a folder of
    output frames or a work folder (they would overwrite the run's frames or manifest)."""
    taken = {_key(p): str(p) for p in protected}
    kept = {_key(f): str(f) for f in folders}
    suffixes = {"--preview": IMAGE_SUFFIXES, "--plot": PLOT_SUFFIXES}
    for option, value in files.items():
        if value is None or value == "":
            continue
        path = Path(value)
        allowed = suffixes.get(option)
        if allowed and path.suffix.lower() not in allowed:
            raise UsageError(f"{option} {path}: expected a suffix of {', '.join(allowed)}")
        if _key(path) in taken:
            raise OutputError(f"{option} {path}: is {taken[_key(path)]}, which this run reads or writes; "
                              "choose another path")
        if path.is_dir():
            raise OutputError(f"{option} {path}: is a folder; give a file name")
        if path.exists() and not path.is_file():  # /dev/null: renaming a temporary file over it replaces it
            raise OutputError(f"{option} {path}: is not a regular file")
        if _key(path.resolve().parent) in kept:
            raise OutputError(f"{option} {path}: is inside {kept[_key(path.resolve().parent)]}, which this run "
                              "reads or writes frames in; choose another folder")
        check_parent(path, f"{option} {path}")
        taken[_key(path)] = f"the {option} file"


def check_parent(path: Path, label: str, target: Path | None = None) -> None:
    """The folder `path` goes in exists and takes files (`target`, when given, is the folder that
    must be writable instead, e.g. an existing output folder); `label` starts the error line."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise OutputError(f"{label}: {folder} {'is not a folder' if folder.exists() else 'does not exist'}")
    target = target or folder
    if not os.access(target, os.W_OK):  # also false on a read-only file system, even for root
        raise OutputError(f"{label}: folder {target} is not writable")


def _key(path: str | os.PathLike) -> str:
    return os.path.normcase(str(Path(path).resolve()))
