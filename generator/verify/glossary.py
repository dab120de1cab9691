"""One term per idea: the variants and calques the glossary refuses, found on a page's own words.

The glossary (`translations/glossary.json`) maps each refused variant to the
term the pages use. Quotations, their translations, the original report's
voice and code keep their own words; everything else a reader sees is read.
"""

from __future__ import annotations

import json
import re
from functools import cache

from ..core.config import PACKAGE
from .attributes import visible_attributes
from .context import Context, squash
from .interpretation import exempt, fixed_sentences
from .visible import Element

GLOSSARY_FILE = PACKAGE / "translations" / "glossary.json"


@cache
def refused(language: str) -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """(pattern, variant, term) for each refused variant of the language, longest first."""
    entries = json.loads(GLOSSARY_FILE.read_text(encoding="utf-8"))[language]
    return tuple((re.compile(rf"(?<![\w-]){re.escape(variant)}(?![\w-])", 0 if variant[:1].isupper() else re.I),
                  variant, term) for variant, term in sorted(entries.items(), key=lambda kv: -len(kv[0])))


@cache
def any_variant(language: str) -> re.Pattern[str]:
    """Every refused variant in one case-blind pattern: most sentences hold none, and one search says so."""
    return re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _variant, _term in refused(language)), re.I)


def variants_in(text: str, language: str) -> list[tuple[str, str]]:
    """Each refused variant the text holds, with the glossary's term for it."""
    if not any_variant(language).search(text):
        return []
    return [(match[0], term) for pattern, _variant, term in refused(language) for match in pattern.finditer(text)]


def check_glossary(root: Element, ctx: Context) -> None:
    """The page's own sentences, claims included, and the attributes a reader meets (a figure's alternative
    text, a tooltip), outside quotations, the report's voice and code."""
    for sentence in [*fixed_sentences(root, keep_claims=True), *_attributes(root)]:
        for found, term in variants_in(sentence, ctx.language):
            ctx.fail("glossary", f"{term!r}, the glossary's term", f"{found!r} in {squash(sentence)[:80]!r}")


def _attributes(root: Element) -> list[str]:
    """The visible attributes of every element outside quotations, the report's voice and code."""
    shown, stack = [], [root]
    while stack:
        element = stack.pop()
        if not exempt(element, keep_claims=True):
            shown.extend(visible_attributes(element))
            stack.extend(child for child in element.children if isinstance(child, Element))
    return shown
