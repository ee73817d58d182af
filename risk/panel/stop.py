"""An orderly stop of a long command: SIGTERM and SIGINT become a `Stopped` exception, for the command's duration.

A scheduler, systemd, `timeout` or a container stop sends SIGTERM, whose default action kills the process at once:
no `finally` runs, so the temporary patient buckets stay on disk and the pool's workers run on. Raised as an exception
in the main thread instead, the stop unwinds through the library's try/finally (pool terminated, buckets removed,
no partial output). Handlers are installed only inside `stop_signals()` and restored after it, so that importing
`risk` (the Streamlit app does) never changes a process's signal handling.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from risk.errors import ExitCode

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(BaseException):
    """The command was told to stop by a signal. A BaseException, as KeyboardInterrupt: `except Exception` in the
    library (a patient set aside, a worker's failure) must never swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as shells report a process a signal ended (143 SIGTERM, 130 SIGINT)."""
        return int(ExitCode.TERMINATED if self.signum == signal.SIGTERM else ExitCode.INTERRUPTED)


class _Scope:
    """The stop in progress: the main thread's, as Python runs signal handlers there."""

    active = False  # handlers installed (within stop_signals)
    raised = False  # a stop was raised (or is pending): the following signals are ignored
    held = 0  # depth of `held()` sections
    pending: int | None = None  # a signal received in a held section


def _handler(signum: int, frame: FrameType | None) -> None:
    if _Scope.raised:
        return
    _Scope.raised = True
    if _Scope.held:
        _Scope.pending = signum
        return
    raise Stopped(signum)


@contextmanager
def stop_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise `Stopped` in the main thread within the block; previous handlers restored after.

    Only the first signal raises: a second one (Ctrl-C pressed twice, a scheduler's repeated SIGTERM) must not cut
    the cleanup short and leave patient data behind. Outside the main thread (signal handlers cannot be set
    there) the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread() or _Scope.active:
        yield
        return
    previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS}
    _Scope.active, _Scope.raised, _Scope.pending = True, False, None
    try:
        yield
    finally:
        _Scope.active = False
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)  # None: set outside Python


@contextmanager
def held() -> Iterator[None]:
    """A few steps a stop must not cut in two (a worker process being started: cut, it would die on its missing
    start-up data with a traceback of its own). A stop signalled meanwhile is raised at the end of the section."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _Scope.held += 1
    try:
        yield
    finally:
        _Scope.held -= 1
    if not _Scope.held and _Scope.pending is not None:
        signum, _Scope.pending = _Scope.pending, None
        raise Stopped(signum)
