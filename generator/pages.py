"""Facts + templates + translations -> Markdown, one set of pages per language.

Number formats live only in the filters here. Every number a template shows
goes through ``fact()``, which tags it with the path it came from; the check
reads those tags back, and any untagged number in prose is an error.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .config import LANGUAGES
from .facts import Facts, lookup
from .figures import FIGURE_FOLDER

TEMPLATES = Path(__file__).parent / "templates"
TRANSLATIONS = Path(__file__).parent / "translations"
PAGES: tuple[str, ...] = ("index", "maps", "reproducibility")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


# language -> (thousands separator, decimal mark, gap before %); Spanish after the RAE:
# a narrow no-break space groups thousands (not in four-digit numbers), a comma marks decimals.
NUMBER_STYLES: dict[str, tuple[str, str, str]] = {"en": (",", ".", ""), "es": ("\u202f", ",", "\u202f")}


def format_number(value: Any, style: str = "auto", language: str = "en") -> str:
    """The single place prose numbers become text, in the reader's language."""
    thousands, decimal, percent_gap = NUMBER_STYLES[language]
    if isinstance(value, bool) or style == "plain" or not isinstance(value, (int, float)):
        return str(value)
    if style == "percent":
        text, suffix = f"{value * 100:.1f}", f"{percent_gap}%"
    elif style == "sci":
        text, suffix = f"{value:.2e}", ""
    elif style == "gmacs":
        text, suffix = f"{value / 1e9:.3f}", ""
    elif isinstance(value, int):
        grouped = language == "en" or abs(value) >= 10_000
        text, suffix = (f"{value:,}" if grouped else str(value)), ""
    else:
        text, suffix = (f"{value:.4g}" if value else "0"), ""
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands) + suffix


def torchsummary_count(value: int) -> str:
    """Parameter counts in the summary table, exactly as torchsummary (and the report) print them."""
    return f"{value:,}"


def shape(values: tuple[int, ...] | list[int]) -> str:
    """torchsummary's output-shape cell: [-1, 64, 112, 112]."""
    return "[" + ", ".join(str(v) for v in values) + "]"


def formula(terms: tuple[tuple[int, ...], ...] | list[list[int]]) -> str:
    """The "Cálculos" cell: products joined by +, or - when a layer has no parameters."""
    if not terms:
        return "-"
    return " + ".join(" \\* ".join(str(f) for f in term) for term in terms)


def user_text(value: str) -> Markup:
    """Text a user gave (a file name): no HTML, no Markdown link or emphasis can come through."""
    return Markup(MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(value), quote=True)))


@cache
def translations(language: str) -> dict[str, str]:
    return json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))


def environment(language: str, facts: Facts, figures: dict[str, str]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([TEMPLATES / language, TEMPLATES / "shared"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    strings = translations(language)

    def fact(path: str, style: str = "auto") -> Markup:
        value = lookup(facts, path)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            style = "plain"  # words, hashes, versions: shown as they are in every language
        text = html.escape(format_number(value, style, language))
        return Markup(f'<span class="fact" data-fact="{path}" data-style="{style}">{text}</span>')

    def t(key: str) -> str:
        if key not in strings:
            raise KeyError(f"translation key {key!r} missing from {language}.json")
        return strings[key]

    def figure(role: str) -> str:
        if role not in figures:
            raise KeyError(f"page asks for figure {role!r}, which this run did not draw")
        return f"{FIGURE_FOLDER}/{figures[role]}"

    env.globals.update(facts=facts, fact=fact, t=t, figure=figure, language=language)
    env.filters.update(torchsummary_count=torchsummary_count, shape=shape, formula=formula, user_text=user_text)
    return env


def render_pages(facts: Facts, figures: dict[str, str]) -> dict[str, str]:
    """File name (index.es.md, ...) -> Markdown for every page in every language."""
    pages = {}
    for language in LANGUAGES:
        env = environment(language, facts, figures)
        for page in PAGES:
            pages[f"{page}.{language}.md"] = env.get_template(f"{page}.md.j2").render()
    return pages
