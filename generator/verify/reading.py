"""The pages of both languages read one after the other, or side by side on the machine's two cores.

A build reads the site once MkDocs has built it, when both cores are free
(the check command does not: its experiment re-run holds the other core,
and a fork beside it made the command slower, 6.9 s against 5.9). Each
language's pages are independent of the other's until they are compared,
so the second language is read in a forked process (runtime/forked.py)
while this one reads the first: each page's reading and the mismatches it
found come back, and are put in the order a reading in one process gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core.config import LANGUAGES
from .context import PageReading
from .mismatch import Mismatch


@dataclass(frozen=True)
class PageResult:
    """One page in one language: its name in messages, its reading (None if unreadable), what it found wrong."""

    name: str
    reading: PageReading | None
    mismatches: list[Mismatch]


def read_languages(read: Callable[[str, str], PageResult], pages: list[str],
                   side_by_side: bool) -> dict[str, dict[str, PageResult]]:
    """page -> language -> ``read(page, language)``; the languages after the first in a fork when side by side."""

    def languages(which: tuple[str, ...]) -> dict[str, dict[str, PageResult]]:
        return {page: {language: read(page, language) for language in which} for page in pages}

    if not side_by_side:
        return languages(LANGUAGES)
    from ..runtime import forked

    with forked.started(lambda: languages(LANGUAGES[1:]), "reading the pages") as others:
        found = languages(LANGUAGES[:1])
        rest = others()
    return {page: {**found[page], **rest[page]} for page in pages}
