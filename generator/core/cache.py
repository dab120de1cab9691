"""Values kept between builds: one place for where they live, how they are written, kept and read.

Every entry is a shortcut: what is missing, unreadable or malformed is
computed again, so deleting the folder is always safe. An entry is
written atomically (core/atomic.py), read like any input (a regular file
under a limit, never a pipe that would hang), and each shelf keeps only its
newest entries. A cache that cannot be written costs the next build time,
never the build: it is said once, on stderr, and the build goes on.

Inside ``write_only()`` (a ``build --force``) no entry is read at all, so an
edited entry cannot reach what such a build publishes; entries are still
written for later builds.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from . import atomic
from .errors import OutputError, ReportError, UsageError
from .input_file import open_input

CACHE_FILE_LIMIT = 64 * 1024**2  # the largest entry, a notebook's HTML, is under 1 MiB
T = TypeVar("T")
_reported: set[Path] = set()
_reading = [True]  # False inside write_only(); a list, so that no function rebinds a global


def cache_folder() -> Path:
    """$XDG_CACHE_HOME/resnet18-report, else ~/.cache/resnet18-report.

    A relative $XDG_CACHE_HOME is ignored, as the XDG spec asks: it would put
    the cache in whatever folder the build was started from (and the MkDocs
    child's in its staging folder), and a build writes nothing there.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "resnet18-report"


def ignore_relative_cache_home() -> None:
    """The same rule for everyone else: matplotlib, torch's downloader and every child would otherwise write
    their caches into the working directory, where a build writes nothing."""
    if not os.path.isabs(os.environ.get("XDG_CACHE_HOME", "/")):
        del os.environ["XDG_CACHE_HOME"]


@contextmanager
def write_only() -> Iterator[None]:
    """No shelf reads an entry inside (--force computes everything again); entries are still written."""
    before = _reading[0]
    _reading[0] = False
    try:
        yield
    finally:
        _reading[0] = before


def reading() -> bool:
    """Whether entries are read now: False inside write_only()."""
    return _reading[0]


def read_text(path: Path) -> str | None:
    """An entry's text, or None when it is missing or is anything but a readable regular file under the limit."""
    try:
        with open_input(path, limit=CACHE_FILE_LIMIT, error=UsageError, noun="cache file", advice="") as opened:
            return opened.read_all().decode("utf-8")
    except (ReportError, OSError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Shelf:
    """Entries named ``<prefix><sha256 hex><suffix>`` in one folder of the cache; the newest ``kept`` stay."""

    prefix: str
    kept: int
    suffix: str = ".json"
    folder_name: str = ""  # a subfolder of the cache, or the cache folder itself

    def folder(self) -> Path:
        return cache_folder() / self.folder_name if self.folder_name else cache_folder()

    def path(self, key: str) -> Path:
        return self.folder() / f"{self.prefix}{key}{self.suffix}"

    def read(self, key: str) -> str | None:
        """The entry's text; None when it is unreadable, or when nothing may be read (write_only)."""
        return read_text(self.path(key)) if _reading[0] else None

    def write(self, key: str, text: str) -> None:
        """Best effort: the entry, then the oldest of this shelf's entries beyond ``kept`` removed."""
        mine = re.compile(rf"{re.escape(self.prefix)}[0-9a-f]{{64}}{re.escape(self.suffix)}")
        try:
            atomic.write_text(self.path(key), text)
            entries = sorted((entry for entry in self.folder().iterdir() if mine.fullmatch(entry.name)),
                             key=lambda entry: entry.stat().st_mtime)
            for old in entries[:-self.kept]:
                old.unlink(missing_ok=True)
        except (OSError, OutputError) as error:
            report_once(self.folder(), error)

    def remember(self, key: str, compute: Callable[[], T], dump: Callable[[T], str], load: Callable[[str], T]) -> T:
        """``load`` of the entry under ``key``, or ``compute()``, kept under it for the next time."""
        text = self.read(key)
        if text is not None:
            try:
                return load(text)
            except (ValueError, KeyError, TypeError, AttributeError):
                pass
        value = compute()
        self.write(key, dump(value))
        return value


def report_once(folder: Path, error: Exception) -> None:
    if folder not in _reported:
        _reported.add(folder)
        print(f"warning: the cache in {folder} cannot be written ({error}); later builds compute again",
              file=sys.stderr, flush=True)
