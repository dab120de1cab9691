"""Quotations as a reader meets them: any words in quotation marks of either language, and any block styled as a quote.

A reader takes words in quotation marks, or in a quote-styled block, for someone's words, whatever their
length. So each must be one of three things, each held to data: a verified quotation (`data-quote`, the
source's words in data/sources.json), that quotation's translation (`.quote-translation`, the translation kept
beside it there), or a gloss (`data-gloss`: a short term in marks, one entry of data/glosses.json, whose
words the original report or the site's own names hold). A verified quotation holds nothing but the quoted
words and their attribution, so that nothing unverified hides inside one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..core import sources
from .context import Context, squash
from .numbers import NUMBER_CATEGORIES
from .report_voice import SOURCE_LANGUAGE
from .attributes import framed_page, visible_attributes
from .visible import INVISIBLE_TAGS, Element

QUOTE_STYLED = ("quote", "cite")  # the admonition types Material draws as a quotation (`!!! quote`, `??? cite`)
MARKS = re.compile("[“”„‚‘’«»‹›\"']")
SINGLE = "'’"  # a quotation mark or an apostrophe ("layer1's", "models' weights"), by where it stands
BEFORE_OPENING = "([{¿¡—–-/“‘«‹„‚\"'"  # what may stand before an opening mark, besides a space or the start
AFTER_CLOSING = ".,;:!?)]}…—–-/”’»›\"'"  # what may stand after a closing mark, besides a space or the end
CODE_TAGS = frozenset({"pre", "code", "kbd", "samp"})
CODE_CLASSES = frozenset({"CodeMirror"})  # the notebook's code cells (mkdocs-jupyter), with the copy of their text
INLINE_TAGS = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "img", "kbd",
                         "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
                         "wbr", "br", "input", "label", "output"})
CHECKED_WORD = "\ufffc"  # where a checked element stands in its sentence: a word, so "layer1's" stays an apostrophe
GLOSS_MOST_WORDS = 5
MARKS_EXPECTED = "a verified quotation (quote()), its translation, or a gloss (gloss(), data/glosses.json)"
PLAIN, CHECKED, CODE = "plain", "checked", "code"


def check_quotes(root: Element, ctx: Context) -> set[int]:
    """Every verified quotation is its source's exact words and nothing else; returns the ids of the quotations
    and their translations (the translations' words are held to data/sources.json by interpretation.py)."""
    done: set[int] = set()
    for element in (e for e in root.walk() if "data-quote" in e.attrs):
        done.add(id(element))
        key = element.attrs["data-quote"]
        try:
            entry = sources.quote(key)
        except KeyError:
            ctx.fail(f"quotation {key}", "a quotation held in data/sources.json", "an unknown one")
            continue
        if element.tag == "q":
            _check_words(element, squash(entry.text), f"quotation {key}", ctx)
        elif element.tag == "blockquote":
            _check_block(element, entry, ctx)
        else:
            ctx.fail(f"quotation {key}", "a <blockquote> or <q> (quote(), inline_quote())", f"<{element.tag}>")
        if entry.source == "report" and squash(entry.text) not in squash(sources.report_text()):
            ctx.fail(f"quotation {key}", "words that are in the original report", repr(entry.text[:80]))
    for element in (e for e in root.walk() if e.has_class("quote-translation")):
        done.add(id(element))
        if _elements(element):
            ctx.fail(f"translation of {element.attrs.get('data-translates', '')}", "only the translation's words",
                     ", ".join(f"<{child.tag}>" for child in _elements(element)))
    return done


def _elements(element: Element) -> list[Element]:
    return [child for child in element.children if isinstance(child, Element)]


def _check_words(element: Element, wanted: str, place: str, ctx: Context,
                 expected: str = "the source's exact words") -> None:
    """Words alone: no element inside (an image's alt text, a styled span) that the comparison of text would miss."""
    shown = squash(element.text())
    if _elements(element):
        ctx.fail(place, f"{expected} and nothing else",
                 ", ".join(f"<{child.tag}>" for child in _elements(element)) + " inside")
    elif shown != wanted:
        ctx.fail(place, expected, repr(shown[:80]))


def _check_block(element: Element, entry: sources.Quote, ctx: Context) -> None:
    """The quoted words' paragraph, then the attribution's, and nothing else: no third paragraph, no stray text."""
    parts = [child for child in element.children if not isinstance(child, str) or child.strip()]
    if len(parts) != 2 or not all(isinstance(part, Element) and part.tag == "p" for part in parts):
        found = ", ".join(f"<{part.tag}>" if isinstance(part, Element) else repr(squash(part)[:40]) for part in parts)
        ctx.fail(f"quotation {entry.key}", "the quoted words' paragraph and the attribution's, nothing else", found)
        return
    words, attribution = parts
    assert isinstance(words, Element) and isinstance(attribution, Element)
    _check_words(words, f"“{squash(entry.text)}”", f"quotation {entry.key}", ctx)
    wanted = attribution_text(entry, ctx.strings, ctx.source_numbers.get(entry.source))
    links = _elements(attribution)
    if [(link.tag, link.attrs.get("class")) for link in links] != [("a", "source-ref")] or _elements(links[0]):
        ctx.fail(f"quotation {entry.key}, attribution", "the attribution and its reference link, nothing else",
                 ", ".join(f"<{link.tag}>" for link in links) or "no link")
    elif squash(attribution.text()) != wanted:
        ctx.fail(f"quotation {entry.key}, attribution", repr(wanted), repr(squash(attribution.text())))


def attribution_text(entry: sources.Quote, strings: dict[str, str], number: int | None) -> str:
    """Who said the words and where, with the source's number in the page's reference list (None: unlisted)."""
    if entry.source == "report":
        text = strings["quote_from_report"].format(heading=entry.heading)
    else:
        short = next(s.short for s in sources.all_sources() if s.key == entry.source)
        text = strings["quote_from_paper"].format(short=short, section=entry.section, page=entry.page)
    return squash(f"{text} [{number}]")


def check_quote_styled(root: Element, ctx: Context) -> None:
    """A block or an element styled as a quotation (<blockquote>, <q>, a quote or cite admonition) is a verified
    quotation: nothing is presented as a quote that is not one. Content rule: the article or a whole page."""
    for element in root.walk():
        admonition = (element.tag == "details" or element.has_class("admonition")) and any(
            element.has_class(name) for name in QUOTE_STYLED)
        if (element.tag in ("blockquote", "q") or admonition) and "data-quote" not in element.attrs:
            place = f"<{element.tag}>" + (f" ({element.attrs['class']})" if admonition else "")
            ctx.fail(place, "a quotation held in data/sources.json (quote())", repr(squash(element.text())[:60]))


def check_glosses(root: Element, ctx: Context) -> set[int]:
    """Each gloss is one listed entry's words in the language's marks, nothing more; returns the glosses' ids."""
    done: set[int] = set()
    opening, closing = sources.GLOSS_MARKS[ctx.language]
    for element in (e for e in root.walk() if "data-gloss" in e.attrs):
        done.add(id(element))
        key = element.attrs["data-gloss"]
        try:
            entry = sources.gloss(key)
        except KeyError:
            ctx.fail(f"gloss {key}", "a gloss listed in data/glosses.json", "an unknown one")
            continue
        problem = gloss_problem(entry, ctx.language, ctx.strings)
        if problem:
            ctx.fail(f"gloss {key}", f"a term of at most {GLOSS_MOST_WORDS} words, no digit, that its source holds",
                     problem)
            continue
        wanted = f"{opening}{squash(entry.words[ctx.language])}{closing}"
        _check_words(element, wanted, f"gloss {key}", ctx, repr(wanted))
    return done


def gloss_problem(entry: sources.Gloss, language: str, strings: dict[str, str]) -> str:
    """Why a listed gloss cannot stand in this language ("" when it can): too long, a digit, or words its
    source does not hold."""
    words = squash(entry.words.get(language, ""))
    if not words:
        return f"no words in {language}"
    if len(words.split()) > GLOSS_MOST_WORDS:
        return f"{len(words.split())} words: {words[:60]!r}"
    if any(unicodedata.category(character) in NUMBER_CATEGORIES for character in words):
        return f"a digit in {words!r}"
    if entry.source == "report":
        if squash(entry.words.get(SOURCE_LANGUAGE, "")) not in squash(sources.report_text()):
            return f"words the original report does not hold: {entry.words.get(SOURCE_LANGUAGE, '')!r}"
    elif entry.translation is None or strings.get(entry.translation) != words:
        return f"{words!r}, neither the original report's words nor the site's name (translation {entry.translation})"
    return ""


@dataclass
class _Run:
    """The text of one block as a reader reads it, with where each stretch comes from (plain, checked, code)."""

    parts: list[str] = field(default_factory=list)
    kinds: list[tuple[int, str]] = field(default_factory=list)  # (offset, kind) where each stretch starts
    length: int = 0

    def add(self, text: str, kind: str) -> None:
        self.parts.append(text)
        self.kinds.append((self.length, kind))
        self.length += len(text)

    def kind_at(self, offset: int) -> str:
        return next(kind for start, kind in reversed(self.kinds) if start <= offset)


def text_runs(root: Element, checked: set[int]) -> list[_Run]:
    """Every text a reader sees, one run per block and one per visible attribute: the same text nodes and
    attributes as visible_text, with each element already held to data (checked) kept as one word in place."""
    runs: list[_Run] = []
    current = _Run()
    stack: list[tuple[Element | str | None, str]] = [(root, PLAIN)]
    while stack:
        node, kind = stack.pop()
        if isinstance(node, str):
            current.add(node, kind)
            continue
        if node is None or (id(node) in checked and node.tag not in INLINE_TAGS):
            runs.append(current)  # a block ends: its marks do not pair with the next one's
            current = _Run()
            continue
        if id(node) in checked:
            current.add(CHECKED_WORD, CHECKED)
            continue
        if node.tag in INVISIBLE_TAGS:
            continue
        code = kind == CODE or node.tag in CODE_TAGS or not node.classes.isdisjoint(CODE_CLASSES)
        inner = CODE if code else PLAIN
        if id(node.attrs) not in checked:  # a navigation label that repeats a heading is the heading's
            runs.extend(_Run([shown], [(0, inner)], len(shown)) for shown in visible_attributes(node))
        framed = framed_page(node)  # an <iframe srcdoc>: a page of its own, read like this one
        if framed is not None:
            stack.append((framed, inner))
        if node.tag == "br":
            current.add("\n", inner)
        block = node.tag not in INLINE_TAGS
        stack.extend([(None, inner)] if block else [])
        stack.extend((child, inner) for child in reversed(node.children))
        stack.extend([(None, inner)] if block else [])
    runs.append(current)
    return [run for run in runs if run.length]


def marks_outside(run: _Run) -> list[int]:
    """Where the run's quotation marks stand outside checked elements. A single mark (' or ’) is a quotation
    mark where it opens (after a space, the start or a bracket, before a word) or closes an open one;
    elsewhere it is an apostrophe. In code, straight quotes delimit strings."""
    text = "".join(run.parts)
    found = []
    open_single = False
    for match in MARKS.finditer(text):
        offset, mark = match.start(), match.group()
        kind = run.kind_at(offset)
        if kind == CODE and mark in "\"'":
            continue
        if mark in SINGLE:
            before = text[offset - 1] if offset else " "
            after = text[offset + 1] if offset + 1 < len(text) else " "
            if (before.isspace() or before in BEFORE_OPENING) and not after.isspace():
                open_single = True
            elif open_single and not before.isspace() and (after.isspace() or after in AFTER_CLOSING):
                open_single = False
            else:
                continue
        elif mark == "‘":
            open_single = True
        if kind != CHECKED:
            found.append(offset)
    return found


def check_quotation_marks(root: Element, ctx: Context, checked: set[int]) -> None:
    """Any words in quotation marks (“…”, „…“, ‚…‘, ‘…’, «…», ‹…›, "…", '…'), whatever their length, stand inside
    a verified quotation, its translation or a gloss. Text-level rule: pass the whole page (theme included).
    checked: the ids of the elements already held word for word to data (quotations, translations, sources,
    tagged values); glosses are checked here."""
    allowed = checked | check_glosses(root, ctx)
    for run in text_runs(root, allowed):
        text = "".join(run.parts).replace(CHECKED_WORD, "…")
        found = marks_outside(run)
        for first, last in zip(found[::2], [*found[1::2], None]):
            shown = text[first:last + 1] if last is not None and last - first < 100 else text[first:first + 60]
            ctx.fail("quotation marks", MARKS_EXPECTED, repr(squash(shown)))
