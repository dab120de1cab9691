"""Text that a page's stylesheets write onto it: ``content`` of ``::before``/``::after`` and its kin.

A reader sees ``content: "34 layers"`` as text, though no HTML holds it. So every stylesheet a built page loads
(the theme's, ``extra_css``, ``docs/assets/static/``, ``<style>``, ``style=""``) is parsed with tinycss2, a CSS
parser that follows the CSS Syntax specification (a regular expression cannot tell a string from a comment or
an escape: ``cont\\65nt: "\\33 4"`` is ``content: "34"``), and each ``content`` declaration, at any depth of
nested rules and at-rules, is read for what it shows: its strings, the attributes ``attr()`` shows, the
counters ``counter()``/``counters()`` number with, quotation marks (``open-quote``). Declarations that set a
list's numbering (``counter-reset: list-item 33``, ``@counter-style``) show numbers too, and ``var()`` in
``content`` shows the strings of the custom property it names.

The theme's own stylesheets are recognised by their bytes: those of the installed Material package. Its
annotations are numbered by ``counter(annotation)``; nothing else may number. Material's CSS generates only
arrows and key symbols, ``attr(data-linenos)`` and ``attr(data-md-annotation-id)`` (set by its JavaScript,
on no built page) and that counter; the notebook pages' inline JupyterLab CSS generates icon-font characters
(the build empties its widgets' English words, "No results", "Browse": pipeline/mkdocs_hooks.py). No
stylesheet may write a letter: a word there is in one language on every page, and no translation holds it. The addresses stylesheets load (url(), @import) are read here too, against
each stylesheet's own address: all of them are data:image/ ones on today's site.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import tinycss2
from tinycss2.ast import Node

from .context import Context
from .links import SITE_HOST, leaves_site, page_address, site_address
from .text import check_text
from .visible import Element

GENERATED_KEPT = 512  # distinct stylesheets and style="" values kept parsed in one process
STYLESHEET_LIMIT = 16 * 1024**2  # Material's main stylesheet is 0.13 MB, the notebook's inline one 0.6 MB
IMPORT_DEPTH = 8
NUMBERING = ("counter-reset", "counter-set", "counter-increment")
LETTER = re.compile(r"[^\W\d_]")  # of any script: a stylesheet writes symbols only
LIST_STYLES = ("list-style", "list-style-type")
SHOWN_BY = ("attr", "counter", "counters", "var", "symbols")  # functions whose arguments are shown, not loaded
QUOTES = ("open-quote", "close-quote")
LOADING = frozenset({"url", "src", "image-set", "-webkit-image-set"})  # functions whose strings are addresses
# Where the packages keep the stylesheets every built page loads or inlines: the theme's, and the notebook pages'.
# (package, folder, whether the build inlines it with its worded `content` strings emptied: the notebook pages'
# JupyterLab stylesheet, which generator/pipeline/mkdocs_hooks.py empties with the same pattern as WORD_CONTENT)
KNOWN_STYLESHEETS = (("material", "templates/assets/stylesheets", False),
                     ("mkdocs_jupyter", "templates/mkdocs_html/assets", True))
WORD_CONTENT = re.compile(r'\bcontent:\s*"[^"\\]*[^\W\d_][^"\\]*"')
HOST = f"https://{SITE_HOST}"  # links.py says why the address is fictitious
STYLE = Element("style", {})  # where generated text sits, for check_text: in no element of the page


@dataclass(frozen=True)
class Generated:
    """One thing a stylesheet shows: its kind and value, and the property that shows it.

    kinds: text (a string), attr (an attribute's name), counter (a counter's name), quote (open-quote or
    close-quote), numbering (a declaration that sets a list's numbers), var (a custom property content
    shows), custom (a string a custom property holds; `where` is its name).
    """

    kind: str
    value: str
    where: str


@dataclass(frozen=True)
class Parsed:
    generated: tuple[Generated, ...]
    imports: tuple[str, ...]  # the addresses its @import rules load
    addresses: tuple[str, ...]  # every address it loads: url(), image-set(), @import


_parsed: dict[str, Parsed] = {}


def digest(css: str) -> str:
    return hashlib.sha256(css.encode("utf-8", "surrogatepass")).hexdigest()


def parsed(css: str) -> Parsed:
    """A stylesheet, or a style="" declaration list, read once per process: kept by the digest of its text
    without the whitespace around it, which CSS ignores (the notebook pages inline a stylesheet with a line
    break around it)."""
    text = css.strip()
    key = digest(text)
    if key not in _parsed:
        if len(_parsed) >= GENERATED_KEPT:
            _parsed.pop(next(iter(_parsed)))
        nodes = tinycss2.parse_blocks_contents(text, skip_comments=True, skip_whitespace=True)
        generated, loaded = _read(nodes)
        _parsed[key] = Parsed(tuple(generated), tuple(imports(nodes)), tuple(loaded))
    return _parsed[key]


def parse_known_stylesheets() -> None:
    """Parse, ahead of reading any page, the stylesheets a built site will most likely load: the theme's and
    mkdocs-jupyter's, from the installed packages, the latter as the build inlines it (its words emptied). A
    build runs this while MkDocs builds the site; a page's
    stylesheet then finds its parse by its digest, and a stylesheet that differs in any byte is parsed anew,
    so nothing here is trusted, only computed early."""
    for package, folder, emptied in KNOWN_STYLESHEETS:
        for item in (resources.files(package) / folder).iterdir():
            if item.name.endswith(".css"):
                text = item.read_text(encoding="utf-8")
                parsed(WORD_CONTENT.sub('content:""', text) if emptied else text)


def generated_text(css: str) -> tuple[Generated, ...]:
    """What a stylesheet, or a style="" declaration list, shows."""
    return parsed(css).generated


def _read(nodes: list[Node]) -> tuple[list[Generated], list[str]]:
    """What the rules show, and every address they load (url(), image-set(), @import), at any depth."""
    found: list[Generated] = []
    loaded: list[str] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if node.type == "at-rule" and node.lower_at_keyword == "counter-style":
            found.append(Generated("numbering", tinycss2.serialize(node.prelude).strip(), "@counter-style"))
        if node.type == "at-rule":
            loaded.extend(_loaded(node.prelude, node.lower_at_keyword == "import"))
        if node.type in ("qualified-rule", "at-rule") and node.content is not None:
            stack.extend(reversed(tinycss2.parse_blocks_contents(node.content, skip_comments=True,
                                                                 skip_whitespace=True)))
        elif node.type == "declaration":
            found.extend(_declaration(node.lower_name, node.value))
            loaded.extend(_loaded(node.value))
    return found, loaded


def _loaded(value: list[Node], strings_load: bool = False) -> list[str]:
    """The addresses in a value: url tokens, and strings inside url(), image-set() (or anywhere, in @import)."""
    found, stack = [], [(node, strings_load) for node in value]
    while stack:
        node, loads = stack.pop()
        if node.type == "url" or (node.type == "string" and loads):
            found.append(node.value)
        inner = node.type == "function" and node.lower_name in LOADING
        stack.extend((child, loads or inner) for child in getattr(node, "arguments", None) or
                     getattr(node, "content", None) or [])
    return found


def _declaration(name: str, value: list[Node]) -> list[Generated]:
    if name in ("content", "quotes", *LIST_STYLES):
        return _shown(value, name)
    if name in NUMBERING:
        return [Generated("numbering", tinycss2.serialize(value).strip(), name)]
    if name.startswith("--"):
        return [Generated("custom", item.value, name) for item in _strings(value)]
    return []


def _strings(value: list[Node]) -> list[Node]:
    stack, strings = list(value), []
    while stack:
        node = stack.pop()
        if node.type == "string":
            strings.append(node)
        stack.extend(getattr(node, "arguments", None) or getattr(node, "content", None) or [])
    return strings


def _shown(value: list[Node], where: str) -> list[Generated]:
    """The strings, attributes, counters and quotation marks a content-like value shows, in order."""
    found: list[Generated] = []
    stack = list(reversed(value))
    while stack:
        node = stack.pop()
        if node.type == "string":
            found.append(Generated("text", node.value, where))
        elif node.type == "ident" and node.lower_value in QUOTES:
            found.append(Generated("quote", node.lower_value, where))
        elif node.type == "function" and node.lower_name in SHOWN_BY:
            named = next((arg for arg in node.arguments if arg.type == "ident"), None)
            kind = {"counters": "counter", "symbols": "numbering"}.get(node.lower_name, node.lower_name)
            if named is not None or kind == "numbering":
                found.append(Generated(kind, named.value if named is not None else "symbols()", where))
            stack.extend(reversed(node.arguments))
        elif node.type in ("() block", "[] block"):
            stack.extend(reversed(node.content))
    return found


@cache
def theme_digests() -> frozenset[str]:
    """The digests of the installed Material theme's own stylesheets (those it copies into every site)."""
    folder = resources.files("material") / "templates" / "assets" / "stylesheets"
    return frozenset(digest(item.read_text(encoding="utf-8").strip()) for item in folder.iterdir()
                     if item.name.endswith(".css"))


