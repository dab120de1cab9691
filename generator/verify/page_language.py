"""Every text a reader meets is in the page's language, or marked as the other's where it must stay so.

A statement is told to be in the other language by its words: the short,
frequent words every sentence of a language needs (articles, prepositions,
conjunctions, common verbs) and the words the theme and the notebook print
on their own ("Search", "weights: random"). Each list holds only words the
other language does not use, so a Spanish sentence that names "Material for
MkDocs" stays Spanish: a statement fails when it holds more of the other
language's words than of its own. That is WCAG's "language of parts": text
in another language is marked with ``lang``, and on these pages only a
verified quotation, a source's reference and the theme's name (a work's
title) may be; marking anything else is refused too, so ``lang`` is no way
around the rule. Code is not read here, nor the notebook's code cells and
their copies for the clipboard; what the code printed is.
"""

from __future__ import annotations

import re
from collections import Counter

from ..core import sources
from .attributes import visible_attributes
from .context import Context, squash
from .links import theme_credit
from .visible import BLOCK_TAGS, INVISIBLE_TAGS, Element

# Words each language's sentences are made of and the other's never are (no "a", "no", "me", "he", "son",
# "y", "al": words or names in both, a variable, "et al.").
FUNCTION_WORDS = {
    "en": frozenset("""the of and with is are was were this that these those from to for on by which what how
        when where it its be been has have had not or an at as than each every into their they we our you your
        can could would should will after before between about only also but if then so such there here
        shows show made""".split()),
    "es": frozenset("""el la los las del de con es está están fue fueron este esta estos estas ese esa esos
        esas que para por una unos unas se su sus lo como cada entre sobre sólo solo también pero si
        entonces así donde cuando cómo qué cuál muestra hecho hay""".split()),
}
# What the theme and the notebook print in a word or two, where a sentence's function words are missing.
INTERFACE_WORDS = {
    "en": frozenset("""search skip copy clipboard previous next share close download contents results back top
        weights random true false difference values negative yes""".split()),
    "es": frozenset("""buscar saltar copiar portapapeles anterior siguiente compartir cerrar descargar
        contenido resultados volver arriba pesos aleatorios aleatorio verdadero falso diferencia valores
        negativos sí""".split()),
}
WORD = re.compile(r"\b[^\W\d_]+\b")  # whole words: the letters inside "18ff85ce…" or "layer1" are none
CODE = frozenset({"code", "pre", "kbd", "samp"})
CODE_CLASSES = frozenset({"highlight-ipynb", "clipboard-copy-txt"})  # a notebook cell's code, and its copy for the clipboard
NOTEBOOK_OUTPUT = "jp-Cell-outputWrapper"  # what a notebook's code printed: shown in <pre>, read like prose
# Where a statement ends: a block, or an element the theme uses for one label (a link, a button).
UNITS = BLOCK_TAGS | frozenset({"td", "th", "div", "a", "button", "label", "title", "summary", "option", "nav",
                                "header", "footer", "section", "article", "figure", "blockquote", "aside"})
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


def words_of(text: str, language: str) -> int:
    return sum(1 for word in WORD.findall(text.lower())
               if word in FUNCTION_WORDS[language] or word in INTERFACE_WORDS[language])


def other_language(text: str, language: str) -> str | None:
    """The other language a statement is written in, or None where its words do not say so."""
    others = [other for other in FUNCTION_WORDS if other != language]
    own = words_of(text, language)
    return next((other for other in others if words_of(text, other) > own), None)


def may_be_marked(element: Element) -> bool:
    """A verified quotation, a source's reference, the theme's name: what keeps its own language here."""
    return ("data-quote" in element.attrs or "data-source" in element.attrs
            or (element.parent is not None and "data-quote" in element.parent.attrs)  # a quotation's paragraph
            or (element.tag == "a" and element.attrs.get("href") == theme_credit()))


