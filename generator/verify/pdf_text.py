"""What a PDF holds and what a page prints, both as text the PDF check can compare.

The PDF is read with PDFium (pypdfium2: Chrome's PDF engine, in C; pypdf's
pure-Python text extraction took 2 s a PDF, a third of a whole check): its
metadata, its bookmark outline with the page each entry opens, and each page's text. The page's
side is its article as the check already parsed it (verify/visible.py),
less what does not print (scripts, form controls, permalink marks, the
link to the PDF itself, hidden elements: the rule the PDF's composer applies, written here again), with
each SVG figure's drawn text in its place and each ordered list's numbers.

Both sides are compared as character streams without whitespace: a PDF's
text extraction breaks lines and words where the layout did and may run
two spans together, so spaces carry no information, but every other
character does (a digit, a decimal comma, a letter of the other language).
Ligatures and compatibility forms are folded (NFKC) and soft hyphens
dropped; the print stylesheet hyphenates nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from xml.etree import ElementTree

from ..publish.journal import published_bytes
from .site_pages import SITE_ORIGIN
from .visible import Element

NOT_PRINTED_TAGS = frozenset({"script", "style", "template", "select", "input", "button", "canvas", "output",
                              "textarea", "clipboard-copy"})
NOT_PRINTED_CLASSES = frozenset({"headerlink", "anchor-link", "clipboard-copy-txt", "pdf-link"})
SVG_TEXT = "{http://www.w3.org/2000/svg}text"
WHITESPACE = re.compile(r"\s+")
BULLET = "•"  # every unordered list item's marker, at any depth (print.css)
BASELINE_SLACK = 2.0  # points: the font boxes (ascent to descent) of one line start within this of each other
QUOTES = {"es": ("«", "»", "“", "”"), "en": ("“", "”", "‘", "’")}  # <q>'s marks in each language (print.css)


def squeezed(text: str) -> str:
    """Text as both sides are compared: folded (NFKC), no soft hyphen, no whitespace."""
    return WHITESPACE.sub("", unicodedata.normalize("NFKC", text).replace("\u00ad", ""))


@dataclass(frozen=True)
class Bookmark:
    level: int  # 1 for the outline's top entries
    title: str
    page: int  # the page it opens, counted from 1


@dataclass
class PdfReading:
    title: str | None = None
    language: str | None = None
    pages: list[str] = field(default_factory=list)  # each page's text as extracted
    outline: list[Bookmark] = field(default_factory=list)
    problem: str | None = None  # why the file could not be read, if it could not


def read_pdf(data: bytes) -> PdfReading:
    """The PDF's title, language, outline and every page's text; ``problem`` says why not, if it cannot be read."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
        try:
            reading = PdfReading(title=document.get_metadata_dict().get("Title") or None,
                                 language=catalog_language(document))
            reading.pages = [page_text(document[index]) for index in range(len(document))]
            reading.outline = [Bookmark(entry.level + 1, " ".join((entry.get_title() or "").split()),
                                        destination_page(entry)) for entry in document.get_toc()]
        finally:
            document.close()
    except (pypdfium2.PdfiumError, ValueError) as error:
        return PdfReading(problem=" ".join(f"{type(error).__name__}: {error}".split())[:160])
    return reading


def page_text(page: object) -> str:
    """A page's text as PDFium extracts it, in drawing order, its last line (the footer, drawn last) on a line
    of its own. PDFium breaks lines by its own guess, which can run the footer on after the page's last line,
    so the last line is found by where it is drawn: the last characters whose font boxes start level.

    PDFium marks a hyphen that ends a line as U+FFFE: it is the hyphen the page drew (the print stylesheet
    hyphenates nothing, so no hyphen is the layout's)."""
    text_page = page.get_textpage()  # type: ignore[attr-defined]
    try:
        last = last_line_start(text_page)
        lines = (text_page.get_text_range(0, last), text_page.get_text_range(last)) if last else (
            text_page.get_text_range(),)
        return "\n".join(lines).replace("\ufffe", "-")
    finally:
        text_page.close()
        page.close()  # type: ignore[attr-defined]


def last_line_start(text_page: object) -> int:
    """The index of the first character on the baseline of the page's last drawn character (0: the whole page)."""
    baseline = None
    start = 0
    for index in range(text_page.count_chars() - 1, -1, -1):  # type: ignore[attr-defined]
        if text_page.get_text_range(index, 1).isspace():  # type: ignore[attr-defined]
            continue
        bottom = text_page.get_charbox(index, loose=True)[1]  # type: ignore[attr-defined]
        if baseline is not None and abs(bottom - baseline) > BASELINE_SLACK:
            break
        baseline = bottom if baseline is None else baseline
        start = index
    return start


