"""Stop signals: one line and 128+N at any phase, the previous site intact, no child process or staging left.

Real builds are stopped at a progress line, or once the child process of the
phase (the notebook kernel, MkDocs) is seen running, so no test relies on
timing luck. Publication itself is covered step by step in test_publish.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

from generator import cli
from generator.core.errors import Interrupted
from generator.publish.journal import STAGING_PREFIX
from generator.runtime import interrupts

from .conftest import ROOT, Build, mkdocs_yml_in, stalling_mkdocs_hook
from .test_build import tree_digest


def children(pid: int, needle: bytes) -> list[int]:
    """Processes whose parent is pid and whose command line or name (a forked kernel's) holds needle."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes() + b"\0" + (proc / "comm").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and needle in command:
            found.append(int(proc.name))
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def as_in_a_terminal() -> None:
    """A foreground job's signals: a suite started in the background would otherwise hand SIGINT down ignored."""
    for signum in interrupts.STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


def started_until(command: list[str], moment: str, child: bytes | None,
                  **popen: Any) -> tuple[subprocess.Popen[str], list[int]]:
    """A build started in its own session, once it printed the progress line and its child process (if any) runs."""
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True, **popen)
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if moment in line:
            break
    assert any(moment in line for line in seen), seen
    found: list[int] = []
    deadline = time.monotonic() + 120
    while child is not None and not found and time.monotonic() < deadline:
        found = children(process.pid, child)
        time.sleep(0.05)
    assert child is None or found, f"no {child!r} process appeared"
    return process, found


def stop_build(build: Build, signum: int, moment: str, child: bytes | None = None, *, group: bool = False,
               notebook: bool = False, mkdocs_yml: Path = ROOT / "mkdocs.yml",
               ) -> tuple[subprocess.CompletedProcess[str], list[int]]:
    """Start a build, wait for the progress line (and the phase's child process), then send signum."""
    command = [sys.executable, "-u", "-m", "generator", "build", "--weights", "random", "--offline", "--force",
               "--out", str(build.site), "--docs", str(build.docs), "--mkdocs-yml", str(mkdocs_yml)]
    if not notebook:
        command.append("--no-notebook-execution")
    process, found = started_until(command, moment, child, preexec_fn=as_in_a_terminal)
    (os.killpg if group else os.kill)(process.pid, signum)
    rest = process.stderr.read()
    process.wait(timeout=120)
    return subprocess.CompletedProcess(command, process.returncode, "", rest), found


PROGRESS_LINE = re.compile(r"\[ *[0-9]+\.[0-9]s\] [^\n]+")


def assert_stopped_cleanly(build: Build, result: subprocess.CompletedProcess[str], before: dict[str, str],
                           code: int, word: str, helpers: list[int]) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == code, result.stderr
    # Progress lines the build printed before the signal arrived may come first (a loaded machine draws on);
    # what the signal itself prints is one line, the last.
    assert lines[-1:] == [f"{word}: the previous site is untouched"], result.stderr
    assert all(PROGRESS_LINE.fullmatch(line) for line in lines[:-1]), result.stderr
    assert tree_digest(build.site) == before
    assert not [p for folder in (build.site.parent, build.docs) for p in folder.glob(STAGING_PREFIX + "*")]
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in helpers if alive(pid)], "a child process outlived the build"


@pytest.mark.process
@pytest.mark.parametrize(("moment", "child"), [("figure 5/", None), ("site: mkdocs", b"generator.pipeline.mkdocs_child")],
                         ids=["figures", "mkdocs"])
def test_sigterm_exits_143_in_one_line_and_leaves_everything_as_it_was(editable_build: Build, tmp_path: Path,
                                                                        moment: str, child: bytes | None) -> None:
    before = tree_digest(editable_build.site)
    stall = (stalling_mkdocs_hook(tmp_path),) if child else ()  # MkDocs may otherwise be done before it is looked for
    result, helpers = stop_build(editable_build, signal.SIGTERM, moment, child,
                                 mkdocs_yml=mkdocs_yml_in(tmp_path, hooks=stall))
    assert_stopped_cleanly(editable_build, result, before, 128 + signal.SIGTERM, "terminated", helpers)


@pytest.mark.process
@pytest.mark.parametrize(("signum", "word"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated")],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_while_the_notebook_runs_stops_the_kernel_and_exits_in_one_line(editable_build: Build, signum: int,
                                                                                 word: str) -> None:
    """Ctrl-C reaches the whole foreground process group; the kernel runs in its own session, so we must stop it."""
    before = tree_digest(editable_build.site)
    result, kernels = stop_build(editable_build, signum, "notebook: executing", b"ipykernel",
                                 group=signum == signal.SIGINT, notebook=True)
    assert "CancelledError" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert_stopped_cleanly(editable_build, result, before, 128 + signum, word, kernels)


def kill_9_when_the_helper_runs(build: Build, helper: bytes, moment: str, *options: str) -> list[int]:
    """Start a build, wait for the progress line and the helper, kill -9 the build alone; returns the helper's pid."""
    command = [sys.executable, "-u", "-m", "generator", "build", "--weights", "random", "--offline", "--force",
               "--out", str(build.site), "--docs", str(build.docs), *options]
    process, found = started_until(command, moment, helper)
    os.kill(process.pid, signal.SIGKILL)  # the build alone: its process group would take MkDocs along anyway
    process.wait()
    return found


def assert_ended_at_once(helpers: list[int]) -> None:
    deadline = time.monotonic() + 3
    while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in helpers if alive(pid)], "a helper outlived the killed build"


