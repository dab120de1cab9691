"""One print document per language, composed from the built site's pages: what the PDF is made of.

The PDF holds what the site shows, so it is made from the site MkDocs built
(each page's ``<article>``, as a reader gets it), never from the Markdown or
the facts: the check reads the same pages and holds the PDF to them. The
document is, in order: a cover (the report's title, its authors' block and
the weights' provenance, each copied from a page), a table of contents,
then one chapter per page in the site's order (the report without its
sources, the maps, the explorer, the family, the experiment,
reproducibility, the notebook) and the report's sources last. The explorer
and the notebook are interactive on the site: their chapters say where they
live and show what of them prints.

What does not print (scripts, form controls, permalink marks, the link to
the PDF itself, hidden elements, and what a closed ``<details>`` holds
beside its summary: the family's full tables, which would fill 28 of 67
pages and most of the render's time) is left out by the rule the check
applies too (verify/pdf_text.py);
every id is prefixed with its chapter so that links inside the document stay
unique, and links to other pages of the site point at their chapters.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..core.config import LANGUAGES
from ..core.errors import SiteBuildError
from ..core.translations import translations
from ..publish.journal import published_bytes

CHAPTERS = ("index", "maps", "explorer", "family", "experiment", "reproducibility", "notebook")
LOCATED = ("explorer", "notebook")  # interactive on the site: their chapters say where they live
SOURCES = "sources"  # the last chapter: the report's sources section, moved to the end
NOT_PRINTED = "script, style, template, select, input, button, canvas, output, textarea, clipboard-copy, " \
              "a.headerlink, a.anchor-link, .clipboard-copy-txt, .pdf-link, [hidden]"
ORIGIN = "https://site.invalid/"  # only the path of a resolved link matters
STYLESHEET = Path(__file__).resolve().parent.parent / "templates" / "shared" / "print.css"


@dataclass(frozen=True)
class Chapter:
    name: str  # the page ("index", "maps"...) or SOURCES
    body: str  # its HTML, ids prefixed and links resolved


def file_name(language: str) -> str:
    """The language's PDF, at the site's root: its name is the translations' (the pages link it from there)."""
    return translations(language)["pdf_file"]


def page_path(page: str, language: str) -> str:
    """The page's path below the site's root ("en/maps/"), as the i18n plugin's suffix layout places it."""
    folder = "" if language == LANGUAGES[0] else f"{language}/"
    return folder + ("" if page == "index" else f"{page}/")


def article_of(site: Path, page: str, language: str) -> LexborNode:
    """The page's article as built; a SiteBuildError if the site lacks it."""
    data = published_bytes(site / page_path(page, language) / "index.html")  # a regular file, bounded: never a FIFO
    try:
        text = data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError:
        text = None
    if text is None:
        raise SiteBuildError(f"PDF: cannot read the built page {page_path(page, language) or '/'}: "
                             "not a regular UTF-8 file of the site")
    article = LexborHTMLParser(text).css_first("article")
    if article is None:
        raise SiteBuildError(f"PDF: the built page {page_path(page, language) or '/'} has no <article>")
    for node in article.css(NOT_PRINTED):
        node.decompose()
    for closed in article.css("details:not([open])"):  # only its summary prints, as on a screen until opened
        for node in list(closed.iter(include_text=True)):
            if node.tag != "summary":
                node.decompose()
    return article


def resolve_links(article: LexborNode, site: Path, page: str, language: str) -> None:
    """Ids prefixed with the chapter; links to pages of the site to their chapters; figures to their addresses."""
    base = ORIGIN + page_path(page, language)
    chapters = {page_path(name, language): name for name in CHAPTERS}
    for node in article.css("[id]"):
        node.attrs["id"] = f"{page}--{node.attrs['id']}"
    for node in article.css("a[href]"):
        target = urljoin(base, node.attrs["href"] or "")
        parts = urlsplit(target)
        if not target.startswith(ORIGIN):
            continue  # a source's address: it stays a link out
        chapter = chapters.get(parts.path.lstrip("/"))
        if chapter is None:
            del node.attrs["href"]  # a file of the site (facts.json, a notebook): the PDF cannot open it
        else:
            node.attrs["href"] = f"#{chapter}--{parts.fragment}" if parts.fragment else f"#{chapter}"
    for node in article.css("img[src]"):
        source = node.attrs["src"] or ""
        if not source.startswith("data:"):  # the site's address, never the folder it is staged in (render.fetch)
            node.attrs["src"] = urljoin(base, source)


