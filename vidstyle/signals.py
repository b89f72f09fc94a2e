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
    """Note SIGINT and SIGTERM during the block and raise KeyboardInterrupt after it, not inside.

    For the backend's import: a KeyboardInterrupt raised inside it was swallowed by JAX's
    garbage-collection callback (the run went on), or left TensorFlow half imported (the process
    aborted). Handlers, not a signal mask: a mask holds back only the main thread's signals, and
    the kernel hands a process's signal to any thread that does not block it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    watched = [s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) is not signal.SIG_IGN]
    previous = {s: signal.signal(s, lambda signum, frame: noted.append(signum)) for s in watched}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
    if noted:
        raise KeyboardInterrupt
