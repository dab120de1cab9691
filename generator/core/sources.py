"""Cited facts: numbers and quotations that come from named sources, not from the model.

They live in one data file (``data/sources.json``), each with the source it
comes from, so that pages show them through the same tags as computed facts
and the check compares what a page says with the data, word for word. Quotes
from the original report are also checked against the report itself
(``data/report.md``, kept as it was given).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from .config import PACKAGE

DATA = PACKAGE / "data"
SOURCES_FILE = DATA / "sources.json"
REPORT_FILE = DATA / "report.md"
GLOSSES_FILE = DATA / "glosses.json"
# How each language marks a gloss in prose: Spanish takes «», English “”.
GLOSS_MARKS: dict[str, tuple[str, str]] = {"es": ("«", "»"), "en": ("“", "”")}


@dataclass(frozen=True)
class Source:
    key: str
    language: str  # the language of the work cited: its title keeps it, marked on pages in the other language
    citation: str
    short: str
    url: str | None


@dataclass(frozen=True)
class Quote:
    key: str
    source: str
    text: str
    section: int | str | None = None  # "3.3": a subsection
    page: int | None = None
    heading: str | None = None
    translations: dict[str, str] | None = None  # language -> this project's translation, for pages in it
    language: str | None = None  # the words' language where it is not the source's (the report quoting the paper)
    translated_by: str | None = None  # the quotation of the same source that translates it (the report's pairs)


@dataclass(frozen=True)
class Gloss:
    """A short term a page puts in quotation marks (a name, a word of the original report), in every language.

    Either the original report holds its words (source "report", checked in the report's language) or
    it is the name of something on the site (translation: the key of that name in the translations).
    """

    key: str
    words: dict[str, str]  # language -> the words between the marks
    why: str
    source: str | None = None
    translation: str | None = None


@cache
def _data() -> dict:
    return json.loads(SOURCES_FILE.read_text(encoding="utf-8"))


def all_sources() -> tuple[Source, ...]:
    """Every source, in the order the reference list numbers them."""
    return tuple(Source(key=key, **entry) for key, entry in _data()["sources"].items())


def cited_numbers() -> dict[str, int | float]:
    return {key: entry["value"] for key, entry in _data()["numbers"].items()}


def cited_source(key: str) -> str:
    return _data()["numbers"][key]["source"]


def quote(key: str) -> Quote:
    return Quote(key=key, **_data()["quotes"][key])


def all_quotes() -> tuple[Quote, ...]:
    return tuple(quote(key) for key in _data()["quotes"])


@cache
def _glosses() -> dict:
    return json.loads(GLOSSES_FILE.read_text(encoding="utf-8"))["glosses"]


def gloss(key: str) -> Gloss:
    return Gloss(key=key, **_glosses()[key])


def all_glosses() -> tuple[Gloss, ...]:
    return tuple(gloss(key) for key in _glosses())


@cache
def report_text() -> str:
    return REPORT_FILE.read_text(encoding="utf-8")


def quote_language(entry: Quote) -> str:
    """The language a quotation's words are in: its own where given, else its source's."""
    return entry.language or next(s.language for s in all_sources() if s.key == entry.source)
