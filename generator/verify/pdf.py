"""The PDF of each language, held to the pages the check has just read.

The PDF is the site's pages printed: a cover, a table of contents, then
each page as a chapter in the site's order, the report's sources last (the
layout README describes). The check rebuilds what each part must say from
the built pages, never from the code that wrote the PDF, and compares it
with the text PDFium extracts (verify/pdf_text.py says how the text is
compared):

- the document's title is the report's title and its language the page's;
- the bookmark outline is every printed heading, in order;
- the cover is the report's title, its authors' block and the weights'
  provenance as the reproducibility page states it;
- the table of contents lists every chapter and section with the page its
  bookmark opens, and every page after the cover carries its own number;
- the chapters hold exactly the pages' printed text, figures' text and
  list numbers, in order: a changed digit, a missing section, a swapped or
  other-language figure, another run's PDF all differ somewhere, and the
  mismatch names the PDF's page.

So every digit in the PDF is accounted for: a page number where one
belongs, otherwise a character of the pages' verified text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from ..core.translations import translations
from .artifacts import page_text
from .context import squash
from ..publish.journal import published_bytes
from .mismatch import UNREADABLE, Mismatch
from .pdf_text import PdfReading, Printed, printed, printed_text, read_pdf, squeezed
from .site_pages import SITE_ORIGIN, page_file, page_path, page_url
from .visible import HEADINGS, Element, parse_html

CHAPTERS = ("index", "maps", "explorer", "family", "experiment", "reproducibility", "notebook")
LINKED = CHAPTERS[:-1]  # the pages written from templates, each of which offers its language's PDF
LOCATED = ("explorer", "notebook")  # interactive on the site: their chapters say where they live
CONTEXT = 40  # characters of the text shown around a difference
Fail = Callable[[int, str, str, str], None]  # (the PDF's page, 0 for the whole file; place; expected; found)


@dataclass(frozen=True)
class Chapter:
    printed: Printed
    headings: list[tuple[int, str]]  # (bookmark level, words)


def article(site: Path, page: str, language: str) -> Element | None:
    """The page's article; None if the page is not a readable regular file (its own reading names it)."""
    text = page_text(page_file(site, page, language))
    return parse_html(text).find("article") if text is not None else None


def printed_nodes(nodes: list[Element | str]) -> list[Element]:
    return [node for parent in nodes if isinstance(parent, Element) for node in parent.walk()
            if printed(node) and all(printed(above) for above in node.ancestors())]


def headings_of(nodes: list[Element | str], first_level: int | None = None) -> list[tuple[int, str]]:
    """The printed headings among these nodes, each with its bookmark level (the first one's given, if given)."""
    found = [(int(node.tag[1]), squash("".join(piece if isinstance(piece, str) else piece.text()
                                               for piece in node.children if isinstance(piece, str) or printed(piece))))
             for node in printed_nodes(nodes) if node.tag in HEADINGS]
    if found and first_level is not None:
        found[0] = (first_level, found[0][1])
    return found


def sources_split(children: list[Element | str], anchor: str) -> tuple[list[Element | str], list[Element | str]]:
    """The report's children without its sources section, and that section (its heading to the next one)."""
    start = next((i for i, node in enumerate(children) if isinstance(node, Element) and node.tag == "h2"
                  and node.attrs.get("id") == anchor), None)
    if start is None:
        return children, []
    end = next((i for i in range(start + 1, len(children)) if isinstance(children[i], Element)
                and children[i].tag == "h2"), len(children))
    return children[:start] + children[end:], children[start:end]


def expected_chapters(site: Path, language: str) -> list[Chapter] | None:
    """Every chapter as the pages print it, the report's sources last; None if a page cannot be read."""
    strings = translations(language)
    made, sources = [], []
    for page in CHAPTERS:
        found = article(site, page, language)
        if found is None:
            return None
        children = found.children
        if page == "index":
            children, sources = sources_split(children, strings["sources_anchor"])
        located = strings["pdf_lives_at"].replace("{address}", "/" + page_path(page, language)) \
            if page in LOCATED else ""
        shown = printed_text(children, site, page_url(page, language), language)
        made.append(Chapter(joined([Printed(squeezed(located)), shown]), headings_of(children)))
    made.append(Chapter(printed_text(sources, site, page_url("index", language), language), headings_of(sources, 1)))
    return made


