"""Every address a page makes the browser follow, load or submit, resolved as a browser resolves it, then held
to the site, the named sources and the theme's own credit.

A link's host is read only after it is resolved against the page's own address: ``//evil.example/x`` has no
scheme and no host of its own, yet a browser takes both from the page and leaves the site. Resolving first makes
protocol-relative links, backslashes (``\\\\evil.example``: browsers read them as slashes in web addresses),
a scheme with no slashes (``https:evil.example``: a relative path on an https page, another host on an http one),
upper-case schemes and tabs or newlines inside a scheme (``java\\tscript:``: browsers delete them) all count
for what they are.

The page's address is fictitious: ``https://site.invalid`` plus the folder the site is built for (the path of
mkdocs.yml's ``site_url``; ``/`` when it is unset, as MkDocs' own 404 page assumes) plus the page's folder. The
check runs before publication, where the host is not known (``site_url`` is unset for local builds), and the
site must hold wherever it is served. ``.invalid`` is reserved (RFC 6761): no real link can name it by
accident, so every other absolute address is an address elsewhere; one that starts with the real ``site_url``
is read as the fictitious one. A site served from a folder of a shared host (a GitHub Pages project site)
is left by a link that climbs above that folder or starts at the host's root. Each link is resolved against an
``https`` and an ``http`` page: the scheme the site is served with is not known either, and a link must stay
on the site under both.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote_to_bytes, urljoin, urlsplit, urlunsplit

from ..core import sources
from . import site_config
from .context import Context
from .visible import Element, parse_html

SITE_HOST = "site.invalid"
SCHEMES = ("https", "http")
# Attributes whose value a browser follows, loads or submits, on any element (SVG's href and xlink:href
# included); `data` only on <object>, where it loads a document (elsewhere it is no attribute of HTML).
URL_ATTRIBUTES = ("href", "xlink:href", "src", "action", "formaction", "poster", "cite", "background")
LIST_ATTRIBUTES = ("srcset", "imagesrcset")  # "address width, address width"
SPACED_ATTRIBUTES = ("ping",)  # addresses a link posts to when followed, separated by spaces
# Where a data: address is an image a browser only draws (notebook outputs are embedded so).
IMAGE_PLACES = {("img", "src"), ("img", "srcset"), ("source", "srcset"), ("input", "src"), ("video", "poster"),
                ("image", "href"), ("image", "xlink:href")}
THEME_PACKAGE = "mkdocs-material"


@cache
def site_address(mkdocs_yml: Path) -> tuple[str, str | None]:
    """The folder the site is built for ("/" or "/project/"), and its real address when site_url names one."""
    published = site_config.load(mkdocs_yml).get("site_url") or None
    folder = urlsplit(published).path if isinstance(published, str) else "/"
    return folder.rstrip("/") + "/", published if isinstance(published, str) else None


def page_address(page: str, mkdocs_yml: Path) -> str:
    """The fictitious address of a page: a built page's path on the site ("en/maps/index.html", "404.html")."""
    folder = page.rpartition("/")[0]
    return f"https://{SITE_HOST}{site_address(mkdocs_yml)[0]}{folder + '/' if folder else ''}"


@cache
def theme_credit() -> str:
    """The theme's own address: Material's documentation, as its installed package's metadata names it.

    mkdocs.yml's `copyright` writes Material's credit into every footer ("Made with Material for MkDocs");
    the address comes from the package the site is built with, so a credit to anywhere else fails.
    """
    for entry in metadata.metadata(THEME_PACKAGE).get_all("Project-URL") or []:
        label, _, address = entry.partition(",")
        if label.strip() == "Documentation":
            return address.strip()
    raise LookupError(f"{THEME_PACKAGE} names no Documentation address")


def allowed_elsewhere() -> frozenset[str]:
    """The addresses off the site a page may name: the named sources (data/sources.json) and the theme's credit."""
    return frozenset({s.url for s in sources.all_sources() if s.url} | {theme_credit()})


def cleaned(link: str) -> str:
    """A link as a browser reads it: outer spaces and controls stripped, tabs and newlines deleted inside."""
    link = "".join(ch for ch in link if ch not in "\t\n\r").strip("".join(map(chr, range(0x21))))
    scheme, colon, _ = link.partition(":")
    special = not colon or scheme.lower() in ("http", "https", "ftp", "ws", "wss", "file") or "/" in scheme
    return link.replace("\\", "/") if special else link


def _dot_segments(path: str) -> str:
    """Dot segments removed as browsers remove them: "%2e%2e" is "..", which urljoin keeps as a name."""
    kept: list[str] = []
    parts = path.split("/")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part.lower() in ("..", ".%2e", "%2e.", "%2e%2e"):
            if len(kept) > 1:
                kept.pop()
            if last:
                kept.append("")
        elif part.lower() in (".", "%2e"):
            if last:
                kept.append("")
        else:
            kept.append(part)
    return "/".join(kept)


CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")


