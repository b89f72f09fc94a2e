"""JAX's on-disk cache of compiled steps, as the command keeps it (docs/BENCHMARKS.md).

Each image or window size compiles its steps afresh under JAX (10-20 s a shape on the H200), so the
command keeps them for the next run. The library leaves JAX's settings to the program.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import warnings
from collections.abc import MutableMapping
from pathlib import Path

log = logging.getLogger(__name__)

CACHE_LIMIT = 1 << 30  # bytes of compiled steps kept; the oldest go first beyond it


def keep_compiled_steps(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Point JAX's cache at $XDG_CACHE_HOME/vidstyle/jax (an absolute one, as the XDG spec asks),
    else ~/.cache/vidstyle/jax, held to CACHE_LIMIT and mended (below). A JAX_COMPILATION_CACHE_DIR
    already set wins (empty: no cache) and is neither pruned nor mended, as other programs may share it;
    no home or a folder that cannot be written means no cache. Must run before JAX is imported."""
    # JAX keeps only compilations over 1 s by default; the loss terms and the start's small steps
    # take 0.3-1 s each on a CPU and add up.
    environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")
    global _mended
    _mended = None
    if "JAX_COMPILATION_CACHE_DIR" in environ:
        given = environ["JAX_COMPILATION_CACHE_DIR"]
        return Path(given) if given else None
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = environ.get("HOME") or os.path.expanduser("~")
        if not os.path.isabs(home):  # no HOME and no passwd entry (a container's bare uid)
            log.debug("no compilation cache: no home folder")
            return None
        base = os.path.join(home, ".cache")
    folder = Path(base) / "vidstyle" / "jax"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.debug("no compilation cache: %s", exc)
        return None
    if not os.access(folder, os.W_OK | os.X_OK):
        log.debug("no compilation cache: %s is not writable", folder)
        return None
    environ["JAX_COMPILATION_CACHE_DIR"] = str(folder)
    prune(folder, CACHE_LIMIT)
    if not _hooked:
        _mend_damaged_entries()
    _mended = folder
    return folder


_mended: Path | None = None  # the folder whose damaged entries the warning hook removes
_hooked = False
_DAMAGED = re.compile(r"Error reading persistent compilation cache entry for '([^']+)'")


def _mend_damaged_entries() -> None:
    """JAX writes an entry in place and never replaces one, so an entry cut short (a full disk, a
    kill) made every later run warn and compile again. Its warning now removes it, silently, with
    its function's other shapes (the warning names the function), and the compilation that
    follows writes it afresh. Installed once; other warnings are shown as before."""
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        found = _DAMAGED.match(str(message))
        if found is None or _mended is None:
            return shown(message, category, filename, lineno, file, line)
        log.debug("%s", message)
        for path in _mended.glob(f"{glob.escape(found.group(1))}-*"):
            path.unlink(missing_ok=True)

    global _hooked
    warnings.showwarning, _hooked = show, True
    # Shown always, so the hook sees each one even where warnings are ignored (PYTHONWARNINGS).
    warnings.filterwarnings("always", message=_DAMAGED.pattern)


def prune(folder: Path, limit: int) -> None:
    """Remove the oldest files until the folder holds at most `limit` bytes. (JAX's own limit,
    JAX_COMPILATION_CACHE_MAX_SIZE, needs the filelock package, which vidstyle does not need.)"""
    try:
        files = sorted((f.stat().st_mtime, f.stat().st_size, f) for f in folder.iterdir() if f.is_file())
    except OSError:
        return
    total = sum(size for _, size, _ in files)
    for _, size, path in files:
        if total <= limit:
            break
        path.unlink(missing_ok=True)
        total -= size
