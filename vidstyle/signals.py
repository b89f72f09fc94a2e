"""Signals: SIGTERM stops a run as Ctrl-C does, and neither may land inside library imports."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator


def sigterm_as_interrupt() -> Callable[[], object]:
    """Make SIGTERM raise KeyboardInterrupt (frames kept, exit 130); returns what undoes it."""
    def handler(signum: int, frame: object) -> None:  # noqa: ARG001
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: signals are not ours to set
        return lambda: None
    # None: the previous handler was not set from Python; the default is the nearest we can give back.
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then deliver them.

    For the backend's import: JAX's garbage-collection callback swallows a KeyboardInterrupt
    raised inside it, and the run went on as if Ctrl-C had not been pressed."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
