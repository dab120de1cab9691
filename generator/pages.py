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

TEMPLATES = Path(__file__).parent / "templates"
TRANSLATIONS = Path(__file__).parent / "translations"
PAGES: tuple[str, ...] = ("index", "maps", "reproducibility")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def format_number(value: Any, style: str = "auto") -> str:
    """The single place numbers become text: thousands with commas, as torchsummary and the report print them."""
    if isinstance(value, bool):
        return str(value)
    if style == "percent":
        return f"{value * 100:.1f}%"
    if style == "sci":
        return f"{value:.2e}"
    if style == "gmacs":
        return f"{value / 1e9:.3f}"
    if style == "plain":
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3g}" if value else "0"
    return str(value)


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
        text = html.escape(format_number(value, style))
        return Markup(f'<span class="fact" data-fact="{path}" data-style="{style}">{text}</span>')

    def t(key: str) -> str:
        if key not in strings:
            raise KeyError(f"translation key {key!r} missing from {language}.json")
        return strings[key]

    def figure(role: str) -> str:
        if role not in figures:
            raise KeyError(f"page asks for figure {role!r}, which this run did not draw")
        return f"img/{figures[role]}"

    env.globals.update(facts=facts, fact=fact, t=t, figure=figure, language=language)
    env.filters.update(number=format_number, shape=shape, formula=formula, user_text=user_text)
    return env


def render_pages(facts: Facts, figures: dict[str, str]) -> dict[str, str]:
    """File name (index.es.md, ...) -> Markdown for every page in every language."""
    pages = {}
    for language in LANGUAGES:
        env = environment(language, facts, figures)
        for page in PAGES:
            pages[f"{page}.{language}.md"] = env.get_template(f"{page}.md.j2").render()
    return pages
