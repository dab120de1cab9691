"""The site's search index, one per language: what a reader's search shows must be on the pages it names.

MkDocs' search plugin copies each section's heading and text into the
index, without the tags the check reads; the results list shows them. So an
entry is accounted for when its address is a checked page (and a heading of
it), its title that heading's words, and its text, tags and whitespace
dropped, a run of that page's checked text.
"""

from __future__ import annotations

from pathlib import Path

from ..core.json_input import PUBLISHED_JSON_MAX_DEPTH, loads_bounded
from ..publish.journal import published_bytes
from . import site_pages
from .context import PageReading, squash
from .mismatch import UNREADABLE, Mismatch
from .visible import INVISIBLE_TAGS, Element, parse_html


def searchable(article: Element) -> str:
    """The article's text without whitespace, as the search plugin reads it: without what the page marks
    ``data-search-exclude`` (the notebook's clipboard notices, for one)."""
    pieces: list[str] = []
    stack: list[Element | str] = [article]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
        elif item.tag not in INVISIBLE_TAGS and "data-search-exclude" not in item.attrs:
            stack.extend(reversed(item.children))
    return "".join("".join(pieces).split())


def check_search_index(site: Path, language: str, readings: dict[str, PageReading | None],
                       mismatches: list[Mismatch]) -> None:
    path = site / site_pages.language_folder(language) / site_pages.SEARCH_INDEX
    name = str(path.relative_to(site))
    data = published_bytes(path)
    try:
        index = loads_bounded(data.decode("utf-8"), PUBLISHED_JSON_MAX_DEPTH) if data is not None else None
    except (ValueError, UnicodeDecodeError) as error:
        mismatches.append(Mismatch(name, "file", "the search index as JSON", f"unreadable ({error})"))
        return
    entries = index.get("docs") if isinstance(index, dict) else None
    if not isinstance(entries, list):
        mismatches.append(Mismatch(name, "file", "the search index as JSON",
                                   UNREADABLE if path.exists() else "missing"))
        return
    pages = {site_pages.page_path(page, language)[len(site_pages.language_folder(language)):]: reading
             for page, reading in readings.items() if reading is not None}
    for number, entry in enumerate(entries, start=1):
        place = f"entry {number}"
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("location", "title", "text")):
            mismatches.append(Mismatch(name, place, "a location, a title and a text", "something else"))
            continue
        page, _, anchor = entry["location"].partition("#")
        reading = pages.get(page)
        if reading is None:
            mismatches.append(Mismatch(name, place, "a page of the site", repr(entry["location"][:60])))
            continue
        title = squash(parse_html(entry["title"]).text())
        if anchor and reading.sections.get(anchor) != title:
            mismatches.append(Mismatch(name, place, f"the words of heading #{anchor}", repr(title[:60])))
        text = "".join(parse_html(entry["text"]).text().split())
        if text not in reading.content or (not anchor and title not in reading.titles):
            mismatches.append(Mismatch(name, place, f"text that is on the page {page or '/'}",
                                       repr(squash(parse_html(entry["text"]).text())[:60])))
