"""The work folder of a video run: finished frames, the manifest of settings, and the lock.

Each finished frame is written atomically (temporary file + rename), so after a crash or
``kill -9`` every frame_NNNNNN.png present is whole; the lock is an flock (on Windows, a lock on
the lock file's first byte), which the system releases when the process dies, so no stale lock
can block the next run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from .errors import InputError, OutputError, UsageError
from .images import read_image, write_bytes_atomic, write_image

log = logging.getLogger(__name__)

MANIFEST = "vidstyle-manifest.json"
ENTRIES = "vidstyle-frames.jsonl"  # the finished frames' report entries, a JSON line each
LOCK = ".vidstyle.lock"

if sys.platform == "win32":  # untested there: no Windows machine to run the tests on
    import msvcrt

    _LOCKED_BYTE = 1 << 30  # past the pid, which another run reads to name the holder (a lock may lie past the end)

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _LOCKED_BYTE, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


# Settings outside the option groups, as a user would name them.
_LABELS = {"input": "the input", "input_frames": "the input's frame count", "input_digest": "the input's content",
           "styles": "the style images",
           "size": "the working size", "range": "--start/--end/--every"}


def changes(old: dict, new: dict) -> list[str]:
    """Each setting that differs, as '--style-weight 0.01 -> 0.5' (the option groups flattened)."""
    def flat(settings: dict) -> dict:
        out = {}
        for key, value in settings.items():
            if isinstance(value, dict):  # style_options, video_options: keys are option names
                out.update({"--" + k.replace("_", "-"): v for k, v in value.items()})
            else:
                out[_LABELS.get(key, key)] = value
        return out

    def show(value) -> str:
        return ",".join(map(str, value)) if isinstance(value, list) else str(value)

    before, after = flat(old), flat(new)
    return [f"{name} {show(before.get(name))} -> {show(after.get(name))}" if name.startswith("--") else name
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]


def same_settings(old: dict, new: dict) -> bool:
    """Equal, except for settings the older run's version did not record (added since), at any
    depth: a new option in style_options does not block resuming an older run either."""
    def known(new_part: dict, old_part: dict) -> dict:
        return {k: known(v, old_part[k]) if isinstance(v, dict) and isinstance(old_part[k], dict) else v
                for k, v in new_part.items() if k in old_part}

    return known(new, old) == old


def new_manifest(settings: dict, names: list[str] | None, **state: object) -> dict:
    """A manifest (version 1): the settings a resumed run must match, the run's state, and the
    output frames' names (None: numbered)."""
    return {"version": 1, "settings": settings, "state": state, "names": names}


def frame_name(index: int) -> str:
    """The file name of frame `index` in a numbered PNG folder: frame_000001.png."""
    if index < 0:
        raise ValueError(f"frame index must be >= 0, got {index}")
    return f"frame_{index:06d}.png"


def plain_names(value: object) -> list[str] | None:
    """Frame names from a manifest, if they are plain file names (a hand-edited '../x.png' is not
    followed out of the folder); else None, numbered frames."""
    if not isinstance(value, list):
        return None
    plain = all(isinstance(n, str) and n.endswith(".png") and Path(n).name == n and not n.startswith(".")
                for n in value)
    return value if plain else None


