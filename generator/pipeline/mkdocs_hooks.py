"""MkDocs hooks that make mkdocs-static-i18n and Material work with our pages.

- mkdocs-static-i18n re-creates every file after mkdocs-jupyter has marked the
  notebooks as pages, turning them back into static files (its issue #198), so
  the per-language notebook was published as raw JSON. We mark them again,
  after the i18n plugin.
- The i18n plugin links the home pages, and any page whose translation it did
  not pair (the notebooks), to the root-absolute ``/`` and ``/en/``: wrong on a
  project site served below a path, and wrong page. We link every page to its
  own translation, relative to the site root, as Material's ``url`` filter expects.
  The 404 page, which has no translation, links to each language's home.
- A sitemap and ``hreflang`` alternates are only true with absolute addresses,
  and the site knows its address only when ``site_url`` is set (the publishing
  workflow sets it to GitHub Pages' address): without it the sitemap listed
  ``Noneexperiment/``. So the sitemap is written only with a ``site_url``, and it
  alone carries the alternates (Google reads ``hreflang`` there as in a page's
  head). No page's head names them: Material fetches ``sitemap.xml`` beside every
  ``<link rel="alternate">`` of the head, which asked for a copy of the sitemap in
  every page folder. The language switcher keeps its links. The i18n plugin's
  sitemap left out the notebooks (it listed each language's pages before they
  were pages again), and gave every page the build's date as ``<lastmod>``:
  not when the page changed, and two builds of the same inputs differed. The
  notebooks are listed and paired, and no page has a ``<lastmod>``.
- Material loads ``search/search_index.json`` below its base URL, and the i18n
  plugin merges every language into the one index at the site root (its issue
  #271: it cannot be told otherwise), so a Spanish query listed English pages.
  Material's own model is one site, one base, one index per language: each
  language's pages get their language's folder as base, and each folder gets
  an index of its own pages only, with that language's lunr stemmer. The
  titles lose the pilcrow of nbconvert's permanent links, which the search
  plugin (unlike for the toc extension's) keeps in a notebook's headings.
- The toc extension's permalink title is one global Markdown setting, which the
  i18n plugin may not override per language; we set it for each language's
  build from that language's ``extra.permalink_title``.
- mkdocs-jupyter hard-codes an English copy button ("Copy to Clipboard",
  "Copied!") into the notebook pages: we give it Material's own words for the
  page's language, and keep it out of the search index. The JupyterLab
  stylesheet it inlines writes English words ("No results", "Browse", "X")
  into widgets a static page never has: those ``content`` strings are emptied.
- Material's 404 page says "404 - Not found" in English whatever the language,
  and every language build writes it to the site root, the last one winning.
  We render it in the language's ``extra.not_found``: the default language's at
  the root, every other one's in its language's folder (``en/404.html``), where
  a host that looks for the nearest ``404.html`` (Cloudflare Pages, the
  preview server) serves it; GitHub Pages serves the root's.
- Material's search dialog has no accessible name (axe's ``aria-dialog-name``):
  it gets Material's own word for search in the page's language.
- The site's description (``<meta name="description">``) is the translation
  key ``site_description`` of the language being built, read from
  generator/translations/, so each language has its own.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

from jinja2 import Template
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

NOT_FOUND = "404.html"
# Material's 404 page, its one block of content in the language being built.
NOT_FOUND_IN_LANGUAGE = (
    '{% extends "404.html" %}{% block content %}<h1>{{ config.extra.not_found | e }}</h1>{% endblock %}'
)
SITEMAP = "sitemap.xml"
LASTMOD = re.compile(r"\s*<lastmod>[^<]*</lastmod>")  # a page's date in the sitemap: the build's, never the page's
SEARCH_INDEX = Path("search") / "search_index.json"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"  # generator/translations/<language>.json
# The head's language alternates, as Material writes them from `extra.alternate` (the switcher's are <a> links).
HEAD_ALTERNATE = re.compile(r'\s*<link rel="alternate" href="[^"]*" hreflang="[^"]*">')
SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog"'
# mkdocs-jupyter's copy button, its label, and the notice it shows once copied.
NOTEBOOK_COPY_BUTTON = re.compile(r"<clipboard-copy\b.*?</clipboard-copy>", re.DOTALL)
COPY_LABEL = re.compile(r'(<clipboard-copy\b[^>]*?\baria-label=")[^"]*(")')
COPIED_NOTICE = re.compile(r'(<span\b[^>]*\bclass="notice"[^>]*>)[^<]*(</span>)')


# A <style> element of a notebook page, and in it a `content` string with a letter (JupyterLab's widgets' words)
STYLE_ELEMENT = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.DOTALL)
WORD_CONTENT = re.compile(r'\bcontent:\s*"[^"\\]*[^\W\d_][^"\\]*"')


NBCONVERT_ALT = "No description has been provided for this image"
PILCROW = "¶"  # nbconvert's permanent link after a notebook's headings, which the search plugin keeps in titles


def material_text(config: MkDocsConfig, language: str, key: str) -> str:
    """One of Material's UI strings in a language, looked up the way its own templates do (English fallback)."""
    language_config = {"config": {"theme": {"language": language}}}
    template = config.theme.get_env().get_template("partials/language.html", None, language_config)
    return str(template.module.t(key))  # type: ignore[attr-defined]


