"""What a reader meets in an element's attributes: text a browser shows, reads aloud or submits, the numbers
of a list that does not count 1, 2, 3..., and a frame's srcdoc, a page of its own.

A number hides as well in ``<input value="34">``, ``<meta name="description" content="34 layers">`` (shown
by every search engine and link preview) or ``<ol start="34">`` (whose first item a browser numbers 34) as in
a paragraph. page.py's ``visible_text`` reads these with the page's text, so every rule on text sees them.
"""

from __future__ import annotations

from functools import lru_cache

from .visible import VISIBLE_ATTRIBUTES, Element, parse_html

# Read aloud by screen readers, or shown as a label, on any element.
SPOKEN = ("aria-description", "aria-roledescription", "aria-valuetext", "aria-valuenow", "aria-placeholder",
          "aria-braillelabel", "aria-brailleroledescription", "aria-rowindextext", "aria-colindextext")
# value: shown on buttons and in fields, submitted from every field, read aloud on meters and progress bars.
SHOWN = (*VISIBLE_ATTRIBUTES, *SPOKEN)
VALUED = frozenset({"input", "button", "option", "meter", "progress"})
LABELLED = frozenset({"option", "optgroup", "track"})
# <meta> whose content a reader meets: search results and link previews.
DESCRIBING = frozenset({"description", "og:description", "og:title", "og:site_name", "twitter:description",
                        "twitter:title", "application-name", "apple-mobile-web-app-title"})
FRAMES_KEPT = 32


def visible_attributes(element: Element) -> list[str]:
    """The attribute values of element a reader meets, in a fixed order (a frame's srcdoc: see framed_page)."""
    if not element.attrs and element.tag != "ol":  # most elements: every rule asks of each, several times a page
        return []
    shown = [element.attrs[name] for name in SHOWN if element.attrs.get(name)]
    if element.tag in VALUED and element.attrs.get("value"):
        shown.append(element.attrs["value"])
    if element.tag in LABELLED and element.attrs.get("label"):
        shown.append(element.attrs["label"])
    named = (element.attrs.get("name") or element.attrs.get("property") or "").strip().lower()
    if element.tag == "meta" and named in DESCRIBING and element.attrs.get("content"):
        shown.append(element.attrs["content"])
    if element.tag == "ol":
        shown.extend(str(number) for number in list_numbers(element))
    return shown


def html_integer(value: str | None) -> int | None:
    """An integer as HTML parses one from an attribute ("34th" is 34; "x" is none)."""
    text = (value or "").lstrip(" \t\n\f\r")
    sign = -1 if text.startswith("-") else 1
    text = text.removeprefix("-").removeprefix("+") if text[:1] in "+-" else text
    digits = text[:len(text) - len(text.lstrip("0123456789"))]
    return sign * int(digits) if digits else None


def list_numbers(ordered: Element) -> list[int]:
    """The numbers a browser puts before the items of an <ol>, where they are not 1, 2, 3... (else none)."""
    items = [child for child in ordered.children if isinstance(child, Element) and child.tag == "li"]
    reversed_ = "reversed" in ordered.attrs
    step = -1 if reversed_ else 1
    start = html_integer(ordered.attrs.get("start"))
    number = start if start is not None else (len(items) if reversed_ else 1)
    numbers = []
    for item in items:
        value = html_integer(item.attrs.get("value"))
        number = value if value is not None else number
        numbers.append(number)
        number += step
    return [] if numbers == list(range(1, len(items) + 1)) else numbers


def framed_page(element: Element) -> Element | None:
    """An <iframe srcdoc>'s document, parsed as the page it is (None for any other element)."""
    if element.tag != "iframe" or "srcdoc" not in element.attrs:
        return None
    return _parsed(element.attrs["srcdoc"])


@lru_cache(maxsize=FRAMES_KEPT)
def _parsed(document: str) -> Element:
    return parse_html(document)
