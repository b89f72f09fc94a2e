"""Signals: SIGINT and SIGTERM stop a run once, cleanly, and never inside library imports."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator

STOPS = (signal.SIGINT, signal.SIGTERM)
_stopping = False  # a stop was raised (the run is cleaning up), or the handlers are changing
_held: dict[int, object] | None = None  # what stop_once replaced, while it holds the handlers
_deferring = False  # inside a compiled step (see deferred): a stop is noted, not raised
_pending = False  # a stop noted inside a compiled step, raised as it ends


def _stop(signum: int, frame: object) -> None:  # noqa: ARG001
    """Raise KeyboardInterrupt once; the stops that follow are ignored, as the run is already
    stopping (a second Ctrl-C inside its clean-up broke it with a traceback). A flag, not SIG_IGN:
    a signal already on its way when the handler changes makes Python print a warning."""
    global _stopping, _pending
    if _stopping:
        return
    _stopping = True
    if _deferring:
        _pending = True  # raised as the compiled step ends
        return
    raise KeyboardInterrupt


def stop_once() -> Callable[[], object]:
    """Make SIGTERM, and Ctrl-C where it has Python's usual handler, stop the run once (a
    KeyboardInterrupt: frames kept, exit 130); returns what gives the handlers back. Where an
    outer call holds them (the command, around the pipeline's own call), this does nothing, so
    that an inner give-back cannot re-arm them while the outer run is stopping.

    The steps are ordered for a Ctrl-C that lands among them (a held key): Ctrl-C's handler is
    replaced first, as the only one that raises; the flag ignores a signal until all are in place."""
    global _stopping, _held
    if threading.current_thread() is not threading.main_thread() or _held is not None:
        return lambda: None  # signals are not ours to set, or an outer call holds them
    _stopping = True
    replaced: dict[int, object] = {}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not SIG_IGN (a background job)
        replaced[signal.SIGINT] = signal.signal(signal.SIGINT, _stop)
    replaced[signal.SIGTERM] = signal.signal(signal.SIGTERM, _stop)
    _held = replaced
    _stopping = False
    return _give_back


def _give_back() -> None:
    """The handlers stop_once replaced, back; Ctrl-C's last, as the only one that raises (if it
    raises here, the flag stays set, which does nothing once the handlers are given back)."""
    global _stopping, _held
    _stopping = True
    replaced, _held = _held, None
    _restore({s: replaced[s] for s in (signal.SIGTERM, signal.SIGINT) if replaced and s in replaced})  # in order
    _stopping = False


def raise_if_stopped() -> None:
    """Raise the stop again where it was swallowed, once per iteration: Python ignores an
    exception raised inside a garbage-collector callback (JAX keeps one under KERAS_BACKEND=jax),
    and the run would go on, deaf to the stops that the flag then ignores. Only for the run that
    holds the handlers: a run in another thread is not the one stopped."""
    if _stopping and _held is not None and threading.current_thread() is threading.main_thread():
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A stop during the block is raised after it, not inside, where stop_once holds the
    handlers (the command, a video run). For the compiled steps: a KeyboardInterrupt raised inside
    TensorFlow's tracing can leave the interpreter broken (an audit saw `SystemError:
    Objects/listobject.c:338` once in 19 held Ctrl-Cs). The wait is one step, or the step's first
    trace; a native step is not interrupted by a signal anyway."""
    global _deferring, _pending
    if _deferring or threading.current_thread() is not threading.main_thread():
        yield  # nested, or not the thread that the handlers run in
        return
    _deferring = True
    try:
        yield
    finally:
        _deferring = False
        stopped, _pending = _pending, False
        if stopped:  # also over an error the step raised meanwhile: the stop came first
            raise KeyboardInterrupt


def after_ctrl_c() -> str:
    """What goes before a stop's `error:` line: on a terminal, which echoed the Ctrl-C as "^C"
    where the cursor was, a carriage return ("^Cerror: interrupted" otherwise)."""
    return "\r" if sys.stderr.isatty() else ""


def ignore_stops() -> None:
    """From now on the stops are ignored (where stop_once set them): the command's work is over.
    SIG_IGN as well as the flag, as the interpreter's teardown resets Python's handlers to the
    default (killed by the signal); signal.signal runs the handler for a signal on its way first."""
    global _stopping
    _stopping = True
    for s in STOPS:
        if signal.getsignal(s) is _stop:
            signal.signal(s, signal.SIG_IGN)


def _restore(handlers: dict) -> None:
    for s, handler in handlers.items():
        # None: the handler was not set from Python; the default is the nearest we can give back.
        signal.signal(s, signal.SIG_DFL if handler is None else handler)


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
    watched = [s for s in STOPS if signal.getsignal(s) is not signal.SIG_IGN]
    previous = {s: signal.signal(s, lambda signum, frame: noted.append(signum)) for s in watched}
    try:
        yield
    finally:
        _restore(previous)
    if noted:  # one stop, whichever came first, through the handler the block held back
        if signal.getsignal(noted[0]) is _stop:
            _stop(noted[0], None)  # raises, unless the run is already stopping
            return
        raise KeyboardInterrupt
