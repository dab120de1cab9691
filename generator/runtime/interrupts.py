"""Stop signals as exceptions, held back while work must not be cut in half.

Python turns only SIGINT into an exception; SIGTERM (what `kill`, service
managers and CI runners send) and SIGHUP would end the process at once,
leaving staging folders and a notebook kernel behind. Here all three unwind
like Ctrl-C, through every ``finally:``, but never from inside an import,
which it would leave half done: there it waits until the import has
finished (or until the next progress line, whichever comes first). Inside ``held()`` a signal waits
until the block ends; after ``hold_until_exit()`` (publication has begun) it
waits until the command is done, and the CLI reports it then.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any

from ..core.errors import Interrupted

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
IMPORT_POLL_S = 0.005


class _State:
    depth = 0
    until_exit = False
    received: list[int] = []
    deferred: int | None = None  # received during an import (or swallowed), raised once it is done
    delivering = False  # a thread is sending the deferred signal again
    previous_hook: Any = sys.unraisablehook


_DELIVERY = threading.Lock()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _State.depth or _State.until_exit:
        _State.received.append(signum)
        _State.deferred = None  # a deferred signal sent again lands here: held now, it is raised when the block ends
        return
    if _importing(frame):
        # An exception raised inside an import leaves the module half made (numpy then recurses without end
        # on its next attribute): the signal waits until the import is done.
        _defer(signum)
        return
    _State.deferred = None
    raise Interrupted(signum)


def _defer(signum: int) -> None:
    """Send the signal again once the main thread is out of every import; one delivering thread at a time."""
    with _DELIVERY:
        _State.deferred = signum
        if _State.delivering:
            return
        _State.delivering = True
    threading.Thread(target=_deliver_after_imports, args=(threading.main_thread().ident,),
                     name="deferred-signal", daemon=True).start()


def _swallowed(unraisable: Any) -> None:
    """sys.unraisablehook: a stop signal raised where Python ignores exceptions (a weakref callback, a __del__
    that the collector ran) would be lost (a SIGTERM landing in WeakKeyDictionary's callback left a build waiting
    for MkDocs for good): it is sent again. Anything else goes to the hook that was there."""
    if isinstance(unraisable.exc_value, Interrupted):
        _defer(unraisable.exc_value.signum)
        return
    _State.previous_hook(unraisable)


def _importing(frame: FrameType | None) -> bool:
    """Inside an import, or inside the hook that is deferring a swallowed signal (raised there, it is lost again)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap") or frame.f_code is _swallowed.__code__:
            return True
        frame = frame.f_back
    return False


def _deliver_after_imports(main: int | None) -> None:
    """Send the deferred signal again whenever the main thread is out of every import, until it has been taken.

    Sent once and left, it was lost when the main thread had entered the next import by the time the handler ran
    (the handler defers it again, and a deferral already under way starts no thread): a SIGTERM sent just after
    "site: mkdocs" (two imports in a row) left the build waiting for MkDocs for good."""
    while True:
        with _DELIVERY:
            signum = _State.deferred
            frame = sys._current_frames().get(main) if main is not None else None
            if signum is None or frame is None:
                _State.delivering = False
                return
        if not _importing(frame):
            os.kill(os.getpid(), signum)
        time.sleep(IMPORT_POLL_S)


def deliver_deferred() -> None:
    """A stop signal deferred during an import takes effect here at the latest: nothing is reported after it."""
    signum = _State.deferred
    if signum is not None and not _State.depth and not _State.until_exit:
        _State.deferred = None
        raise Interrupted(signum)


def _reset() -> None:
    _State.depth, _State.until_exit, _State.received, _State.deferred = 0, False, [], None


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
    _State.previous_hook, sys.unraisablehook = sys.unraisablehook, _swallowed
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = _State.previous_hook
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
