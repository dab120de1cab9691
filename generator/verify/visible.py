"""What a reader sees of a Markdown page: rendered as MkDocs renders it, as a tree of elements.

The check reads pages through this module, not through the Markdown source,
so that a number cannot hide in a construct the check skips (a code span,
an attribute list, a setext heading, raw HTML): whatever Markdown turns into
visible text or a visible attribute is visible here too.
"""

from __future__ import annotations

import html.parser
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import markdown

from ..core.errors import UsageError
from ..core.names import printable_path

VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
INVISIBLE_TAGS = frozenset({"script", "style", "template"})
# Attributes a reader meets: alternative text, tooltips, labels read aloud, placeholders.
VISIBLE_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
# Elements that hold one statement: a number and its label must share one of them (or an enclosing one).
RENDERED_PAGES_KEPT = 64  # the pages of a few docs folders, both languages; the largest renders to 0.3 MB of HTML
BLOCK_TAGS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "figcaption", "dt", "dd", "caption"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        """The element's visible text, as a reader sees it (hidden elements left out)."""
        if self.tag in INVISIBLE_TAGS:
            return ""
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def walk(self) -> Iterator[Element]:
        """This element and every one inside it, in document order (a stack, not nested generators: pages are deep)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(child for child in reversed(node.children) if isinstance(child, Element))

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def blocks(self) -> list[Element]:
        """The statement-holding elements around this one, innermost first."""
        return [node for node in (self, *self.ancestors()) if node.tag in BLOCK_TAGS]

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()


class _TreeBuilder(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, parent=self.current)
        self.current.children.append(element)
        if tag not in VOID_TAGS:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, {name: value or "" for name, value in attrs}, parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent  # closes every element left open inside it, as browsers do

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse_html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


@cache
def markdown_settings(mkdocs_yml: Path) -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    """The Markdown extensions and their settings, read from mkdocs.yml (INHERIT and !ENV included).

    Raises UsageError, in one line, for a file MkDocs could not use either.
    """
    from mkdocs.exceptions import ConfigurationError
    from mkdocs.utils.yaml import yaml_load

    def refuse(problem: str) -> UsageError:
        return UsageError(f"--mkdocs-yml: {printable_path(mkdocs_yml)} {problem}; pass the project's mkdocs.yml")

    try:
        with Path(mkdocs_yml).open("rb") as handle:
            config = yaml_load(handle)
    except ConfigurationError as error:
        raise refuse("is not valid YAML (" + " ".join(str(error).split())[:200] + ")") from error
    if not isinstance(config, dict):
        raise refuse("is not a MkDocs configuration (its top level is not a mapping)")
    entries = config.get("markdown_extensions") or []
    if not isinstance(entries, list):
        raise refuse("has markdown_extensions that is not a list")
    names: list[str] = []
    settings: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if isinstance(entry, dict) and all(isinstance(options, (dict, type(None))) for options in entry.values()):
            for name, options in entry.items():
                names.append(str(name))
                settings[str(name)] = options or {}
        elif isinstance(entry, str):
            names.append(entry)
        else:
            raise refuse(f"lists a Markdown extension that is neither a name nor a name with settings ({entry!r:.60})")
    return tuple(names), settings


def render_markdown(text: str, mkdocs_yml: Path) -> Element:
    """The page as MkDocs renders its content, parsed into a tree of its own (callers may keep or change it)."""
    return parse_html(rendered_html(text, Path(mkdocs_yml).resolve()))


@lru_cache(maxsize=RENDERED_PAGES_KEPT)
def rendered_html(text: str, mkdocs_yml: Path) -> str:
    """Markdown's HTML for a page; a process that reads many docs folders renders each distinct page once."""
    names, settings = markdown_settings(mkdocs_yml)
    return markdown.Markdown(extensions=list(names), extension_configs=settings).convert(text)
