"""Work in a forked process beside the caller's own, on the machine's other core.

A fork shares what the caller has imported (torch, matplotlib) and computed
(tensors, facts), so the work starts at once and copies nothing in; only
its result comes back, through a pipe. Figures are drawn this way in the
build and in the check. The process never outlives the block that started
it, and dies with its parent after a kill -9.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import TypeVar

from ..core.errors import SiteBuildError, one_line
from . import interrupts
from .lifeline import die_with_parent

T = TypeVar("T")


@contextmanager
def started(work: Callable[[], T], what: str) -> Iterator[Callable[[], T]]:
    """``work()`` in a forked process; the block gets a call that waits for its result (or raises its error).

    The call may be made more than once: each gets the one result.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_run, args=(work, sender, os.getpid()))  # not a daemon: it may fork too
    process.start()
    sender.close()

    received: list[tuple[bool, T]] = []

    def result() -> T:
        if not received:  # the first call waits; later ones get the same answer
            try:
                received.append(receiver.recv())
            except EOFError:
                raise SiteBuildError(f"{what} ended without a result (exit {process.exitcode}); run the command again"
                                     ) from None
        succeeded, value = received[0]
        if not succeeded:
            raise value  # type: ignore[misc]
        return value

    try:
        yield result
    finally:
        with interrupts.held():
            if process.is_alive():
                process.kill()
            process.join()
            receiver.close()


def _run(work: Callable[[], object], sender: Connection, parent: int) -> None:
    """The forked side: the result, or the error, goes back through the pipe."""
    die_with_parent(parent)
    for signum in interrupts.STOP_SIGNALS:  # the parent handles stop signals, then ends this process
        signal.signal(signum, signal.SIG_DFL)
    try:
        message: tuple[bool, object] = (True, work())
    except Exception as error:  # handed to the parent, which raises it
        message = (False, error)
        try:
            pickle.dumps(error)
        except Exception:
            message = (False, SiteBuildError(one_line(error)))
    sender.send(message)
    sender.close()
