"""MkDocs hooks that make mkdocs-static-i18n and Material work with our pages.

- mkdocs-static-i18n re-creates every file after mkdocs-jupyter has marked the
  notebooks as pages, turning them back into static files (its issue #198), so
  the per-language notebook was published as raw JSON. We mark them again,
  after the i18n plugin.
- The i18n plugin links the home pages, and any page whose translation it did
  not pair (the notebooks), to the root-absolute ``/`` and ``/en/``: wrong on a
  project site served below a path, and wrong page. We link every page to its
  own translation, relative to the site root, as Material's ``url`` filter expects.
- Material looks for ``sitemap.xml`` beside each ``<link rel="alternate">``,
  which the i18n plugin points at the page's translation: without a sitemap
  there, every page logs two 404s. A copy of the sitemap beside every page
  answers those requests.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page


@event_priority(-200)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    for file in files:
        if file.src_uri.endswith(".ipynb") and not file.is_documentation_page():
            file.is_documentation_page = lambda: True  # type: ignore[method-assign]
    return files


@event_priority(-200)
def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Navigation) -> dict[str, Any]:
    i18n = config.plugins.get("i18n")
    alternates = getattr(config.extra, "alternate", None) or config.extra.get("alternate")
    if i18n is None or not alternates:
        return context
    current, default = i18n.current_language, i18n.default_language
    url = page.url
    if current != default and url.startswith(f"{current}/"):
        url = url[len(current) + 1 :]
    links = [
        {**alternate, "link": (url if alternate["lang"] == default else f"{alternate['lang']}/{url}") or "./"}
        for alternate in alternates
    ]
    config.extra.alternate = links  # the i18n plugin sets it as an attribute, which templates read first
    return context


@event_priority(-200)
def on_post_build(config: MkDocsConfig) -> None:
    site = Path(config.site_dir)
    sitemap = site / "sitemap.xml"
    if not sitemap.is_file():
        return
    for page in site.rglob("index.html"):
        if page.parent != site and not (page.parent / "sitemap.xml").exists():
            shutil.copyfile(sitemap, page.parent / "sitemap.xml")
