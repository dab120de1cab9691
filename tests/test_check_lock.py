"""`check` reads docs/ and the site under the docs lock: a build publishing meanwhile cannot show it two generations.

Issue 19: run while a build published, `check` once reported a mismatch
that did not exist, having read pages of both generations. The lock here is
the one publication takes (publish/journal.docs_lock); another process holds
it as a build would.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator import cli
from generator.core.errors import OutputError
from generator.publish import generation, journal
from generator.verify import gate, standalone

from .conftest import Build

HOLDER = """
import fcntl, os, pathlib, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
pathlib.Path(sys.argv[3]).touch()
fcntl.flock(fd, fcntl.LOCK_UN)
time.sleep(60)
"""


@contextmanager
def lock_held_elsewhere(docs: Path, seconds: float, released: Path) -> Iterator[None]:
    """Another process holds the docs lock for ``seconds``, touches ``released``, then lets it go."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(docs), str(seconds), str(released)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield
    finally:
        holder.kill()
        holder.wait()


def locked_by_someone(docs: Path) -> bool:
    """Whether another open of ``docs`` holds its lock (flock is per open file, so the caller's own lock counts)."""
    fd = os.open(docs, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def check(build: Build) -> int:
    return cli.main(["check", "--docs", str(build.docs), "--out", str(build.site), "--weights", "random",
                     "--mkdocs-yml", str(build.config.mkdocs_yml), "--offline"])


def test_the_check_reads_the_pages_and_the_site_while_it_holds_the_docs_lock(built: Build, monkeypatch,
                                                                            capsys) -> None:
    seen: list[tuple[str, bool]] = []
    monkeypatch.setattr(gate, "verify",
                        lambda docs, site, config, given: seen.append(("pages", locked_by_someone(docs))))
    monkeypatch.setattr(generation, "check_published_files",
                        lambda docs, site: seen.append(("site", locked_by_someone(docs))))
    monkeypatch.setattr(standalone, "start_rerun", lambda progress: None)
    monkeypatch.setattr(standalone, "finish_rerun", lambda rerun: "no re-run in this test")
    assert check(built) == 0, capsys.readouterr().err
    assert seen == [("pages", True), ("site", True)]
    assert not locked_by_someone(built.docs)  # and lets it go


@pytest.mark.process
def test_a_check_while_a_publication_holds_the_lock_says_so_in_one_line_with_exit_7(built: Build, tmp_path: Path,
                                                                                   monkeypatch, capsys) -> None:
    monkeypatch.setattr(journal, "LOCK_TIMEOUT_S", 0.3)
    monkeypatch.setattr(gate, "verify", lambda docs, site, config, given: pytest.fail("read the pages without the lock"))
    with lock_held_elsewhere(built.docs, 30, tmp_path / "released"):
        code = check(built)
    error = capsys.readouterr().err
    assert code == OutputError.exit_code == 7
    assert error.count("\n") == 1 and "a publication into" in error and "is in progress" in error, error
    assert "check again when it is done" in error


@pytest.mark.process
def test_the_check_waits_for_a_publication_to_end(tmp_path: Path) -> None:
    docs, released = tmp_path / "docs", tmp_path / "released"
    docs.mkdir()
    with lock_held_elsewhere(docs, 0.5, released), standalone.docs_held(docs):
        assert released.exists() and locked_by_someone(docs)


def test_a_journal_left_by_a_build_killed_before_the_lock_was_taken_is_recovered_first(tmp_path: Path,
                                                                                       monkeypatch) -> None:
    """Recovery takes the lock itself: found under the check's lock, a journal must not send it into a wait on it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / journal.JOURNAL).write_text("{}", encoding="utf-8")
    monkeypatch.setattr(journal, "LOCK_TIMEOUT_S", 0.3)
    recoveries: list[bool] = []

    def recover(folder: Path, *, repair: bool) -> None:
        recoveries.append(repair)
        if len(recoveries) == 2:  # the first found nothing yet: the build was killed just after it
            (folder / journal.JOURNAL).unlink()

    monkeypatch.setattr(standalone, "recover", recover)
    with standalone.docs_held(docs):
        assert locked_by_someone(docs) and not (docs / journal.JOURNAL).exists()
    assert recoveries == [False, False]