@lru_cache(maxsize=1 << 14)
def leaves_site(link: str, base: str, mkdocs_yml: Path, image: bool = False) -> str | None:
    """Why a link leaves the site from a page at base (None if it does not), under both schemes.

    Remembered: every page loads the same stylesheets, whose addresses (Material's icons drawn in SVG among
    them) would otherwise be resolved and their pictures parsed again on each page.
    """
    link = cleaned(link)
    folder, published = site_address(mkdocs_yml)
    if published and link.lower().startswith(published.rstrip("/").lower() + "/"):
        link = f"//{SITE_HOST}{folder}{link[len(published.rstrip('/')) + 1:]}"
    if CONTROL_CHARACTER.search(link):
        return "an address with control characters"
    if image and link.lower().startswith("data:image/"):
        drawn = drawn_text(link)
        return f"an image written into it that draws text: {drawn[:40]!r}" if drawn else None
    if urlunsplit(urlsplit(link)._replace(fragment="")) in allowed_elsewhere():
        return None
    for scheme in SCHEMES:
        target = urlsplit(urljoin(base.replace("https:", f"{scheme}:", 1), link))
        if target.scheme != scheme:
            return f"a {target.scheme or 'scheme-less'} address on a page served over {scheme}"
        if target.netloc.lower() != SITE_HOST:
            return f"the host {target.netloc!r}"
        if not _dot_segments(target.path).startswith(folder):
            return f"outside the site's folder: {_dot_segments(target.path)[:60]}"
    return None


# The SVG elements whose text a picture draws or shows (stray characters between other elements draw nothing).
SVG_TEXT = frozenset({"text", "tspan", "textpath", "title", "desc", "foreignobject"})


def drawn_text(link: str) -> str:
    """The text an SVG written into an address (data:image/svg+xml) draws, "" for none or another image: a
    picture that carries words is text a reader sees, and no check reads it there."""
    head, _, data = link.partition(",")
    if not head.lower().startswith("data:image/svg"):
        return ""
    if head.lower().endswith(";base64"):
        raw = base64.b64decode("".join(data.split()) + "===", validate=False)
    else:
        raw = unquote_to_bytes(data)
    picture = parse_html(raw.decode("utf-8", "replace"))
    drawn = [element.text() for element in picture.walk() if element.tag.lower() in SVG_TEXT
             and not any(outer.tag.lower() in SVG_TEXT for outer in element.ancestors())]
    return " ".join(" ".join(drawn).split())


def refresh_target(content: str) -> str | None:
    """The address of a <meta http-equiv=refresh> ("5; url=next.html"), read as browsers read it."""
    rest = content.strip().lstrip("0123456789.").strip()
    if not rest or rest[0] not in ";,":
        return None
    rest = rest[1:].strip()
    if rest[:3].lower() == "url" and rest[3:].lstrip().startswith("="):
        rest = rest[3:].lstrip()[1:].strip()
    if rest[:1] in ("'", '"'):
        rest = rest[1:].partition(rest[0])[0]
    return rest


def candidates(value: str) -> Iterator[str]:
    """The addresses of a srcset: each candidate's address, its width or density left out (commas may sit
    inside an address, as in data: ones, so a candidate ends at whitespace)."""
    position = 0
    while position < len(value):
        while position < len(value) and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < len(value) and not value[position].isspace():
            position += 1
        address = value[start:position]
        if address.endswith(","):
            yield address.rstrip(",")
            continue
        depth = 0
        while position < len(value) and (depth or value[position] != ","):
            depth += {"(": 1, ")": -1}.get(value[position], 0)
            position += 1
        if address:
            yield address


def addresses(element: Element) -> Iterator[tuple[str, str]]:
    """(attribute, address) for every address an element makes the browser follow, load or submit."""
    for attribute, value in element.attrs.items():
        if attribute in URL_ATTRIBUTES or (attribute == "data" and element.tag == "object"):
            yield attribute, value
        elif attribute in LIST_ATTRIBUTES:
            yield from ((attribute, address) for address in candidates(value))
        elif attribute in SPACED_ATTRIBUTES:
            yield from ((attribute, address) for address in value.split())
    if element.tag == "meta" and element.attrs.get("http-equiv", "").strip().lower() == "refresh":
        target = refresh_target(element.attrs.get("content", ""))
        if target is not None:
            yield "content", target


def check_addresses(root: Element, ctx: Context, page_url: str) -> None:
    """Every address on the page, the theme's header and footer included: pass the whole built page.

    A <base href> changes what every other address resolves to, so the others are resolved against it.
    A frame's srcdoc is a page of its own, resolved against this page's address, as browsers do.
    """
    base = next((urljoin(page_url, cleaned(e.attrs["href"])) for e in root.walk()
                 if e.tag == "base" and "href" in e.attrs), page_url)
    for element in root.walk():
        for attribute, address in addresses(element):
            reason = leaves_site(address, page_url if element.tag == "base" else base, ctx.mkdocs_yml,
                                 image=(element.tag, attribute) in IMAGE_PLACES)
            if reason is not None:
                ctx.fail(f"link {address[:80]} (<{element.tag} {attribute}>)",
                         "an address on the site, of a named source (data/sources.json) or the theme's credit",
                         reason)
        if element.tag == "iframe" and "srcdoc" in element.attrs:
            check_addresses(parse_html(element.attrs["srcdoc"]), ctx, base)