class WorkDir:
    """A folder of finished frames: numbered frame_NNNNNN.png, or `names[position]` (a folder of
    images out to a folder keeps their names)."""

    def __init__(self, folder: Path, names: list[str] | None = None):
        self.folder = folder
        self.names = names
        self._lock_fd: int | None = None

    # --- lock ------------------------------------------------------------------------------------

    def lock(self) -> None:
        """Take the run's lock, or fail at once if another live run holds it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"{self.folder}: cannot create the work folder ({exc.strerror})") from None
        if not _try_lock(fd):
            try:
                holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            except OSError:  # Windows: the holder's locked byte cannot be read
                holder = "?"
            os.close(fd)
            raise OutputError(f"{self.folder}: another vidstyle run (pid {holder}) is writing this output") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    # --- manifest --------------------------------------------------------------------------------

    def read_manifest(self) -> dict | None:
        path = self.folder / MANIFEST
        if not path.exists():
            return None
        try:
            manifest = json.loads(path.read_text())
        except (OSError, ValueError):
            manifest = None
        # Valid JSON of another shape (hand-edited, another program's) is as unreadable: resuming
        # frames whose settings cannot be compared could mix two runs.
        if not (isinstance(manifest, dict) and isinstance(manifest.get("settings"), dict)
                and isinstance(manifest.get("state"), dict)):
            log.warning("%s: unreadable manifest, starting afresh", path)
            return None
        return manifest

    def write_manifest(self, manifest: dict) -> None:
        write_bytes_atomic(self.folder / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())

    def prepare(self, settings: dict, restart: bool) -> dict:
        """Check the settings against an interrupted run's; return the manifest to continue with."""
        old = self.read_manifest()
        if old is not None and old.get("state", {}).get("complete"):
            old = None  # a finished run being replaced (the caller checked --overwrite)
        if old is not None and restart:
            old = None  # --restart discards an interrupted run, with the same settings too
        if old is not None and not same_settings(old.get("settings", {}), settings):
            # Counted under the old run's names (another input's, or numbered by an older version).
            if WorkDir(self.folder, plain_names(old.get("names"))).finished() > 0:  # none: nothing lost
                raise UsageError(
                    f"{self.folder} holds an interrupted run with other settings "
                    f"({'; '.join(changes(old.get('settings', {}), settings))}); "
                    "run it with the same options to resume, or pass --restart to start over"
                )
            old = None
        if old is None:
            self.clear()
            old = new_manifest(settings, self.names)
            self.write_manifest(old)
        else:  # resumed: named as its frames were (a run by a version without names: numbered)
            self.names = plain_names(old.get("names"))
        for stale in self.folder.glob(".*.tmp"):  # half-written files of a killed run
            stale.unlink(missing_ok=True)
        return old

    # --- frames ----------------------------------------------------------------------------------

    def frame_path(self, position: int) -> Path:
        return self.folder / (self.names[position] if self.names else frame_name(position))

    def finished(self) -> int:
        """Number of leading frames that are present and readable (a resumed run starts there)."""
        count = 0
        while (self.names is None or count < len(self.names)) and self.frame_path(count).exists():
            count += 1
        if count:
            try:  # the last one is the one a crash could have hit; atomic writes make it whole
                self.load(count - 1)
            except InputError:
                log.warning("%s is unreadable: it will be redone", self.frame_path(count - 1))
                self.frame_path(count - 1).unlink()
                count -= 1
        return count

    def save(self, position: int, frame_rgb: np.ndarray) -> None:
        write_image(self.frame_path(position), frame_rgb)

    def load(self, position: int) -> np.ndarray:
        return read_image(self.frame_path(position))

    # --- report entries --------------------------------------------------------------------------

    def append_entry(self, entry: dict) -> None:
        path = self.folder / ENTRIES
        try:
            with open(path, "a") as fh:
                fh.write(json.dumps(entry) + "\n")
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from None

    def load_entries(self, done: int) -> list[dict]:
        """Report entries of the frames before `done`, finished by an interrupted run; the file is
        rewritten with just those (a torn last line, or a later frame's, is dropped)."""
        path = self.folder / ENTRIES
        if not path.exists():
            return []
        entries: dict[int, dict] = {}
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            index = entry.get("index") if isinstance(entry, dict) else None
            if isinstance(index, int) and 0 <= index < done:
                entries[index] = entry
        kept = [entries[k] for k in sorted(entries)]
        write_bytes_atomic(path, "".join(json.dumps(e) + "\n" for e in kept).encode())
        return kept

    def replaceable(self, manifest: dict | None) -> list[Path]:
        """The frames a run here may replace, given the folder's manifest: this run's names or
        numbered frames, and the frames the manifest recorded for an earlier run. Numbered frames
        beside a run that names its frames, with no numbered run's manifest, are a user's."""
        recorded = plain_names(manifest.get("names")) if manifest else None
        numbered = self.names is None or (manifest is not None and recorded is None)
        frames = sorted(self.folder.glob("frame_*.png")) if numbered and self.folder.is_dir() else []
        named = sorted({*(self.names or []), *(recorded or [])})
        return [*frames, *(self.folder / n for n in named if (self.folder / n).exists())]

    def clear(self) -> None:
        """Remove our frames and manifest (not other files a user keeps in the folder)."""
        for path in self.replaceable(self.read_manifest() if (self.folder / MANIFEST).exists() else None):
            path.unlink(missing_ok=True)
        (self.folder / MANIFEST).unlink(missing_ok=True)

    def remove(self) -> None:
        self.unlock()
        shutil.rmtree(self.folder, ignore_errors=True)
