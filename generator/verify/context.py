"""What one page is checked against, and what reading it found (compared across the languages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .mismatch import Mismatch
from .values import Expected


@dataclass
class PageReading:
    facts: list[tuple[str, str]] = field(default_factory=list)
    claims: list[tuple[str, str]] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # by figure, the same in every language
    image_files: list[tuple[str, str]] = field(default_factory=list)  # (the docs file, the site's copy) as shown
    table_rows: list[int] = field(default_factory=list)
    report_passages: list[str] = field(default_factory=list)  # keys of the passages in the original report's voice
    titles: set[str] = field(default_factory=set)  # the page's titles (its h1 headings), as checked
    content: str = ""  # the article's text without whitespace, which the search index may only repeat
    sections: dict[str, str] = field(default_factory=dict)  # heading id -> its text, as checked


@dataclass
class Context:
    """What a page is checked against: the re-derived values and the data the pages draw on."""

    expected: Expected
    language: str
    strings: dict[str, str]
    figure_names: set[str]
    mkdocs_yml: Path
    mismatches: list[Mismatch]
    page: str = ""  # the page as messages name it: its file in the site and its docs page
    url: str = ""  # the page's address on the site (verify/site_pages.py), which its figures resolve against
    site: Path | None = None  # the built site, whose stylesheets the page loads
    file: Path | None = None  # the page's file in it
    figure_numbers: set[str] = field(default_factory=set)  # as the page's captions number them
    page_key: str = ""  # which page this is: "index", "maps"... ("" for the 404 page)
    source_numbers: dict[str, int] = field(default_factory=dict)  # source -> its number in the page's own list

    def fail(self, place: str, expected: str, found: str) -> None:
        self.mismatches.append(Mismatch(self.page, place, expected, found))


def squash(text: str) -> str:
    """Runs of whitespace as one space: text as a reader sees it, wherever the lines broke."""
    return " ".join(text.split())
