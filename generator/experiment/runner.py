"""`python -m generator experiment`: train in child processes whose kernels are fixed, and write the results file.

ATen reads its kernel choice once, when torch is loaded, and nothing can
change it afterwards; so the training (experiment/train.py) runs in child
processes started with the environment experiment/kernels.py fixes, and
this side never loads torch. Each seed is its own child, and all of them
run side by side: they share nothing, and each uses one thread, so two cores
train two seeds at once. Their progress lines are passed on as they come
(each names its seed); their results come back as JSON on their standard
output and are joined here, seed by seed in the recipe's order. A stop
signal ends every child with the command, and the results file is written
only once the training is complete.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..core import python_child
from ..core.errors import ReportError, one_line
from ..runtime import interrupts
from . import kernels as experiment_kernels
from . import results as experiment_results
from .recipe import SETUP
from .results import Results


class ExperimentError(ReportError):
    """A training process failed: its last line says why."""


@dataclass
class Child:
    """One seed's training process, and what it has said so far."""

    seed: int
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    last: str = ""


def start(seed: int, lines: queue.Queue[tuple[int, str | None]], epochs: int | None,
          nets: tuple[tuple[str, int], ...] | None, batches_only: bool) -> Child:
    """A training child for ``seed``, with threads that collect its results and queue its progress lines."""
    request = json.dumps({"epochs": epochs, "nets": nets, "seed": seed, "batches_only": batches_only,
                          "parent": os.getpid()})
    environment = experiment_kernels.child_environment(python_child.environment())
    process = subprocess.Popen([sys.executable, "-m", "generator.experiment.train", request], env=environment,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = Child(seed, process)

    def forward() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put((seed, line.rstrip("\n")))
        lines.put((seed, None))

    threading.Thread(target=lambda: child.output.append(process.stdout.read() if process.stdout else ""),
                     name=f"experiment-results-{seed}", daemon=True).start()
    threading.Thread(target=forward, name=f"experiment-progress-{seed}", daemon=True).start()
    return child


def run(progress: Callable[[str], None], epochs: int | None = None,
        nets: tuple[tuple[str, int], ...] | None = None, seeds: tuple[int, ...] | None = None,
        batches_only: bool = False) -> Results:
    """The experiment's results, one child per seed (every net, epoch and seed of the recipe unless narrowed).

    ``nets`` as (kind, depth) pairs; ``epochs`` stops early on the full
    schedule; ``batches_only`` stops each run after its recorded first batches.
    """
    lines: queue.Queue[tuple[int, str | None]] = queue.Queue()
    children: list[Child] = []
    try:
        children.extend(start(seed, lines, epochs, nets, batches_only) for seed in seeds or SETUP.seeds)
        relay(children, lines, progress)
        for child in children:
            child.process.wait()
    finally:
        with interrupts.held():
            for child in children:
                if child.process.poll() is None:
                    child.process.kill()
                child.process.wait()
                for pipe in (child.process.stdout, child.process.stderr):
                    if pipe is not None:
                        pipe.close()
    failed = next((child for child in children if child.process.returncode != 0), None)
    if failed is not None:
        raise ExperimentError(f"the experiment's training process for seed {failed.seed} failed (exit "
                              f"{failed.process.returncode}): {one_line(Exception(failed.last.removeprefix('error: ')))}")
    return join([experiment_results.parse(wait_for_output(child), "the experiment's training process")
                 for child in children])


def relay(children: list[Child], lines: queue.Queue[tuple[int, str | None]], progress: Callable[[str], None]) -> None:
    """Pass every child's progress lines on, in this thread, until each child's standard error has closed."""
    by_seed = {child.seed: child for child in children}
    open_streams = len(children)
    while open_streams:
        try:
            seed, line = lines.get(timeout=0.5)  # a timeout, so that a stop signal is seen while waiting
        except queue.Empty:
            continue
        if line is None:
            open_streams -= 1
        elif line:
            by_seed[seed].last = line
            progress(line)


def wait_for_output(child: Child) -> str:
    """The child's standard output, once its reader has it all (the child has exited and its pipe is at its end)."""
    while not child.output:
        time.sleep(0.01)
    return child.output[0]


def join(parts: list[Results]) -> Results:
    """One results file from one per seed: each net's runs side by side, in the order of the seeds."""
    first = parts[0]
    for part in parts[1:]:
        if (part.torch_version, part.kernels, [net.name for net in part.nets]) != (
                first.torch_version, first.kernels, [net.name for net in first.nets]):
            raise ExperimentError("the experiment's training processes disagree on torch, kernels or nets")
    nets = tuple(replace(net, runs=tuple(run for part in parts for run in part.nets[index].runs))
                 for index, net in enumerate(first.nets))
    return replace(first, nets=nets)


def main(progress: Callable[[str], None]) -> str:
    """Train, write the results file, and say where it went, how long it took and what each seed ended with."""
    start_time = time.monotonic()
    results = run(progress)
    experiment_results.write(results)
    finals = "; ".join(f"{net.name} " + ", ".join(f"{run.train_mistakes[-1] / results.train_size:.1%}"
                                                   for run in net.runs) for net in results.nets)
    return (f"experiment: wrote {experiment_results.RESULTS_FILE} in {time.monotonic() - start_time:.0f} s "
            f"(final training error, seed by seed: {finals})")
