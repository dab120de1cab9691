"""Stop signals as exceptions, held back while work must not be cut in half.

Python turns only SIGINT into an exception; SIGTERM (what `kill`, service
managers and CI runners send) and SIGHUP would end the process at once,
leaving staging folders and a notebook kernel behind. Here all three unwind
like Ctrl-C, through every ``finally:``. Inside ``held()`` a signal waits
until the block ends; after ``hold_until_exit()`` (publication has begun) it
waits until the command is done, and the CLI reports it then.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType

from .errors import Interrupted

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _State:
    depth = 0
    until_exit = False
    received: list[int] = []


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _State.depth or _State.until_exit:
        _State.received.append(signum)
        return
    raise Interrupted(signum)


def _reset() -> None:
    _State.depth, _State.until_exit, _State.received = 0, False, []


@contextmanager
def installed() -> Iterator[None]:
    """Our handlers for one command; a signal the caller ignores (nohup, a background job) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _reset()
    previous = {
        signum: signal.signal(signum, _on_signal)
        for signum in STOP_SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _reset()


class held:
    """A block that always completes: a stop signal received inside it is raised when it ends."""

    def __enter__(self) -> None:
        _State.depth += 1

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        _State.depth -= 1
        if _State.depth or _State.until_exit or not _State.received:
            return
        signum = _State.received[0]
        _State.received = []
        if exc_type is None:
            raise Interrupted(signum)


def hold_until_exit() -> None:
    """Publication has begun: it completes, and the signal is reported when the command ends."""
    _State.until_exit = True


def pending() -> int | None:
    """The first stop signal held until exit, if any."""
    return _State.received[0] if _State.received else None
