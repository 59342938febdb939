"""Step boundaries and signals of a commit: where the tests kill a run, when signals wait.

:func:`step` marks each step boundary of the writer (:mod:`synthbank.io.staging` and
:mod:`synthbank.io.recovery`). :data:`KILL_ENV` makes a run ``kill -9`` itself (or send
:data:`KILL_SIGNAL_ENV`) at boundary ``k``, for the tests that prove at every boundary that
outputs are old or new, never half-written; :data:`TRACE_ENV` names the boundaries.

While a transaction is open, SIGTERM unwinds like Ctrl-C (:func:`_sigterm_unwinds`); while
a commit renames, SIGINT and SIGTERM wait until it is over (:func:`_signals_deferred`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from synthbank.errors import Terminated

#: ``SYNTHBANK_KILL_AT_STEP=k``: SIGKILL this process at the k-th step boundary (tests).
KILL_ENV = "SYNTHBANK_KILL_AT_STEP"
#: ``SYNTHBANK_KILL_SIGNAL=SIGTERM`` (or SIGINT): send that signal instead of SIGKILL.
KILL_SIGNAL_ENV = "SYNTHBANK_KILL_SIGNAL"
#: ``SYNTHBANK_TRACE_STEPS=1``: name each step boundary on stderr (tests, debugging).
TRACE_ENV = "SYNTHBANK_TRACE_STEPS"

_steps = 0


def step(name: str) -> None:
    """Mark a step boundary (see :data:`KILL_ENV`)."""
    global _steps
    _steps += 1
    if os.environ.get(TRACE_ENV):
        print(f"synthbank: step {_steps}: {name}", file=sys.stderr, flush=True)
    if os.environ.get(KILL_ENV, "") == str(_steps):
        os.kill(os.getpid(), signal.Signals[os.environ.get(KILL_SIGNAL_ENV, "SIGKILL")])


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then act on the first one.

    Done with Python-level handlers, not a thread signal mask: CPython runs every handler
    in the main thread, whichever thread the kernel delivered the signal to.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: pending.append(signum)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pending:
            handler = previous[signal.Signals(pending[0])]
            if callable(handler):
                handler(pending[0], None)  # Ctrl-C's KeyboardInterrupt, or our Terminated
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), pending[0])


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into :class:`~synthbank.errors.Terminated` while writing, so staged
    outputs and workers are cleaned up as after Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
