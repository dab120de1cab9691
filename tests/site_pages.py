"""What the content rules' tests share: a Context for a language, and every page of a built site's HTML."""

from __future__ import annotations

from pathlib import Path

from generator.core.config import FIGURE_FOLDER, LANGUAGES
from generator.core.translations import translations
from generator.verify.context import Context
from generator.verify.values import Expected
from generator.verify.visible import Element, parse_html

from .conftest import ROOT


def context(expected: Expected | None, language: str, page: str = "page", figure_names: frozenset[str] = frozenset()
            ) -> Context:
    """A Context whose failures are kept in its ``mismatches``."""
    return Context(expected=expected, language=language, strings=translations(language),  # type: ignore[arg-type]
                   figure_names=set(figure_names), mkdocs_yml=ROOT / "mkdocs.yml", mismatches=[], page=page)


def failures(ctx: Context) -> list[str]:
    return [str(m) for m in ctx.mismatches]


def site_articles(site: Path) -> list[tuple[str, str, Element]]:
    """Every HTML page of a built site with its language and its content (the theme's article), 404 included.

    A page under site/<language>/ is in that language; any other in the first (the default) one.
    """
    pages = []
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site)
        language = relative.parts[0] if relative.parts[0] in LANGUAGES[1:] else LANGUAGES[0]
        root = parse_html(path.read_text(encoding="utf-8"))
        article = next(e for e in root.walk() if e.tag == "article")
        pages.append((str(relative), language, article))
    assert {language for _, language, _ in pages} == set(LANGUAGES) and len(pages) > 2 * len(LANGUAGES)
    return pages


def figures_in(site: Path) -> frozenset[str]:
    return frozenset(path.name for pattern in ("*.png", "*.svg") for path in (site / FIGURE_FOLDER).glob(pattern))
