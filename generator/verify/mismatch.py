"""A disagreement the check found, and what an unreadable docs file is called in one."""

from __future__ import annotations

from dataclasses import dataclass

from ..publish.ownership import PUBLISHED_FILE_LIMIT

# What a docs file that is not a regular file of at most PUBLISHED_FILE_LIMIT bytes is found to be; it is never read.
UNREADABLE = f"unreadable: not a regular file of at most {PUBLISHED_FILE_LIMIT:,} bytes"


@dataclass(frozen=True)
class Mismatch:
    page: str
    place: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.page}: {self.place}: expected {self.expected}, found {self.found}"
