"""The `vidstyle` command's entry point, kept free of heavy imports: the stop handlers come first.

Importing the program (NumPy, OpenCV) takes 0.2-0.5 s; a SIGTERM then killed the process with no
message, and a Ctrl-C printed an import traceback (or became NumPy's ImportError, exit 1).
"""

from __future__ import annotations

import os
import sys

from .signals import after_ctrl_c, held, ignore_stops, stop_once


def console() -> None:
    """main(), then exit without being interruptible.

    The work is done and its line printed when main() returns; a Ctrl-C or SIGTERM in the second
    or so of interpreter teardown that follows (TensorFlow's) must not turn a finished (or cleanly
    stopped) run into exit 130, -15 or a teardown traceback. Not done in main(), which programs
    and tests call.
    """
    stop_once()
    try:
        with held():  # noted, and raised after the imports
            from .cli import main
        code = main()  # a stop in its first lines (parsing, the logging's imports) lands here
    except KeyboardInterrupt:
        print(f"{after_ctrl_c()}error: interrupted", file=sys.stderr)
        code = 130
    ignore_stops()
    if code == 130 and _on_jax():
        # Stopped while JAX was compiling or starting its client: the interpreter's teardown then
        # crashed in XLA's threads (exit -11, 5 of 16 stops 1-3 s into a run). Nothing of ours is
        # left to tear down: frames and files are written, and the lock goes with the process.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _on_jax() -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and keras.config.backend() == "jax"