def expected_cover(site: Path, language: str) -> tuple[str, str] | None:
    """The report's title and the cover's text: the title, the authors' block, the weights' heading and rows."""
    index, reproducibility = article(site, "index", language), article(site, "reproducibility", language)
    if index is None or reproducibility is None:
        return None
    title = index.find("h1")
    authors = next((node for node in index.walk() if node.has_class("report-authors")), None)
    claim = next((node for node in reproducibility.walk() if node.attrs.get("data-claim") == "weights_trained"), None)
    table = next((node for node in claim.ancestors() if node.tag == "table"), None) if claim else None
    if title is None or authors is None or table is None or table.parent is None:
        return None
    siblings = [node for node in table.parent.children if isinstance(node, Element)]
    heading = next((node for node in reversed(siblings[:siblings.index(table)]) if node.tag == "h2"), None)
    if heading is None:
        return None
    rows = [[cell.text() for cell in row.walk() if cell.tag == "td"] for row in table.walk()
            if row.tag == "tr" and row.parent is not None and row.parent.tag == "tbody"]
    words = headings_of([title])[0][1]
    provenance = headings_of([heading])[0][1] + ":" + ";".join(f"{row[0]}:{''.join(row[1:2])}" for row in rows)
    authors_text = printed_text([authors], site, page_url("index", language), language).text
    return words, squeezed(words) + authors_text + squeezed(provenance)


def check_pdf(site: Path, language: str, mismatches: list[Mismatch]) -> None:
    """The language's PDF against the pages of the built site, every rule of this module."""
    name = translations(language)["pdf_file"]
    data = published_bytes(site / name)
    if data is None:
        mismatches.append(Mismatch(name, "PDF", f"the {language} report as a PDF at the site's root",
                                   "none" if not (site / name).exists() else UNREADABLE))
        return
    reading = read_pdf(data)
    chapters, cover = expected_chapters(site, language), expected_cover(site, language)
    if reading.problem is not None or chapters is None or cover is None:
        found = reading.problem or "pages without the chapters', cover's or provenance's parts"
        mismatches.append(Mismatch(name, "PDF", "a PDF PDFium reads, of pages the check read", found))
        return
    title, cover_text = cover
    check_links(site, language, name, mismatches)
    def fail(page: int, place: str, expected: str, found: str) -> None:
        mismatches.append(Mismatch(f"{name}, page {page}" if page else name, place, expected, found))

    if (reading.title, reading.language) != (title, language):
        fail(0, "metadata", f"title {title!r}, language {language!r}", f"{reading.title!r}, {reading.language!r}")
    check_outline(reading, [heading for chapter in chapters for heading in chapter.headings], fail)
    bodies = footers_taken(reading, fail)
    if squeezed(reading.pages[0] if reading.pages else "") != cover_text:
        fail(1, "cover", f"{difference(cover_text, squeezed(reading.pages[0]) if reading.pages else '')}", "other text")
    first = reading.outline[0].page if reading.outline else 2
    contents = squeezed(translations(language)["pdf_contents"]) + "".join(
        squeezed(mark.title) + str(mark.page) for mark in reading.outline if mark.level <= 2)
    compare_stream(contents, bodies[1:first - 1], 2, "table of contents", fail)
    compare_pages(joined([chapter.printed for chapter in chapters]), bodies[first - 1:], first, fail)


def check_links(site: Path, language: str, name: str | None, mismatches: list[Mismatch]) -> None:
    """Each page of the language offers its PDF, by a link that leads to the PDF at the site's root; none when
    the site has no PDF (``name`` None: built with --no-pdf)."""
    for page in LINKED:
        found = article(site, page, language)
        links = [node for node in found.walk() if node.tag == "a" and node.parent is not None
                 and node.parent.has_class("pdf-link")] if found is not None else []
        targets = {urljoin(page_url(page, language), node.attrs.get("href", "")) for node in links}
        if targets != ({f"{SITE_ORIGIN}/{name}"} if name else set()):
            mismatches.append(Mismatch(f"{page_path(page, language) or '/'} ({page}.{language})", "link to the PDF",
                                       f"one to {name} at the site's root" if name else "none (built with --no-pdf)",
                                       ", ".join(sorted(targets)) or "none"))


def check_outline(reading: PdfReading, headings: list[tuple[int, str]], fail: Fail) -> None:
    """The bookmarks are the printed headings, in order, each opening a page no earlier than the one before."""
    found = [(mark.level, mark.title) for mark in reading.outline]
    pages = [mark.page for mark in reading.outline]
    if found != headings:
        at = next((i for i, pair in enumerate(zip(found, headings)) if pair[0] != pair[1]), min(len(found), len(headings)))
        expected = headings[at] if at < len(headings) else "no more bookmarks"
        got = found[at] if at < len(found) else "none"
        page = reading.outline[at].page if at < len(reading.outline) else len(reading.pages)
        fail(page, f"bookmark {at + 1}", f"the printed heading {expected}", f"{got}")
    elif pages != sorted(pages) or (pages and not 2 < pages[0] <= len(reading.pages)):
        fail(0, "bookmarks", "pages in the headings' order, after the cover and contents", str(pages))


