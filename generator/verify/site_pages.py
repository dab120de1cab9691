"""Where the built site keeps each page a reader opens, and the address it is opened at.

The i18n plugin's suffix layout: the default language (the first in
LANGUAGES) at the site's root, every other one in a folder named after it;
`maps.en.md` becomes `en/maps/index.html`, `index.es.md` the root's
`index.html`. The figures a page links are copied beside the language's
pages the same way: `img/residual-layer1.0.en.png` becomes
`en/img/residual-layer1.0.png`.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from ..core.config import LANGUAGES

NOT_FOUND_PAGE = "404.html"  # the theme's page for an unknown address: each language's in its folder
SEARCH_INDEX = "search/search_index.json"
STATIC = "assets/static"  # docs/assets/static as the site serves it
STATIC_SUFFIXES = frozenset({".css", ".js"})
PAGE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml", ".svg"})  # what a browser shows as a page
# The host is fictitious: only the path matters, and a link resolved against it leaves the site exactly when
# its origin is another one.
SITE_ORIGIN = "https://site.invalid"


def language_folder(language: str) -> str:
    return "" if language == LANGUAGES[0] else f"{language}/"


def page_path(page: str, language: str) -> str:
    """The page's path below the site's root, as a URL path ("en/maps/")."""
    return language_folder(language) + ("" if page == "index" else f"{page}/")


def page_file(site: Path, page: str, language: str) -> Path:
    return site / page_path(page, language) / "index.html"


def not_found_file(site: Path, language: str) -> Path:
    """A language's 404 page: the default language's at the root (the one GitHub Pages serves), each other
    language's in its folder (served by hosts that look for the nearest one)."""
    return site / language_folder(language) / NOT_FOUND_PAGE


def page_url(page: str, language: str) -> str:
    return f"{SITE_ORIGIN}/{page_path(page, language)}"


def site_relative(url: str) -> str | None:
    """A resolved address's path below the site's root (no query or fragment); None if it leaves the site."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != SITE_ORIGIN:
        return None
    path = PurePosixPath(unquote(parts.path))
    if ".." in path.parts:
        return None
    return str(path.relative_to("/")) if str(path) != "/" else ""


def figure_source(url: str, src: str) -> tuple[str, str, str | None] | None:
    """Where a figure's ``src`` leads from the page at ``url``: its path in the site, that path with the
    language folder taken off, and the language of that folder (None at the root). None if it leaves the site."""
    relative = site_relative(urljoin(url, src))
    if relative is None:
        return None
    for language in LANGUAGES[1:]:
        folder = language_folder(language)
        if relative.startswith(folder):
            return relative, relative[len(folder):], language
    return relative, relative, None
