"""A page's reference list and its citations: the list names exactly the sources the page cites, numbered
1, 2, ... in its own order, and every reference link shows its source's number in that list.

A page cites a source with a cited number (``data-fact="cited.…"``), a quotation (``data-quote``), a gloss of a
source's words (``data-gloss`` whose entry names a source) or a reference link (``a.source-ref``, whose
``data-cites`` names the source). Every page once listed all five sources, whether it cited them or not.
"""

from __future__ import annotations

from functools import cache

from ..core import sources
from .context import Context, squash
from .visible import Element


def listed_sources(root: Element) -> dict[str, int]:
    """The page's reference list: each source it names, with its number there (its place in the list)."""
    keys = [e.attrs["data-source"] for e in root.walk() if "data-source" in e.attrs]
    return {key: keys.index(key) + 1 for key in keys}


def cited_sources(root: Element, ctx: Context) -> dict[str, str]:
    """Every source the page cites, with where it first does: a cited number, a quotation, a gloss of a source's
    words, a reference link (each link's number must be its source's in the page's list)."""
    cited: dict[str, str] = {}
    numbers = cited_numbers()
    for element in root.walk():
        fact, quote, gloss = (element.attrs.get(name, "") for name in ("data-fact", "data-quote", "data-gloss"))
        if fact.startswith("cited.") and fact[len("cited."):] in numbers:
            cited.setdefault(sources.cited_source(fact[len("cited."):]), f"fact {fact}")
        elif quote in quotations_by_key():
            cited.setdefault(quotations_by_key()[quote], f"quotation {quote}")
        elif gloss and gloss in glosses_by_key() and glosses_by_key()[gloss] is not None:
            cited.setdefault(str(glosses_by_key()[gloss]), f"gloss {gloss}")
        elif element.tag == "a" and element.has_class("source-ref"):
            key = element.attrs.get("data-cites", "")
            cited.setdefault(key, f"reference {squash(element.text())}")
            number = ctx.source_numbers.get(key)
            if squash(element.text()) != f"[{number}]":
                ctx.fail(f"reference to {key!r}", f"[{number}], its number in the page's list" if number else
                         "a source of the page's list", repr(squash(element.text())))
    return cited


def check_sources(root: Element, ctx: Context) -> set[int]:
    """The page's reference list holds the sources' data, numbered 1, 2, ... in its own order, and lists exactly
    the sources the page cites: every page once listed all five, cited or not."""
    done: set[int] = set()
    listed = [e for e in root.walk() if "data-source" in e.attrs]
    keys = [e.attrs["data-source"] for e in listed]
    if len(set(keys)) != len(keys):
        ctx.fail("references", "each source once", ", ".join(keys))
    for position, element in enumerate(listed, start=1):
        done.add(id(element))
        key = element.attrs["data-source"]
        entry = next((s for s in sources.all_sources() if s.key == key), None)
        if entry is None:
            ctx.fail(f"source {key}", "a source held in data/sources.json", "an unknown one")
            continue
        if squash(element.text()) != squash(entry.citation):
            ctx.fail(f"source {key}", repr(entry.citation), repr(element.text()))
        item = next((node for node in element.ancestors() if node.tag == "li"), None)
        parent = item.parent if item is not None else None
        if item is None or parent is None or parent.tag != "ol":
            ctx.fail(f"source {key}", "an item of the numbered reference list", "elsewhere")
            continue
        number = [c for c in parent.children if isinstance(c, Element) and c.tag == "li"].index(item) + 1
        number += int(parent.attrs.get("start", "1")) - 1
        if number != position:
            ctx.fail(f"source {key}", f"number {position}", f"number {number}")
    cited = cited_sources(root, ctx)
    for key, where in cited.items():
        if key not in ctx.source_numbers:
            ctx.fail(f"source {key}", "listed in the page's references, since the page cites it", f"unlisted ({where})")
    for key in [key for key in ctx.source_numbers if key not in cited]:
        ctx.fail(f"source {key}", "listed only if the page cites it", "listed, never cited")
    return done


@cache
def quotations_by_key() -> dict[str, str]:
    return {entry.key: entry.source for entry in sources.all_quotes()}


@cache
def glosses_by_key() -> dict[str, str | None]:
    return {entry.key: entry.source for entry in sources.all_glosses()}


@cache
def cited_numbers() -> frozenset[str]:
    return frozenset(sources.cited_numbers())
