"""Helper processes (MkDocs, the notebook kernel) die with the build that started them.

A kill -9 of the build runs no cleanup, so each helper arms the kernel's
parent-death signal for itself as its first act: Linux then kills it when
the thread that started it ends. Elsewhere nothing is armed, and the
build's process group (MkDocs) or ipykernel's parent poller (the kernel)
stop them instead.
"""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15


def die_with_parent(parent: int) -> None:
    """Be killed when parent goes; exit at once if it went before this could be armed."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except AttributeError:
        return
    if os.getppid() != parent:
        os._exit(1)


def named(name: str) -> None:
    """This process's name as ps and top show it (Linux: at most 15 bytes); elsewhere nothing changes."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, name.encode("ascii")[:15])
    except AttributeError:
        return
