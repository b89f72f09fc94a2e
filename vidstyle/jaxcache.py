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
    else ~/.cache/vidstyle/jax, held to CACHE_LIMIT. A JAX_COMPILATION_CACHE_DIR
    already set wins (empty: no cache) and is not pruned, as other programs may share it; a folder
    that cannot be written means no cache. Must run before JAX is imported."""
    given = environ.get("JAX_COMPILATION_CACHE_DIR")
    if given is not None:
        folder = Path(given) if given else None
    else:
        base = environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):
            base = os.path.join(environ.get("HOME") or str(Path.home()), ".cache")
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
    if folder is None:
        return None
    # JAX keeps only compilations over 1 s by default; the loss terms and the start's small steps
    # take 0.3-1 s each on a CPU and add up.
    environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")
    forget_damaged_entries(folder)
    return folder


def forget_damaged_entries(folder: Path) -> None:
    """JAX writes an entry in place and never replaces one, so an entry cut short (a full disk, a
    kill) made every later run warn and compile again. Its warning now removes the entry, silently,
    and the compilation that follows writes it afresh. Other warnings are shown as before."""
    shown = warnings.showwarning
    damaged = re.compile(r"Error (reading|writing) persistent compilation cache entry for '([^']+)'")

    def show(message, category, filename, lineno, file=None, line=None):
        found = damaged.match(str(message))
        if found is None:
            return shown(message, category, filename, lineno, file, line)
        log.debug("%s", message)
        if found.group(1) == "reading":  # named by its function (all its shapes) or by its key
            for path in folder.glob(f"{glob.escape(found.group(2))}-*"):
                path.unlink(missing_ok=True)

    warnings.showwarning = show
    # Shown always, so the hook sees each one even where warnings are ignored (PYTHONWARNINGS).
    warnings.filterwarnings("always", message=damaged.pattern)


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