def linked_stylesheets(root: Element, page_path: Path, site: Path, folder: str = "/") -> list[tuple[str, Path | None]]:
    """Each <link rel=stylesheet> of a built page with its file inside the site (None where there is none),
    and each stylesheet those import, resolved as a browser resolves them. folder: where the site is served."""
    page = f"{HOST}{folder}{page_path.parent.relative_to(site).as_posix()}/".replace("/./", "/")
    found: list[tuple[str, Path | None]] = []
    queue = [(e.attrs.get("href", ""), page, 0) for e in root.walk()
             if e.tag == "link" and "stylesheet" in e.attrs.get("rel", "").lower().split()]
    while queue:
        href, base, depth = queue.pop(0)
        address = urljoin(base, href.strip())
        path = _inside(address, site, folder)
        found.append((href, path))
        if path is not None and depth < IMPORT_DEPTH:
            queue.extend((target, address, depth + 1) for target in parsed(file_text(path)).imports)
    return found


_texts: dict[Path, str] = {}


def file_text(path: Path) -> str:
    """A stylesheet file's text, read once per reading of a site (forget_files starts each): every page of a
    site loads the same few stylesheets."""
    if path not in _texts:
        _texts[path] = path.read_text(encoding="utf-8")
    return _texts[path]


def forget_files() -> None:
    """A new reading of a site: no stylesheet text read before is used again (the parses, kept by digest, are)."""
    _texts.clear()