def footers_taken(reading: PdfReading, fail: Fail) -> list[str]:
    """Each page's text without its footer, the page's own number (the cover has none), squeezed."""
    bodies = []
    for number, text in enumerate(reading.pages, start=1):
        lines = text.rstrip().split("\n")
        if number > 1:
            if lines[-1].strip() != str(number):
                fail(number, "footer", f"the page's number {number}", repr(lines[-1].strip()[-CONTEXT:]))
            lines = lines[:-1]
        bodies.append(squeezed("\n".join(lines)))
    return bodies


def compare_stream(expected: str, pages: list[str], first: int, place: str, fail: Fail) -> None:
    """These pages' text, from page ``first`` on, must be ``expected``; the first difference names its page."""
    found = "".join(pages)
    if found == expected:
        return
    at = next((i for i, pair in enumerate(zip(found, expected)) if pair[0] != pair[1]), min(len(found), len(expected)))
    page, seen = first, 0
    for text in pages:
        if seen + len(text) > at:
            break
        seen += len(text)
        page += 1
    fail(min(page, first + max(len(pages) - 1, 0)), place, repr(expected[max(at - CONTEXT, 0):at + CONTEXT]),
         repr(found[max(at - CONTEXT, 0):at + CONTEXT]))


def compare_pages(expected: Printed, pages: list[str], first: int, fail: Fail) -> None:
    """Each page from ``first`` on is the next stretch of the text, then the next whole figures' text (WeasyPrint
    draws a page's figures after its text); the first page that is not names the difference."""
    at, figure = 0, 0
    for number, page in enumerate(pages, start=first):
        fitted = page_fit(expected, page, at, figure)
        if fitted is None:
            fail(number, "text", *differences(expected.text[at:], page))
            return
        at, figure = fitted
    if at != len(expected.text) or figure != len(expected.figures):
        rest = expected.text[at:at + CONTEXT] or f"figure {figure + 1}'s text"
        fail(first + len(pages) - 1, "end", f"more: {rest!r}", "the last page")


def joined(parts: list[Printed]) -> Printed:
    """One stretch of print after another: texts and figures in order, tables' places moved along."""
    whole, offset = Printed(), 0
    for part in parts:
        whole.figures += part.figures
        whole.headers += [(start + offset, end + offset, header) for start, end, header in part.headers]
        offset += len(part.text)
    whole.text = "".join(part.text for part in parts)
    return whole


def page_fit(expected: Printed, page: str, at: int, figure: int) -> tuple[int, int] | None:
    """Where the text and the figures go on after this page, if it is text from ``at`` then whole figures; a
    page that a table breaks onto starts with the table's header again."""
    repeated = next((header for start, end, header in expected.headers if start < at < end), "")
    if repeated and page.startswith(repeated):
        fitted = text_then_figures(expected, page[len(repeated):], at, figure)
        if fitted is not None:
            return fitted
    return text_then_figures(expected, page, at, figure)


def text_then_figures(expected: Printed, page: str, at: int, figure: int) -> tuple[int, int] | None:
    """Where the text and the figures go on after this page, if it is text from ``at`` then whole figures."""
    drawn = ""
    for count in range(len(expected.figures) - figure + 1):
        if count:
            drawn = drawn + expected.figures[figure + count - 1]
        if len(drawn) > len(page):
            return None
        if page.endswith(drawn) and expected.text.startswith(page[:len(page) - len(drawn)], at):
            return at + len(page) - len(drawn), figure + count
    return None


def differences(expected: str, found: str) -> tuple[str, str]:
    at = next((i for i, pair in enumerate(zip(found, expected)) if pair[0] != pair[1]), min(len(found), len(expected)))
    return repr(expected[max(at - CONTEXT, 0):at + CONTEXT]), repr(found[max(at - CONTEXT, 0):at + CONTEXT])


def difference(expected: str, found: str) -> str:
    at = next((i for i, pair in enumerate(zip(found, expected)) if pair[0] != pair[1]), min(len(found), len(expected)))
    return f"{expected[max(at - CONTEXT, 0):at + CONTEXT]!r} (found {found[max(at - CONTEXT, 0):at + CONTEXT]!r})"