def folder_of(i18n: BasePlugin, language: str) -> str:
    """Where a language's pages live below the site root: the default language at the root."""
    return "" if language == i18n.default_language else f"{language}/"


def translations_of(
    i18n: BasePlugin, alternates: list[dict[str, Any]], path: str, base: str = ""
) -> list[dict[str, Any]]:
    """The language switcher's entries for one page, given its path inside its language's folder."""
    return [{**alternate, "link": (base + folder_of(i18n, alternate["lang"]) + path) or "./"}
            for alternate in alternates]


def site_description(language: str) -> str:
    """The language's description of the site, from the generator's translations (one file per language)."""
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))
    return str(strings["site_description"])


def finished(output: str, config: MkDocsConfig) -> str:
    """A page or the 404 page as published: no alternates in the head, a name for the search dialog."""
    label = html.escape(material_text(config, config.theme["language"], "search"))
    output = output.replace(SEARCH_DIALOG, f'{SEARCH_DIALOG} aria-label="{label}"', 1)
    head, end, body = output.partition("</head>")
    return HEAD_ALTERNATE.sub("", head) + end + body


@event_priority(-200)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # sitemap.xml.gz's gzip header carries the newest page's date, which MkDocs takes from this variable or the
    # clock: 0 is gzip's "no time", so two builds of the same inputs give the same bytes (a caller may fix another)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    title = config.extra.get("permalink_title")
    if title:
        config.mdx_configs.setdefault("toc", {})["permalink_title"] = title
    config.site_description = site_description(config.theme["language"])
    return config


@event_priority(-200)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    for file in files:
        if file.src_uri.endswith(".ipynb") and not file.is_documentation_page():
            file.is_documentation_page = lambda: True  # type: ignore[method-assign]
    i18n = config.plugins.get("i18n")
    if i18n is not None:
        pair_in_sitemap(i18n, files)
    return files


def pair_in_sitemap(i18n: BasePlugin, files: Files) -> None:
    """The sitemap's pages: the i18n plugin stored each language's before the notebooks were pages again, and
    never paired the notebooks. Each page is paired with the one at the same place in another language's folder
    (languages built earlier are in the plugin's store already; each pairing is made both ways)."""
    pages = files.documentation_pages()
    i18n.i18n_files_per_language[i18n.current_language] = pages
    here = folder_of(i18n, i18n.current_language)
    for language, others in i18n.i18n_files_per_language.items():
        if language == i18n.current_language:
            continue
        there = {file.dest_uri.removeprefix(folder_of(i18n, language)): file for file in others}
        for file in pages:
            other = there.get(file.dest_uri.removeprefix(here))
            if other is not None:
                file.alternates = {**getattr(file, "alternates", {}), i18n.current_language: file, language: other}
                other.alternates = {**getattr(other, "alternates", {}), language: other, i18n.current_language: file}


