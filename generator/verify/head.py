"""What search engines and assistive technology read before the content: a page's language, title and
description, its language alternates, the 404 page's words, and the sitemap.

Each is read from the built site, as Lighthouse's SEO audits read them:

- ``<html lang>`` is the page's language, and the page has one non-empty ``<title>``;
- ``<meta name="description">`` is the translation ``site_description`` of the page's language, word for word
  (the Spanish description was once both languages in one string);
- an ``hreflang`` alternate in the head is only true with an absolute address on the site, so without a
  ``site_url`` there may be none, and with one each must be a language of the site at an address below it;
- the 404 page of each language says exactly that language's ``extra.not_found`` (mkdocs.yml), and nothing else;
- a sitemap lists absolute addresses, so without a ``site_url`` the site has none; with one, only the root
  holds it, and every address in it is below the ``site_url`` (it once listed ``Noneexperiment/`` and ``None./``);
  it lists every page of the site once (it once left out the notebooks) and dates none (it gave each the
  build's date, so that two builds of the same inputs differed).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core.config import LANGUAGES
from . import site_config
from .context import Context, squash
from .links import site_address
from .mismatch import Mismatch
from .visible import Element, parse_html

SITEMAPS = ("sitemap.xml", "sitemap.xml.gz")
# The addresses a sitemap names: each <loc>, and each alternate's href (the i18n plugin's xhtml:link).
SITEMAP_ADDRESS = re.compile(r"<loc>\s*([^<]*?)\s*</loc>|\bhref=\"([^\"]*)\"")
SITEMAP_PAGE = re.compile(r"<loc>([^<]*)</loc>")
LASTMOD = re.compile(r"<lastmod>[^<]*</lastmod>")


def check_head(root: Element, ctx: Context) -> None:
    """The page's language, title, description and language alternates."""
    document = root.find("html")
    language = document.attrs.get("lang") if document is not None else None
    if language != ctx.language:
        ctx.fail("<html lang>", repr(ctx.language), repr(language))
    titles = [squash(e.text()) for e in root.walk() if e.tag == "title"]
    if len(titles) != 1 or not titles[0]:
        ctx.fail("<title>", "one title with words", repr(titles))
    descriptions = [e.attrs.get("content", "") for e in root.walk()
                    if e.tag == "meta" and e.attrs.get("name", "").lower() == "description"]
    wanted = ctx.strings["site_description"]
    if descriptions != [wanted]:
        ctx.fail('<meta name="description">', f"translations' site_description: {wanted[:60]!r}",
                 repr([d[:60] for d in descriptions]))
    check_alternates(root, ctx)


def check_alternates(root: Element, ctx: Context) -> None:
    """hreflang alternates only with a known address: absolute, below site_url, in a language of the site."""
    published = site_address(ctx.mkdocs_yml)[1]
    for link in (e for e in root.walk() if e.tag == "link" and "hreflang" in e.attrs):
        target, language = link.attrs.get("href", ""), link.attrs["hreflang"]
        if published is None:
            ctx.fail(f"hreflang {language}", "no alternate: without a site_url its address cannot be absolute",
                     repr(target))
        elif language not in LANGUAGES or not target.startswith(published.rstrip("/") + "/"):
            ctx.fail(f"hreflang {language}", f"a language of the site at an address below {published}",
                     repr(target))


def not_found_words(mkdocs_yml: Path, language: str) -> str:
    """What the language's 404 page says: mkdocs.yml's extra.not_found for it under the i18n plugin."""
    plugins = site_config.load(mkdocs_yml).get("plugins") or []
    i18n = next(entry["i18n"] for entry in plugins if isinstance(entry, dict) and "i18n" in entry)
    entry = next(entry for entry in i18n["languages"] if entry.get("locale") == language)
    return str(entry["extra"]["not_found"])


def check_error_page(html: str, ctx: Context) -> None:
    """The 404 page's content is its language's words for it, exactly: no sentence of another language."""
    article = parse_html(html).find("article")
    wanted = not_found_words(ctx.mkdocs_yml, ctx.language)
    shown = squash(article.text()) if article is not None else None
    if shown != wanted:
        ctx.fail("404 page", repr(wanted), repr(shown if shown is None else shown[:80]))


def check_sitemaps(site: Path, mkdocs_yml: Path, pages: set[str], mismatches: list[Mismatch]) -> None:
    """No sitemap without a site_url; with one, only the root's, naming only addresses below it, each of the
    site's ``pages`` (paths below the root) once, and no date."""
    published = site_address(mkdocs_yml)[1]
    for path in sorted(p for name in SITEMAPS for p in site.rglob(name)):
        relative = path.relative_to(site).as_posix()
        if published is None:
            mismatches.append(Mismatch(relative, "sitemap", "none: without a site_url no address is absolute",
                                       "a sitemap"))
        elif path.parent != site:
            mismatches.append(Mismatch(relative, "sitemap", "the root's only", "a copy in a page's folder"))
        elif path.suffix == ".xml":
            base = published.rstrip("/") + "/"
            text = path.read_text(encoding="utf-8", errors="replace")
            wrong = [address for match in SITEMAP_ADDRESS.finditer(text) for address in match.groups()
                     if address is not None and (not address.startswith(base) or "/./" in address)]
            if wrong:
                mismatches.append(Mismatch(relative, "sitemap", f"addresses below {base}", repr(wrong[:3])))
            listed = [found.strip() for found in SITEMAP_PAGE.findall(text)]
            if sorted(listed) != sorted(base + page for page in pages):
                mismatches.append(Mismatch(relative, "sitemap", f"each of the site's {len(pages)} pages once",
                                           f"{len(listed)} entries, {len(set(listed))} different, missing: "
                                           f"{sorted(base + page for page in pages if base + page not in listed)[:3]}"))
            if LASTMOD.search(text):
                mismatches.append(Mismatch(relative, "sitemap", "no <lastmod>: the only date a build knows is its own, "
                                           "not when a page changed", LASTMOD.search(text)[0]))