def destination_page(entry: object) -> int:
    """The page a bookmark opens, counted from 1; 0 when it opens none."""
    destination = entry.get_dest()  # type: ignore[attr-defined]
    index = destination.get_index() if destination is not None else None
    return index + 1 if index is not None else 0


def catalog_language(document: object) -> str | None:
    """The catalog's ``/Lang``, which PDFium's high-level API does not read: its C call, UTF-16LE text."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    size = pdfium_c.FPDFCatalog_GetLanguage(document, None, 0)
    if size <= 2:
        return None
    buffer = (ctypes.c_ushort * (size // 2))()
    pdfium_c.FPDFCatalog_GetLanguage(document, buffer, size)
    return bytes(buffer)[:size - 2].decode("utf-16-le")


def printed(element: Element) -> bool:
    return (element.tag not in NOT_PRINTED_TAGS and not element.classes & NOT_PRINTED_CLASSES
            and "hidden" not in element.attrs)


def shown_children(element: Element) -> list[Element | str]:
    """What of an element prints: a closed ``<details>`` only its summary (the family's full tables, 28 of
    the PDF's 67 pages, stay on the site, where the summary says they are), anything else all of it."""
    if element.tag == "details" and "open" not in element.attrs:
        return [child for child in element.children if isinstance(child, Element) and child.tag == "summary"]
    return element.children


@dataclass
class Printed:
    """What some nodes of an article print, squeezed: the text; apart from it each SVG figure's text (WeasyPrint
    draws a page's figures after its text, so they are compared page by page: verify/pdf.py); and where each
    table's rows are in the text, with its header, which a page that a table breaks onto repeats."""

    text: str = ""
    figures: list[str] = field(default_factory=list)
    headers: list[tuple[int, int, str]] = field(default_factory=list)  # (rows' start, rows' end, header)


def printed_text(nodes: list[Element | str], site: Path, url: str, language: str) -> Printed:
    """What these nodes of an article print, in order: their text with their lists' markers and their inline
    quotations' marks, their figures' drawn text, their tables' headers."""
    made = Printed()
    pieces: list[str] = []
    stack: list[Element | str | Callable[[], None]] = list(reversed(nodes))

    def add(piece: str) -> None:
        pieces.append(squeezed(piece))

    while stack:
        node = stack.pop()
        if callable(node):
            node()
        elif isinstance(node, str):
            add(node)
        elif printed(node):
            stack.extend(reversed(shown_children(node)))
            if node.tag == "img":
                made.figures.append(squeezed(figure_text(site, url, node.attrs.get("src", ""))))
            elif node.tag == "li" and node.parent is not None and node.parent.tag in ("ol", "ul"):
                add(f"{list_number(node)}." if node.parent.tag == "ol" else BULLET)
            elif node.tag == "q":
                depth = min(sum(1 for above in node.ancestors() if above.tag == "q"), 1)
                add(QUOTES[language][2 * depth])
                stack.insert(len(stack) - len(node.children), QUOTES[language][2 * depth + 1])
            elif node.tag == "table":
                stack.insert(len(stack) - len(node.children), table_marks(node, made, pieces))
    made.text = "".join(pieces)
    made.figures = [figure for figure in made.figures if figure]
    return made


def table_marks(table: Element, made: Printed, pieces: list[str]) -> Callable[[], None]:
    """What to run once a table is read: note its header's text and where its rows are in the text.

    The header is the table's first row when it is in a ``thead`` (that is the row print.css repeats)."""
    start = sum(map(len, pieces))
    header = next((node for node in table.children if isinstance(node, Element) and node.tag == "thead"), None)
    header_text = squeezed(header.text()) if header is not None and printed(header) else ""

    def ended() -> None:
        if header_text:
            made.headers.append((start + len(header_text), sum(map(len, pieces)), header_text))

    return ended


def list_number(item: Element) -> int:
    """An ordered list item's number, as a browser counts it (the list's ``start``, one per item)."""
    parent = item.parent
    assert parent is not None
    start = parent.attrs.get("start", "1")
    siblings = [child for child in parent.children if isinstance(child, Element) and child.tag == "li"]
    return (int(start) if start.isdigit() else 1) + siblings.index(item)


def figure_text(site: Path, url: str, source: str) -> str:
    """An SVG figure's drawn text in document order, from the site's file the page shows; "" for any other image."""
    parts = urlsplit(urljoin(url, source))
    if f"{parts.scheme}://{parts.netloc}" != SITE_ORIGIN or not parts.path.lower().endswith(".svg"):
        return ""
    data = published_bytes(site / unquote(parts.path).lstrip("/"))
    try:
        root = ElementTree.fromstring(data or b"")
    except ElementTree.ParseError:
        return ""  # the page's own check names the figure it cannot read
    return "".join("".join(node.itertext()) for node in root.iter(SVG_TEXT))