def not_read(element: Element, printed: bool) -> bool:
    """Code (what a notebook printed excepted), and what no reader sees."""
    return (element.tag in INVISIBLE_TAGS or not element.classes.isdisjoint(CODE_CLASSES)
            or (element.tag in CODE and not printed))


def marked_other(element: Element, language: str) -> str:
    """The other language an element is marked with (``lang``), or ""."""
    marked = element.attrs.get("lang", "").split("-")[0].lower()
    return marked if marked and marked != language and element.tag != "html" else ""


def unit_lines(unit: Element, language: str, printed: bool) -> list[str]:
    """A statement's lines as a browser lays them out: a line break or a nested block ends one."""
    parts: list[str] = []

    def visit(element: Element, printed: bool) -> None:
        for child in element.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br" or child.tag in UNITS:
                parts.append("\n")
            elif not_read(child, printed) or marked_other(child, language):
                parts.append(" ")
            else:
                visit(child, printed or child.has_class(NOTEBOOK_OUTPUT))

    visit(unit, printed)
    return [line for line in (squash(text) for text in "".join(parts).split("\n")) if line]


def statements(root: Element, language: str, ctx: Context, quoted: list[str]) -> list[tuple[str, str]]:
    """(text, where) for each line of each statement read in the page's language, and each label; a refusal
    for each ``lang`` mark on anything but what may carry one; ``quoted`` gets the key of each quotation marked
    as another language's."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Element, bool]] = [(root, False)]
    while stack:
        element, printed = stack.pop()
        printed = printed or element.has_class(NOTEBOOK_OUTPUT)
        if not_read(element, printed):
            continue
        marked = marked_other(element, language)
        if marked:
            if not may_be_marked(element):
                ctx.fail("language", f"{LANGUAGE_NAMES[language]}; another language marked only on a quotation, "
                         "a source or a name", f"<{element.tag} lang={marked!r}>: {squash(element.text())[:80]!r}")
            quoting = element if "data-quote" in element.attrs else element.parent
            if quoting is not None and "data-quote" in quoting.attrs:
                quoted.append(quoting.attrs["data-quote"])
            continue
        if element is root or element.tag in UNITS:
            found.extend((line, element.tag) for line in unit_lines(element, language, printed))
        found.extend((shown, f"{element.tag} attribute") for shown in visible_attributes(element) if shown.strip())
        stack.extend((child, printed) for child in reversed(element.children) if isinstance(child, Element))
    return found


def check_page_language(root: Element, ctx: Context) -> None:
    """The page's own language on its root, and in every statement a reader meets on it."""
    html = root.find("html")
    if html is not None and html.attrs.get("lang", "").split("-")[0].lower() != ctx.language:
        ctx.fail("language", f"<html lang={ctx.language!r}>", f"lang={html.attrs.get('lang', '')!r}")
    quoted: list[str] = []
    for text, where in statements(root, ctx.language, ctx, quoted):
        other = other_language(text, ctx.language)
        if other is not None:
            ctx.fail("language", f"{LANGUAGE_NAMES[ctx.language]}, the page's language",
                     f"{LANGUAGE_NAMES[other]} in <{where}>: {text[:100]!r}")
    check_translations_shown(root, ctx, quoted)


def check_translations_shown(root: Element, ctx: Context, quoted: list[str]) -> None:
    """A quotation in another language is shown with its translation, each time: this project's (a
    quote-translation of its key) or, for the report's pairs, the report's own (the quotation that translates
    it, on the page)."""
    translations = Counter(e.attrs.get("data-translates") for e in root.walk() if e.has_class("quote-translation"))
    quotations = {e.attrs["data-quote"] for e in root.walk() if "data-quote" in e.attrs}
    for key, times in Counter(quoted).items():
        try:
            paired = sources.quote(key).translated_by
        except KeyError:
            continue  # an unknown quotation: verify/quotations.py names it
        if translations[key] < times and paired not in quotations:
            ctx.fail(f"quotation {key}", f"shown with its translation into {LANGUAGE_NAMES[ctx.language]}",
                     "no translation on the page")
