"""`python -m generator experiment`: train in a child process whose kernels are fixed, and write the results file.

ATen reads its kernel choice once, when torch is loaded, and nothing can
change it afterwards; so the training (experiment/train.py) runs in a child
started with the environment experiment/kernels.py fixes, and this side
never loads torch. The child's progress lines are passed on as they come;
its results come back as JSON on its standard output. A stop signal ends
the child with the command, and the results file is written only once the
training is complete.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from ..core import python_child
from ..core.errors import ReportError, one_line
from ..runtime import interrupts
from . import kernels as experiment_kernels
from . import results as experiment_results
from .results import Results


class ExperimentError(ReportError):
    """The training process failed: its last line says why."""


def run(progress: Callable[[str], None], epochs: int | None = None,
        nets: tuple[tuple[str, int], ...] | None = None) -> Results:
    """The experiment's results, trained in a child process (all nets and epochs of its setup unless narrowed).

    ``nets`` as (kind, depth) pairs; ``epochs`` stops early on the full schedule.
    """
    request = json.dumps({"epochs": epochs, "nets": nets, "parent": os.getpid()})
    environment = experiment_kernels.child_environment(python_child.environment())
    child = subprocess.Popen([sys.executable, "-m", "generator.experiment.train", request], env=environment,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.append(child.stdout.read() if child.stdout else ""),
                              name="experiment-results", daemon=True)
    reader.start()
    last = ""
    try:
        assert child.stderr is not None
        for line in child.stderr:
            last = line.rstrip("\n") or last
            progress(last)
        child.wait()
        reader.join()
    finally:
        with interrupts.held():
            if child.poll() is None:
                child.kill()
            child.wait()
            for pipe in (child.stdout, child.stderr):
                if pipe is not None:
                    pipe.close()
    if child.returncode != 0:
        raise ExperimentError(f"the experiment's training process failed (exit {child.returncode}): "
                              f"{one_line(Exception(last.removeprefix('error: ')))}")
    return experiment_results.parse("".join(output), "the experiment's training process")


def main(progress: Callable[[str], None]) -> str:
    """Train, write the results file, and say where it went and how long it took."""
    start = time.monotonic()
    results = run(progress)
    experiment_results.write(results)
    finals = ", ".join(f"{net.name} {net.train_mistakes[-1] / results.train_size:.1%}" for net in results.nets)
    return (f"experiment: wrote {experiment_results.RESULTS_FILE} in {time.monotonic() - start:.0f} s "
            f"(final training error: {finals})")