def _inside(address: str, site: Path, folder: str) -> Path | None:
    parts = urlsplit(address)
    if f"{parts.scheme}://{parts.netloc}" != HOST or not parts.path.startswith(folder):
        return None
    path = (site / unquote(parts.path[len(folder):])).resolve()
    inside = path.is_relative_to(site.resolve()) and path.is_file()
    return path if inside and path.stat().st_size <= STYLESHEET_LIMIT else None


def imports(nodes: list[Node]) -> list[str]:
    """The addresses a stylesheet's @import rules load (its top-level nodes)."""
    found = []
    for rule in nodes:
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            first = next((node for node in rule.prelude if node.type != "whitespace"), None)
            if first is not None and first.type in ("string", "url"):
                found.append(first.value)
            elif first is not None and first.type == "function" and first.lower_name == "url":
                found.extend(arg.value for arg in first.arguments if arg.type == "string")
    return found


def page_stylesheets(root: Element, page_path: Path, site: Path, folder: str = "/") -> list[tuple[str, str]]:
    """(name, css) for every stylesheet a built page loads: linked ones (and their imports) read from the site
    folder, <style> elements, and each style="" attribute (a declaration list)."""
    return _sheets(root, linked_stylesheets(root, page_path, site, folder))


def _sheets(root: Element, linked: list[tuple[str, Path | None]]) -> list[tuple[str, str]]:
    sheets = [(href, file_text(path)) for href, path in linked if path is not None]
    for element in root.walk():
        if element.tag == "style":
            sheets.append(("<style>", "".join(child for child in element.children if isinstance(child, str))))
        if "style" in element.attrs:
            sheets.append((f"<{element.tag} style>", element.attrs["style"]))
    return sheets


def check_generated_text(root: Element, ctx: Context, page_path: Path, site: Path) -> None:
    """What the stylesheets of a whole built page (pass the page, not its article: the theme's styles apply to
    all of it) write onto it: each string through the digit rule, each attribute that attr() shows read as
    text, no quotation marks, and numbering only by the theme's own stylesheets."""
    linked = linked_stylesheets(root, page_path, site, site_address(ctx.mkdocs_yml)[0])
    for href, path in linked:
        if path is None:
            ctx.fail(f"stylesheet {href[:80]!r}", "a stylesheet inside the site folder", "none there")
    sheets = [(name, digest(css.strip()) in theme_digests(), css) for name, css in _sheets(root, linked)]
    found = [(name, theme, shown) for name, theme, css in sheets for shown in generated_text(css)]
    shown_vars = {shown.value for _, _, shown in found if shown.kind == "var"}
    shown_attributes = {shown.value.lower() for _, _, shown in found if shown.kind == "attr"}
    for name, theme, shown in found:
        place = f"CSS {shown.where} in {name[:60]}"
        if shown.kind == "text" or (shown.kind == "custom" and shown.where in shown_vars):
            if LETTER.search(shown.value):
                ctx.fail(place, "no words written by a stylesheet (the same on every language's page)",
                         repr(shown.value[:80]))
            check_text(shown.value, STYLE, ctx, place)
        elif shown.kind == "quote":
            ctx.fail(place, "no quotation marks made by a stylesheet (quotations are quote() elements)", shown.value)
        elif shown.kind in ("counter", "numbering") and not theme:
            ctx.fail(place, "numbers only from the model or a named source, not counted by a stylesheet",
                     f"{shown.kind} {shown.value!r}")
    for element in root.walk():
        for attribute in shown_attributes & element.attrs.keys():
            check_text(element.attrs[attribute], element, ctx, f"attribute {attribute} (shown by CSS attr())")


def check_stylesheet_addresses(root: Element, ctx: Context, page_path: Path, site: Path) -> None:
    """Every address a stylesheet of a whole built page loads (fonts, images, imports) stays on the site or is
    an image written into it (data:image/): resolved against the stylesheet's own address, as browsers do."""
    folder = site_address(ctx.mkdocs_yml)[0]
    page = page_address(page_path.relative_to(site).as_posix(), ctx.mkdocs_yml)
    linked = linked_stylesheets(root, page_path, site, folder)
    bases = {href: f"{HOST}{folder}{path.relative_to(site.resolve()).as_posix()}" for href, path in linked if path}
    for name, css in _sheets(root, linked):
        for address in parsed(css).addresses:
            reason = leaves_site(address, bases.get(name, page), ctx.mkdocs_yml, image=True)
            if reason is not None:
                ctx.fail(f"link {address[:80]} (CSS in {name[:60]})",
                         "an address on the site, or an image written into the stylesheet", reason)