def split_sources(article: LexborNode, language: str) -> str:
    """The report's sources section (its heading and what follows up to the next one), taken out of the article."""
    anchor = translations(language)["sources_anchor"]
    heading = article.css_first(f"h2#index--{anchor}")
    if heading is None:
        raise SiteBuildError(f"PDF: the report ({language}) has no sources section #{anchor}")
    taken, node = [], heading
    while node is not None and (node is heading or node.tag != "h2"):
        taken.append(node)
        node = node.next
    html_text = "".join(part.html or "" for part in taken)
    for part in taken:
        part.decompose()
    return html_text


def chapters(site: Path, language: str) -> list[Chapter]:
    """Every page's article in the site's order, the report's sources last."""
    made, sources = [], ""
    strings = translations(language)
    for page in CHAPTERS:
        article = article_of(site, page, language)
        resolve_links(article, site, page, language)
        if page == "index":
            sources = split_sources(article, language)
        located = ""
        if page in LOCATED:
            where = html.escape(strings["pdf_lives_at"].replace("{address}", "/" + page_path(page, language)))
            located = f'<p class="located">{where}</p>'
        inner = article.inner_html or ""
        made.append(Chapter(page, located + inner))
    made.append(Chapter(SOURCES, sources))
    return made


def heading_text(node: LexborNode) -> str:
    return " ".join((node.text(deep=True) or "").split())


def cover(site: Path, language: str) -> tuple[str, str]:
    """The report's title and the cover's HTML: the title, the authors' block and the weights' provenance."""
    index = article_of(site, "index", language)
    title = index.css_first("h1")
    authors = index.css_first(".report-authors")
    weights = article_of(site, "reproducibility", language).css_first("[data-claim=weights_trained]")
    if title is None or authors is None or weights is None:
        raise SiteBuildError(f"PDF ({language}): the report's title, authors or weights' provenance is not on the pages")
    table = weights
    while table is not None and table.tag != "table":
        table = table.parent
    heading = table.prev if table is not None else None
    while heading is not None and heading.tag != "h2":
        heading = heading.prev
    if table is None or heading is None:
        raise SiteBuildError(f"PDF ({language}): the weights' table has no heading")
    rows = ["".join(cell.inner_html or "" for cell in row.css("td")[:1]) + ": "
            + "".join(cell.inner_html or "" for cell in row.css("td")[1:2]) for row in table.css("tbody tr")]
    provenance = f'<p class="provenance"><strong>{html.escape(heading_text(heading))}</strong>: {"; ".join(rows)}</p>'
    text = heading_text(title)
    return text, (f'<section class="cover"><p class="cover-title">{html.escape(text)}</p>'
                  f'{authors.html or ""}{provenance}</section>')


def contents(language: str, made: list[Chapter]) -> str:
    """The table of contents: every chapter's title and sections, each with the page it starts on (print.css)."""
    entries = []
    for chapter in made:
        fragment = LexborHTMLParser(f"<div>{chapter.body}</div>").css_first("div")
        assert fragment is not None
        for node in fragment.css("h1, h2"):
            level = 1 if node.tag == "h1" or chapter.name == SOURCES else 2
            entries.append(f'<li class="toc-{level}"><a href="#{node.attrs.get("id", "")}">'
                           f'{html.escape(heading_text(node))}</a></li>')
    title = html.escape(translations(language)["pdf_contents"])
    return f'<nav class="toc"><p class="toc-title">{title}</p><ul>{"".join(entries)}</ul></nav>'


def document(site: Path, language: str) -> str:
    """The whole print document of a language, as one HTML text."""
    made = chapters(site, language)
    title, front = cover(site, language)
    body = "".join(f'<section class="chapter chapter-{chapter.name}" id="{chapter.name}">{chapter.body}</section>'
                   for chapter in made)
    return (f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'</head><body>{front}{contents(language, made)}{body}</body></html>')
