"""`python -m generator serve`: build, serve the site on localhost, and rebuild whenever a build's input changes.

Each build is `python -m generator build` in a fresh process, with serve's
options. A fresh process runs the code as it is on disk now (an edited
generator module included, which a long-lived process that imported the old
one could not), and it keeps every guarantee of `build`: staging, the check,
the strict MkDocs build, publication through the journal. So the folder
served always holds the last site that passed every gate; a failed build
leaves it as it was, and its error goes to the console and to every page in
the browser. Builds run one at a time in the main thread, and inputs that
change during a build are looked at again after it, so nothing piles up and
nothing is missed. The build runs in its own process group: Ctrl-C reaches
serve alone, which stops the build with that same signal exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from ..core.config import PROJECT_ROOT, Config
from ..core.names import printable_line, printable_name
from ..publish.ownership import site_generation
from ..runtime import interrupts
from .server import PreviewServer, PreviewState
from .watch import Snapshot, changed_files, next_change, take_snapshot, watched_inputs

STOP_TIMEOUT_S = 60.0  # a stopped build finishes its publication or cleanup; after this it is killed (kill -9 is safe)
CHANGES_SHOWN = 3
REPORT_LINES = 40  # of a failed build's error, in the browser


def say(message: str) -> None:
    """A line of serve's own on the console: one line, whatever it names."""
    print(f"serve: {printable_line(message)}", file=sys.stderr, flush=True)


def build_command(config: Config) -> list[str]:
    """`python -m generator build` with every option of this run, paths absolute."""
    options = [f"--image={config.image}", f"--weights={config.weights}", f"--seed={config.seed}",
               f"--download-timeout={config.download_timeout_s!r}", f"--docs={config.docs}",
               f"--mkdocs-yml={config.mkdocs_yml}", f"--out={config.out}"]
    if not config.allow_download:
        options.append("--offline")
    if not config.execute_notebook:
        options.append("--no-notebook-execution")
    if not config.make_pdf:
        options.append("--no-pdf")
    return [sys.executable, "-m", "generator", "build", *options]


def failure_report(lines: list[str], exit_code: int) -> str:
    """The build's error as it printed it (one line, or a mismatch per line); for a crash, where and what.

    A crash is what an edited module with a mistake gives: a traceback, whose
    last frame says where and whose last line says what.
    """
    starts = [index for index, line in enumerate(lines) if line.startswith("error:")]
    if starts:
        detail = [line.rstrip() for line in lines[starts[-1]:] if line.strip()]
    else:
        frames = [line.strip() for line in lines if line.startswith('  File "')]
        last = next((line.strip() for line in reversed(lines) if line.strip()), "no output")
        detail = [*frames[-1:], last]
    more = len(detail) - REPORT_LINES
    if more > 0:
        detail = [*detail[:REPORT_LINES], f"… and {more} more lines on the console"]
    return "\n".join([f"build failed (exit {exit_code}):", *detail])


def stop_build(process: subprocess.Popen[str], signum: int) -> None:
    """Hand the build the signal that stopped serve, and wait until it has left the previous site as it was."""
    with interrupts.held():
        process.send_signal(signum)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_build(command: list[str]) -> tuple[int, list[str]]:
    """Run one build, its console lines passed through as they come; returns its exit code and those lines."""
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
                               process_group=0)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for line in process.stdout:
            print(line, end="", file=sys.stderr, flush=True)
            lines.append(line.rstrip("\n"))
        return process.wait(), lines
    except BaseException as stop:
        stop_build(process, getattr(stop, "signum", signal.SIGTERM))
        raise
    finally:
        process.stdout.close()


def rebuild(command: list[str], out: Path, state: PreviewState) -> None:
    """One build; browsers then see the site it published, or its failure over the last good site."""
    before = site_generation(out)
    say("building")
    start = time.monotonic()
    exit_code, lines = run_build(command)
    site = site_generation(out)
    if exit_code == 0:
        state.update(site, None)
        say(f"built in {time.monotonic() - start:.1f} s; "
            + ("browsers reload" if site != before else "the site did not change"))
        return
    state.update(site, failure_report(lines, exit_code))
    say(f"build failed (exit {exit_code}); "
        + ("still serving the last good site" if site else "no site to serve yet") + ", waiting for a change")


def describe(paths: list[Path]) -> str:
    """The changed files, relative to the project where they are in it, a few of them by name."""
    names = [printable_name(str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path))
             for path in paths]
    more = len(names) - CHANGES_SHOWN
    return ", ".join(names[:CHANGES_SHOWN]) + (f" and {more} more" if more > 0 else "")


def own_code(paths: list[Path]) -> list[Path]:
    """Those of the paths that are modules this process has imported: serve itself goes on running their old code."""
    loaded = {Path(module.__file__).resolve() for name, module in list(sys.modules.items())
              if name.partition(".")[0] == __package__.partition(".")[0] and getattr(module, "__file__", None)}
    return [path for path in paths if path in loaded]


def rebuild_on_change(build: Callable[[], None], snapshot: Callable[[], Snapshot],
                      sleep: Callable[[float], None] = time.sleep) -> NoReturn:
    """Build, then wait for the inputs to change and settle, and again; a change made during a build is not lost.

    The inputs are looked at before each build: whatever changes while it
    runs differs from that look, and is built next.
    """
    built = snapshot()
    while True:
        build()
        settled = next_change(snapshot, built, sleep)
        changed = changed_files(built, settled)
        say(f"changed: {describe(changed)}")
        if own_code(changed):
            say(f"builds run the new code, but serve itself runs what it started with ({describe(own_code(changed))}): "
                "restart serve to use it")
        built = settled


def serve(config: Config, port: int) -> NoReturn:
    """Serve config.out until a stop signal, rebuilding after every settled change of the inputs."""
    state = PreviewState(site_generation(config.out))
    server = PreviewServer(config.out, port, state)
    server.start()
    try:
        say(f"serving {printable_name(str(config.out))} at {server.url} (Ctrl-C to stop)")
        inputs = watched_inputs(config)
        command = build_command(config)
        rebuild_on_change(lambda: rebuild(command, config.out, state), lambda: take_snapshot(inputs))
    finally:
        with interrupts.held():
            server.stop()
