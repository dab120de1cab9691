"""The files a build reads, and what changed among them since the last look.

`serve` polls instead of subscribing to file-system events: a look at the
fifty-odd input files takes about 2 ms (serve idles at under 1% of a core),
behaves the same on every system and on network file systems, and compares
whole states, so a change made while a build runs is seen after it, never
lost. Editors' side files
(hidden names, `#autosave#`, `backup~`) and Python's bytecode caches are no
input of a build and are not watched: vim rewrites its swap file while one
types.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ..core.config import PACKAGE, WEIGHT_CHOICES, Config
from ..publish.ownership import STATIC

# path -> (modification time in ns, size, inode): a rewrite that keeps the size and the second still differs.
Snapshot = dict[Path, tuple[int, int, int]]
POLL_S = 0.3


def watched_inputs(config: Config) -> list[Path]:
    """Generator sources, templates, translations and data, mkdocs.yml, the static assets, the image, a weights file."""
    inputs = [PACKAGE, config.mkdocs_yml, config.docs / STATIC, config.image]
    if config.weights not in WEIGHT_CHOICES:
        inputs.append(Path(config.weights))
    return inputs


def is_side_file(name: str) -> bool:
    """An editor's swap, lock, autosave or backup file, or Python's bytecode cache."""
    return name.startswith((".", "#")) or name.endswith("~") or name == "__pycache__" or name.endswith(".pyc")


def take_snapshot(inputs: Iterable[Path]) -> Snapshot:
    """Every watched file as it is now; an input that is missing or unreadable is simply absent."""
    found: Snapshot = {}

    def record(path: Path) -> None:
        try:
            info = path.stat()
        except OSError:
            return
        if stat.S_ISREG(info.st_mode):
            found[path] = (info.st_mtime_ns, info.st_size, info.st_ino)

    for root in inputs:
        if not root.is_dir():
            record(root)
            continue
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = sorted(name for name in subfolders if not is_side_file(name))
            for name in sorted(files):
                if not is_side_file(name):
                    record(Path(folder) / name)
    return found


def changed_files(before: Snapshot, after: Snapshot) -> list[Path]:
    """Files added, removed or rewritten between two snapshots, in path order."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def next_change(take: Callable[[], Snapshot], built: Snapshot,
                sleep: Callable[[float], None] = time.sleep) -> Snapshot:
    """Wait for inputs that differ from the built ones and then hold still for one poll.

    An editor that writes a file twice, or a `git checkout` of many files,
    yields one settled state and so one build instead of a pile of them.
    """
    previous = take()
    while True:
        sleep(POLL_S)
        current = take()
        if current == previous and current != built:
            return current
        previous = current
