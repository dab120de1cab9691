"""Work in a forked process comes back as it would in-process: its result, or its error, and never outlives the block."""

from __future__ import annotations

import os
import time

import pytest

from generator.core.errors import ImageError, SiteBuildError
from generator.runtime import forked

pytestmark = pytest.mark.process


def test_the_result_comes_back_and_the_work_ran_elsewhere() -> None:
    with forked.started(lambda: (os.getpid(), b"\x00" * 3_000_000), "test work") as result:
        pid, data = result()
        again = result()  # the check asks twice: for the notebook's picture, then for the figures
    assert pid != os.getpid() and data == b"\x00" * 3_000_000
    assert again == (pid, data)


class Local(Exception):
    """Pickled by reference, so it cannot cross the pipe when defined where pickle cannot find it again."""


Local.__qualname__ = "nowhere.Local"


@pytest.mark.parametrize(
    ("error", "comes_back", "message"),
    [
        (ImageError("the picture is too large; pass a smaller one"), ImageError, "too large; pass a smaller one"),
        (Local("first line\nsecond line"), SiteBuildError, "^first line second line$"),
    ],
    ids=["report-error-as-itself", "unpicklable-as-one-line"],
)
def test_an_error_comes_back_as_the_caller_can_report_it(error: Exception, comes_back: type[Exception],
                                                        message: str) -> None:
    def fail() -> None:
        raise error

    with pytest.raises(comes_back, match=message):
        with forked.started(fail, "test work") as result:
            result()


def test_a_process_that_dies_is_reported_in_one_line() -> None:
    with pytest.raises(SiteBuildError, match="test work ended without a result"):
        with forked.started(lambda: os._exit(9), "test work") as result:
            result()


def test_the_process_never_outlives_the_block() -> None:
    pids = []
    with pytest.raises(ValueError):
        with forked.started(lambda: time.sleep(60), "test work"):
            pids.extend(child.pid for child in __import__("multiprocessing").active_children())
            raise ValueError("the caller failed before it needed the result")
    assert pids
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
