"""The `vidstyle` command's entry point, kept free of heavy imports: the stop handlers come first.

Importing the program (NumPy, OpenCV) takes 0.2-0.5 s; a SIGTERM then killed the process with no
message, and a Ctrl-C printed an import traceback (or became NumPy's ImportError, exit 1).
"""

from __future__ import annotations

import sys

from .signals import held, ignore_stops, stop_once


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
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        code = 130
    else:
        code = main()
    ignore_stops()
    sys.exit(code)