@event_priority(-200)
def on_page_content(html_text: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    alt = config.extra.get("notebook_image_alt")
    if alt:  # nbconvert's English placeholder for an output picture without a description
        html_text = html_text.replace(f'alt="{NBCONVERT_ALT}"', f'alt="{html.escape(alt)}"')
    if "<clipboard-copy" not in html_text:
        return html_text
    html_text = STYLE_ELEMENT.sub(lambda style: style[1] + WORD_CONTENT.sub('content:""', style[2]) + style[3],
                                  html_text)
    language = config.theme["language"]
    copy = html.escape(material_text(config, language, "clipboard.copy"))
    copied = html.escape(material_text(config, language, "clipboard.copied"))

    def in_language(button: re.Match[str]) -> str:
        text = COPY_LABEL.sub(lambda match: match[1] + copy + match[2], button[0], count=1)
        text = text.replace("<clipboard-copy", "<clipboard-copy data-search-exclude", 1)  # UI, not content
        return COPIED_NOTICE.sub(lambda match: match[1] + copied + match[2], text)

    return NOTEBOOK_COPY_BUTTON.sub(in_language, html_text)


@event_priority(-200)
def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Navigation) -> dict[str, Any]:
    i18n = config.plugins.get("i18n")
    alternates = getattr(config.extra, "alternate", None) or config.extra.get("alternate")
    if i18n is None or not alternates:
        return context
    folder = folder_of(i18n, i18n.current_language)
    path = page.url[len(folder):] if page.url.startswith(folder) else page.url
    config.extra.alternate = translations_of(i18n, alternates, path)  # the i18n plugin sets an attribute, read first
    context["base_url"] = get_relative_url(folder or ".", page.url)  # Material's base: where its search index is
    return context


@event_priority(-200)
def on_pre_template(template: Template, template_name: str, config: MkDocsConfig) -> Template:
    if template_name != NOT_FOUND or not config.extra.get("not_found"):
        return template
    return template.environment.from_string(NOT_FOUND_IN_LANGUAGE)


@event_priority(-200)
def on_template_context(context: dict[str, Any], template_name: str, config: MkDocsConfig) -> dict[str, Any]:
    i18n = config.plugins.get("i18n")
    alternates = getattr(config.extra, "alternate", None) or config.extra.get("alternate")
    if template_name == NOT_FOUND and i18n is not None and alternates:
        config.extra.alternate = translations_of(i18n, alternates, "", base=context["base_url"])
    return context


@event_priority(-200)
def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return finished(output, config)


@event_priority(-200)
def on_post_template(output: str, template_name: str, config: MkDocsConfig) -> str:
    """The 404 page finished, in its language's folder; no sitemap without the site's address.

    MkDocs writes no file for an empty template: a language's 404 page that is not the default's is written
    here instead, into its folder.
    """
    if template_name == SITEMAP:
        return LASTMOD.sub("", output) if config.site_url else ""
    i18n = config.plugins.get("i18n")
    if template_name != NOT_FOUND:
        return output
    output = finished(output, config)
    if i18n is None or i18n.current_language == i18n.default_language:
        return output
    target = Path(config.site_dir) / folder_of(i18n, i18n.current_language) / NOT_FOUND
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(output, encoding="utf-8")
    return ""


def split_search_index(site: Path, i18n: BasePlugin, config: MkDocsConfig) -> None:
    """Rewrite the merged index at the root as one index per language, each in its language's folder."""
    merged = json.loads((site / SEARCH_INDEX).read_text(encoding="utf-8"))
    folders = {language: folder_of(i18n, language) for language in i18n.build_languages}

    def language_of(location: str) -> str:
        return next((language for language, folder in folders.items() if folder and location.startswith(folder)),
                    i18n.default_language)

    for language, folder in folders.items():
        docs = [{**doc, "location": doc["location"][len(folder):], "title": doc["title"].removesuffix(PILCROW)}
                for doc in merged["docs"] if language_of(doc["location"]) == language]
        settings = {**merged["config"], "lang": [material_text(config, language, "search.config.lang")]}
        # Material's own serialisation: compact separators, in entry order
        text = json.dumps({"config": settings, "docs": docs}, separators=(",", ":"), default=str)
        (site / folder / SEARCH_INDEX).parent.mkdir(parents=True, exist_ok=True)
        (site / folder / SEARCH_INDEX).write_text(text, encoding="utf-8")


@event_priority(-200)
def on_post_build(config: MkDocsConfig) -> None:
    site = Path(config.site_dir)
    i18n = config.plugins.get("i18n")
    # The i18n plugin merges every language's entries into the root index after it has built the last one.
    if i18n is not None and not i18n.building and (site / SEARCH_INDEX).is_file():
        split_search_index(site, i18n, config)
