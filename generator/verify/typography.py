"""One typography of numbers per language, held on every statement a reader sees, tagged values included.

The writer (report/pages.py) keeps to it; this module refuses the other conventions wherever they appear,
since a shape or a sign is made of several pieces (two tagged sides and the sign between them) that no single
value's grammar (verify/numbers.py) sees together:

- a negative number's sign is the minus sign U+2212, never the hyphen-minus;
- a shape or size is its sides joined by the multiplication sign, without spaces and without a thousands
  separator or decimal mark in a side: ``1024×14×14``, ``224×224`` (not ``1,024x14x14``, ``224 x 224``);
- a scientific value is in the language's notation only, ``1.00 × 10⁻⁵`` in English and ``1,00·10⁻⁵`` in
  Spanish: e-notation (``1e-05``, ``1,00e-05``) is nowhere in prose, and an exact zero is ``0``.

Code, verified quotations, the sources and torchsummary's tables (its own format, ``[-1, 64, 112, 112]``,
said so on the page) keep theirs.
"""

from __future__ import annotations

import re

from .attributes import visible_attributes
from .context import Context, squash
from .visible import INVISIBLE_TAGS, Element

SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
# The language's scientific notation (translations: number.scientific), taken out before shapes are read:
# its × (English) is the notation's, not a shape's.
SCIENTIFIC = {"en": re.compile(rf"\u2212?[0-9](?:\.[0-9]+)? × 10[{SUPERSCRIPT}]+"),
              "es": re.compile(rf"\u2212?[0-9](?:,[0-9]+)?·10[{SUPERSCRIPT}]+")}
ZERO_MANTISSA = re.compile(r"^\u2212?0(?:[.,]0*)?\D")
# (pattern, the convention it breaks), in every language
RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![\w.,)\]/\u2212-])-(?=[0-9])"), "the minus sign U+2212 before a negative number, "
                                                      "not the hyphen-minus"),
    (re.compile(r"[0-9](?:[xX]| [xX] )(?=[0-9])"), "the multiplication sign between the sides of a shape (224×224), "
                                             "not the letter x"),
    (re.compile(r"[0-9](?:\s+×\s*|\s*×\s+)(?=[0-9])"), "no space around the multiplication sign of a shape "
                                                        "(224×224)"),
    (re.compile(r"[0-9][,.\u202f][0-9]+×|×[0-9]+[,.\u202f](?=[0-9])"),
     "a shape's sides without a thousands separator or decimal mark (1024×14×14)"),
    (re.compile(r"(?<![\w.,])[0-9]+(?:[.,][0-9]+)?[eE][+\-\u2212]?[0-9]+(?!\w)"),
     "the language's scientific notation (1.00 × 10⁻⁵, 1,00·10⁻⁵), never e-notation"),
)
# Any of the rules or a scientific value: one pass lets most text through.
SUSPECT = re.compile("|".join([pattern.pattern for pattern, _ in RULES] + [p.pattern for p in SCIENTIFIC.values()]))
DIGIT = re.compile("[0-9]")
EXEMPT_TAGS = frozenset({"code", "pre", *INVISIBLE_TAGS})
EXEMPT_ATTRIBUTES = frozenset({"data-quote", "data-source"})  # a source's words and its reference, as the source wrote them
# Elements inside a line of text: their words join their neighbours' (two tagged sides and the × between them
# are one shape); every other element is a block whose text is read on its own.
INLINE = frozenset({"span", "a", "em", "strong", "b", "i", "sub", "sup", "abbr", "q", "small", "mark", "kbd",
                    "cite", "s", "u", "del", "ins", "label", "output", "time", "br", "wbr", "img"})


def check_typography(root: Element, ctx: Context, skip: set[int]) -> None:
    """Fail on each number written in another convention than the language's, in text and visible attributes;
    ``skip`` holds elements that keep their own format (torchsummary's tables, the notebook's code)."""
    stack = [root]
    while stack:
        element = stack.pop()
        if _exempt(element, skip):
            continue
        for shown in visible_attributes(element):
            _check_piece(shown, ctx, "typography (attribute)")
        if element.tag not in INLINE:
            for run in _runs(element, skip):
                _check_piece(run, ctx, "typography")
        stack.extend(child for child in reversed(element.children) if isinstance(child, Element))


def _exempt(element: Element, skip: set[int]) -> bool:
    return id(element) in skip or element.tag in EXEMPT_TAGS or not EXEMPT_ATTRIBUTES.isdisjoint(element.attrs)


def _runs(block: Element, skip: set[int]) -> list[str]:
    """The block's own text as a reader reads it, its inline values included; a nested block or an exempt
    element breaks it into runs (the nested block is read from its own element)."""
    runs, current = [], []
    for child in block.children:
        if isinstance(child, str):
            current.append(child)
        elif _exempt(child, skip) or child.tag not in INLINE:
            runs.append("".join(current))
            current = []
        else:
            current.append(_inline_text(child, skip))
    runs.append("".join(current))
    return [run for run in runs if DIGIT.search(run)]


def _inline_text(element: Element, skip: set[int]) -> str:
    """An inline element's text (a tagged value, an emphasis), an exempt part of it read as a gap."""
    if _exempt(element, skip):
        return " "
    return "".join(c if isinstance(c, str) else _inline_text(c, skip) for c in element.children)


def _check_piece(text: str, ctx: Context, place: str) -> None:
    if not SUSPECT.search(text):
        return
    for match in SCIENTIFIC[ctx.language].finditer(text):
        if ZERO_MANTISSA.match(match[0]):
            ctx.fail(place, "an exact zero written 0", f"{match[0]!r} in {squash(text)[:80]!r}")
    plain = SCIENTIFIC[ctx.language].sub(" ", text)
    for pattern, convention in RULES:
        for match in pattern.finditer(plain):
            ctx.fail(place, convention, f"{squash(match[0])!r} in {squash(text)[:80]!r}")
