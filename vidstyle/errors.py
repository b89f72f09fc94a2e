"""The project's exception hierarchy: each maps to one `error: ...` line and an exit code."""

from __future__ import annotations


class VidstyleError(Exception):
    """Base of the errors the CLI turns into one `error: ...` line (a stop is Interrupted, below)."""

    exit_code = 1


class UsageError(VidstyleError):
    """A bad option value, rejected before any work (exit 2)."""

    exit_code = 2


class InputError(VidstyleError):
    """An input (content, style, video, frame folder) is missing or unreadable."""


class IncompleteInputError(VidstyleError):
    """Some frames could not be decoded; those that could were processed (exit 3)."""

    exit_code = 3


class OutputError(VidstyleError):
    """The output cannot be written, or exists and may not be overwritten."""


class WeightsError(VidstyleError):
    """The network weights cannot be had."""


class OptimizationError(VidstyleError):
    """The optimisation diverged (non-finite loss) and could not be recovered."""


class OutOfMemory(VidstyleError):
    """The requested size or batch does not fit on the device."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a video run: finished frames are kept and the run can be resumed
    (exit 130). A KeyboardInterrupt, not a VidstyleError, so that a program's `except Exception`
    around each video of a batch does not swallow the stop and go on to the next."""
