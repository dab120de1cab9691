"""The suite's tiers: a test declares what it needs beyond its own process, and may use nothing else.

``make test-fast`` runs the tests marked none of ``build``, ``process``,
``kernel`` or ``browser`` (registered in pyproject.toml). A test that
starts a process (a subprocess, a fork) fails unless it is marked with one
of them, and a test that runs a build of its own fails unless it is marked
``build``, so the fast tier cannot slow down unnoticed. The shared build
and the check's shared values are made once per run, outside any test's
account (``outside_the_tiers``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from generator.pipeline import site

NEEDS_PROCESSES = ("build", "process", "kernel", "browser")
FAST_TIER = "not (" + " or ".join(NEEDS_PROCESSES) + ")"


class _Allowed:
    processes = True
    builds = True
    test = ""


def _refuse(what: str, marker: str) -> None:
    pytest.fail(f"{_Allowed.test} {what} but is not marked {marker}: mark it, or it would slow the fast tier",
                pytrace=False)


def _guarded(original: Callable[..., Any], what: str, allowed: Callable[[], bool], marker: str) -> Callable[..., Any]:
    def guard(*args: Any, **kwargs: Any) -> Any:
        if not allowed():
            _refuse(what, marker)
        return original(*args, **kwargs)

    return guard


@contextmanager
def outside_the_tiers() -> Iterator[None]:
    """Work the whole run shares (the shared build): done once, by whichever test needs it first."""
    before = _Allowed.processes, _Allowed.builds
    _Allowed.processes = _Allowed.builds = True
    try:
        yield
    finally:
        _Allowed.processes, _Allowed.builds = before


def pytest_configure(config: pytest.Config) -> None:
    popen_init = subprocess.Popen.__init__
    subprocess.Popen.__init__ = _guarded(popen_init, "starts a process", lambda: _Allowed.processes,  # type: ignore[method-assign]
                                         "process")
    os.fork = _guarded(os.fork, "forks a process", lambda: _Allowed.processes, "process")
    site.build = _guarded(site.build, "runs a build of its own", lambda: _Allowed.builds, "build")


def _permissions(item: pytest.Item) -> None:
    marked = {mark.name for mark in item.iter_markers()}
    _Allowed.processes = bool(marked & set(NEEDS_PROCESSES))
    _Allowed.builds = "build" in marked
    _Allowed.test = item.nodeid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    _permissions(item)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    _permissions(item)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    _permissions(item)
    try:
        return (yield)
    finally:
        _Allowed.processes = _Allowed.builds = True
