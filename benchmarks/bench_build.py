"""The issue's speed and memory targets, each measured as a ratio within one run on this machine.

Run from the project root: .venv/bin/python -m benchmarks.bench_build [--repeat N] [build options]

Every round runs, back to back and each as a whole process: the floor (a
process that imports torch and torchvision, then a bare ``mkdocs build
--strict`` of the docs the build published), a cold build (notebook
executed, every gate on, an empty user cache), ``python -m generator check``
alone, and a process that imports torch and torchvision and runs one forward
pass. A ratio is taken within each round, where the machine's load is the
same for both sides, and the median over rounds is reported. Speed is
measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024**3
IMPORT = "import torch, torchvision"
IMPORT_AND_FORWARD = (
    "import torch, torchvision\n"
    "model = torchvision.models.resnet18().eval()\n"
    "with torch.no_grad():\n"
    "    model(torch.randn(1, 3, 224, 224))\n"
)
NOT_MEASURED = ("no-change rebuild", "prose-only rebuild")  # incremental builds fill these rows


@dataclass
class Run:
    seconds: float
    largest_rss: int  # bytes: the largest single process of the tree, as /usr/bin/time reports it
    tree_rss: int  # bytes: the most the whole process tree held at once, sampled


@dataclass
class Rounds:
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def add(self, label: str, run: Run) -> None:
        self.runs.setdefault(label, []).append(run)

    def seconds(self, label: str) -> list[float]:
        return [run.seconds for run in self.runs[label]]


def tree_rss(root: int) -> int:
    """Resident bytes of root and every descendant, read from /proc."""
    parents: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(proc.name)] = int(stat[1])
            sizes[int(proc.name)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in members]
        members.update(children)
        frontier.extend(children)
    return sum(sizes.get(pid, 0) for pid in members)


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall time of a whole process, its largest process and its tree's summed memory; exits on failure."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command[2:5])} failed with exit {process.returncode}:\n{errors.decode(errors='replace')}")
    return Run(seconds, usage.ru_maxrss * 1024, peak[0])


def floor_config(folder: Path, docs: Path) -> Path:
    """The project's mkdocs.yml, reading the published docs, with its hook path made absolute."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = text.replace("docs_dir: docs", f"docs_dir: {docs}")
    text = text.replace("  - generator/mkdocs_hooks.py", f"  - {ROOT / 'generator' / 'mkdocs_hooks.py'}")
    path = folder / "mkdocs.yml"
    path.write_text(text, encoding="utf-8")
    return path


def one_round(scratch: Path, build_options: list[str], rounds: Rounds) -> None:
    python = sys.executable
    docs, site = scratch / "docs", scratch / "site"
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}  # cold: nothing of an earlier build to reuse
    location = ["--out", str(site), "--docs", str(docs)]
    rounds.add("build", timed([python, "-m", "generator", "build", "--quiet", *location, *build_options], ROOT, env))
    rounds.add("check", timed([python, "-m", "generator", "check", *location, *build_options], ROOT, env))
    rounds.add("import", timed([python, "-c", IMPORT], scratch))
    floor = Path(tempfile.mkdtemp(prefix="floor-", dir=scratch))  # a fresh working folder: mkdocs-jupyter's cache is cold
    rounds.add("mkdocs", timed([python, "-m", "mkdocs", "build", "--strict", "--quiet", "-f",
                                str(floor_config(floor, docs)), "-d", str(floor / "site")], floor))
    rounds.add("import+forward", timed([python, "-c", IMPORT_AND_FORWARD], scratch))
    shutil.rmtree(cache)
    shutil.rmtree(floor)


def verdict(value: float, limit: float) -> str:
    return "met" if value <= limit else "NOT met"


def report(rounds: Rounds, load_before: tuple[float, ...], load_after: tuple[float, ...]) -> None:
    n = len(rounds.runs["build"])
    median = statistics.median

    def ratios(top: str, *bottom: str) -> list[float]:
        return [t / sum(parts) for t, *parts in zip(rounds.seconds(top), *(rounds.seconds(b) for b in bottom))]

    cold = ratios("build", "import", "mkdocs")
    check = ratios("check", "import+forward")
    largest = max(run.largest_rss for run in rounds.runs["build"])
    tree = max(run.tree_rss for run in rounds.runs["build"])
    print(f"machine: {os.cpu_count()} cores; load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after; {n} round(s), medians")
    for label in ("build", "import", "mkdocs", "check", "import+forward"):
        times = rounds.seconds(label)
        print(f"  {label:>16}: {median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f})")
    print("targets:")
    print(f"  {'cold build / floor':<34} {median(cold):5.2f}  (<= 1.50: {verdict(median(cold), 1.5)})  "
          f"floor = import torch+torchvision + bare mkdocs build --strict")
    print(f"  {'check / (import + forward)':<34} {median(check):5.2f}  (<= 1.50: {verdict(median(check), 1.5)})")
    print(f"  {'build peak memory, largest process':<34} {largest / GIB:5.2f} GiB (<= 1.00: {verdict(largest, GIB)})  "
          f"whole process tree at once: {tree / GIB:.2f} GiB")
    for label in NOT_MEASURED:
        print(f"  {label:<34} not measured yet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="rounds to take the median of (default: 3)")
    args, build_options = parser.parse_known_args()
    build_options = build_options or ["--offline"]
    load_before = os.getloadavg()
    rounds = Rounds()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        scratch = Path(folder)
        shutil.copytree(ROOT / "docs" / "assets" / "static", scratch / "docs" / "assets" / "static")
        for number in range(1, args.repeat + 1):
            print(f"round {number}/{args.repeat}", file=sys.stderr, flush=True)
            one_round(scratch, build_options, rounds)
    report(rounds, load_before, os.getloadavg())


if __name__ == "__main__":
    main()
