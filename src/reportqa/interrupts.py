"""Interrupts: a Ctrl-C at any moment ends a command with the one line, ``error: interrupted``, exit 130.

The command line's modules take a third of a second to import (typer, rich, pydantic, numpy); a Ctrl-C
then printed the traceback of whichever import it fell in. So the entry point (``command.py``) installs
``quiet_interrupts`` before anything heavy — this module imports nothing that is — and until a command's
own code runs an interrupt ends the process at once with the line. While a command runs,
``interruptible`` hands the interrupt back to Python (a ``KeyboardInterrupt``, so that a build stops its
parse workers and leaves the served index as it was; ``faults.fault_of`` gives the same line), and
takes it again after.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_INTERRUPTED = 130  # faults.ExitCode.INTERRUPTED (not imported: this module must import nothing heavy)
INTERRUPTED_LINE = b"error: interrupted\n"


def _end(signum: int, frame: FrameType | None) -> None:
    """End the process now, with the line (what a command holds open is the kernel's to close)."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os.write(2, INTERRUPTED_LINE)
    os._exit(EXIT_INTERRUPTED)


def quiet_interrupts() -> None:
    """From now on an interrupt ends the process with the line (main thread only: signals are its)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _end)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """While a command runs: an interrupt is a ``KeyboardInterrupt`` again (when ``quiet_interrupts``
    had taken it; inside a test runner or another program nothing changes)."""
    quiet = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is _end
    if quiet:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if quiet:
            signal.signal(signal.SIGINT, _end)