@pytest.mark.process
def test_kill_9_of_the_build_takes_the_kernel_along_while_it_imports(editable_build: Build) -> None:
    """No cleanup runs after a kill -9; ipykernel's own parent poller starts only after its imports, seconds later."""
    assert_ended_at_once(kill_9_when_the_helper_runs(editable_build, b"ipykernel", "notebook: executing"))


@pytest.mark.process
def test_kill_9_of_the_build_takes_the_mkdocs_child_along_while_it_builds(editable_build: Build, tmp_path: Path) -> None:
    """Waiting for its word, the child would also end when its input does; building, only its lifeline ends it."""
    mkdocs_yml = mkdocs_yml_in(tmp_path, hooks=(stalling_mkdocs_hook(tmp_path),))
    helpers = kill_9_when_the_helper_runs(editable_build, b"generator.pipeline.mkdocs_child", "site: mkdocs",
                                          "--no-notebook-execution", "--mkdocs-yml", str(mkdocs_yml))
    assert_ended_at_once(helpers)


def test_a_signal_the_caller_ignores_stays_ignored() -> None:
    """`nohup` and background jobs ignore SIGHUP or SIGINT on purpose: the CLI must not undo that."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with interrupts.installed():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_held_block_completes_and_then_raises_the_signal() -> None:
    done = []
    with interrupts.installed():
        with pytest.raises(Interrupted) as stopped:
            with interrupts.held():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.01)
                done.append("after the signal")
        assert stopped.value.exit_code == 128 + signal.SIGTERM and done == ["after the signal"]
        with pytest.raises(Interrupted):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)


def test_a_signal_never_cuts_an_import_in_half(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module whose import is interrupted is complete afterwards, and the signal still stops the command."""
    (tmp_path / "slow_module.py").write_text(
        "import os, signal, time\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(0.3)\n"
        "READY = 'all of it ran'\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with interrupts.installed():
        with pytest.raises(Interrupted) as stopped:
            import slow_module  # noqa: F401

            time.sleep(5)  # the signal comes back here, once the import is done
    assert stopped.value.exit_code == 128 + signal.SIGTERM
    assert sys.modules["slow_module"].READY == "all of it ran"
    del sys.modules["slow_module"]


def test_a_deferred_signal_that_lands_in_the_next_import_is_sent_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signal deferred out of one import is sent again; if the main thread is in the next import by the time
    its handler runs, it is deferred again and must still arrive (it was lost: the build waited for MkDocs)."""
    main = threading.main_thread()
    answers = iter([True, True])  # the main thread is importing when the signal comes, and again when it is resent

    def importing(frame: object) -> bool:
        return next(answers, False) if threading.current_thread() is main else False

    monkeypatch.setattr(interrupts, "_importing", importing)
    with interrupts.installed():
        with pytest.raises(Interrupted) as stopped:
            interrupts._on_signal(signal.SIGTERM, None)  # arrives inside an import: deferred
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                time.sleep(0.01)
    assert stopped.value.exit_code == 128 + signal.SIGTERM
    assert next(answers, "spent") == "spent"


def test_a_signal_raised_where_python_ignores_exceptions_is_sent_again() -> None:
    """A stop signal whose handler runs inside a weakref callback raises there, and Python only prints it: it must
    still stop the command (a SIGTERM landing in WeakKeyDictionary's callback left the build waiting for MkDocs)."""

    class Owner:
        pass

    owner = Owner()
    weakref.finalize(owner, interrupts._on_signal, signal.SIGTERM, None)  # the handler, run by the collector
    with interrupts.installed():
        with pytest.raises(Interrupted) as stopped:
            del owner
            gc.collect()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                time.sleep(0.01)
    assert stopped.value.exit_code == 128 + signal.SIGTERM


def test_a_signal_during_publication_is_reported_after_it_completed(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    def publish_and_get_terminated(args, config) -> str:
        interrupts.hold_until_exit()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)
        return "published /x/site"

    monkeypatch.setattr(cli, "run", publish_and_get_terminated)
    assert cli.main(["build", "--out", "/tmp/does-not-matter"]) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "terminated during publication, which completed: published /x/site\n"


@pytest.mark.process
def test_ctrl_c_during_the_experiment_names_what_it_left_alone() -> None:
    """The experiment writes its results file, not the site: its one line says which it kept."""
    from generator.experiment.results import RESULTS_FILE

    before = RESULTS_FILE.read_bytes()
    command = [sys.executable, "-u", "-m", "generator", "experiment"]
    process, _ = started_until(command, "epoch 1/", None, preexec_fn=as_in_a_terminal)
    os.kill(process.pid, signal.SIGINT)
    rest = process.stderr.read()
    process.wait(timeout=120)
    lines = [line for line in rest.splitlines() if line.strip()]
    assert process.returncode == 130, rest
    assert lines == ["interrupted: the previous results file is untouched"], rest
    assert RESULTS_FILE.read_bytes() == before
