"""One piece of text a reader sees, held to the digit rule: every number in it comes from the model or a named
source, and module names appear only as checked labels.

Its own module so that every reader of text (the page's nodes and attributes, CSS-generated text, a frame's
srcdoc) passes through the same function, whatever module found the text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from .context import Context
from .number_words import check_number_words
from .numbers import ALLOWED_NUMBERS, NUMBER_CATEGORIES
from .visible import Element

# "Figura 1", "Figuras 2a y 2b": a figure number, allowed only where that figure is on the page
ALLOWED = re.compile("|".join(f"(?:{pattern})" for pattern, _reason in ALLOWED_NUMBERS))  # one pass, not one each
FIGURE_MENTION = re.compile(r"\b(?:Figura|Figure)s? (?P<first>[0-9]+[ab]?)(?: (?:y|and) (?P<second>[0-9]+[ab]?))?\b")


def check_text(text: str, element: Element, ctx: Context, place: str = "text") -> None:
    """Fail on each untagged number, in digits or in words (verify/number_words.py), and each module name
    written as plain text in text, found in element."""
    if text.isspace() or not text:
        return
    module_name = _module_pattern(frozenset(ctx.expected.module_names))
    image_name = element.attrs.get("src", "") if element.tag == "img" else ""
    for match in module_name.finditer(text):
        if match.group(0) not in image_name:
            ctx.fail(place, "module names only as checked labels", repr(match.group(0)))
    text = module_name.sub(" ", text)
    for match in FIGURE_MENTION.finditer(text):
        for number in filter(None, (match["first"], match["second"])):
            if not any(shown == number or shown.rstrip("ab") == number for shown in ctx.figure_numbers):
                ctx.fail("figure number", f"one of the figures on this page ({', '.join(sorted(ctx.figure_numbers))})",
                         repr(match.group(0)))
    text = FIGURE_MENTION.sub(" ", text)
    text = ALLOWED.sub(" ", text)
    check_number_words(text, ctx)
    for token in text.split():
        if any(unicodedata.category(ch) in NUMBER_CATEGORIES for ch in token):
            ctx.fail(place, "every number to come from the model or a named source (a tagged value)",
                     f"untagged number {token!r}")


@cache
def _module_pattern(names: frozenset[str]) -> re.Pattern[str]:
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])")
