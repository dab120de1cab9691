"""Edits to a built site's pages, the way a template or a hand could change what a reader gets.

The check reads the built HTML, so tests break that. A snippet written in
Markdown is rendered with the site's own Markdown extensions first (the
content MkDocs would have built from it), then placed in the page.
"""

from __future__ import annotations

from pathlib import Path

import markdown

from generator.verify import site_config

from .conftest import ROOT


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def markdown_html(snippet: str) -> str:
    """A Markdown snippet as the site's build renders it (mkdocs.yml's extensions and their settings)."""
    mkdocs_yml = ROOT / "mkdocs.yml"
    names, settings = site_config.extensions(mkdocs_yml, site_config.load(mkdocs_yml))
    return markdown.Markdown(extensions=list(names), extension_configs=settings).convert(snippet)


def insert_before_heading(page: Path, heading_id: str, snippet: str, *, html: bool = False) -> None:
    """The snippet (Markdown, or HTML as it is) placed just before the heading with that id."""
    opening = next(f"<{tag} id=\"{heading_id}\"" for tag in ("h1", "h2", "h3", "h4")
                   if f"<{tag} id=\"{heading_id}\"" in page.read_text(encoding="utf-8"))
    edit(page, opening, f"{snippet if html else markdown_html(snippet)}\n{opening}")
