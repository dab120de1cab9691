"""What a reader's browser builds from a page: the built HTML parsed as a tree of elements.

The check reads the site MkDocs built, not the Markdown it was built from:
the theme's header, navigation, title and footer, every attribute and every
plugin's additions are what a reader meets, so they are what is read.

The parser is selectolax's Lexbor, an HTML5 parser that follows the WHATWG
tree-building rules a browser follows (implied end tags, misnested
formatting, foster-parented table content), in C: the largest page parses in
milliseconds. html5lib follows the same rules in pure Python, about a
hundred times slower; lxml's libxml2 parser predates HTML5 and builds other
trees from malformed markup than a browser does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

INVISIBLE_TAGS = frozenset({"script", "style", "template"})
# Attributes a reader meets: alternative text, tooltips, labels read aloud, placeholders, a field's value.
VISIBLE_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
# Elements that hold one statement: a number and its label must share one of them (or an enclosing one).
BLOCK_TAGS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "figcaption", "dt", "dd", "caption"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(slots=True, eq=False)
class Element:
    """One element of the tree; slots, with its classes read once: a large page holds twenty thousand, every
    rule asks each of them, and the check frees them all at its end."""

    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)
    classes: frozenset[str] = field(init=False, repr=False)
    _descendants: list[Element] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.classes = frozenset(self.attrs.get("class", "").split())

    def text(self) -> str:
        """The element's visible text, as a reader sees it (hidden elements left out)."""
        if self.tag in INVISIBLE_TAGS:
            return ""
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def walk(self) -> Iterator[Element]:
        """This element and every one inside it, in document order; the tree is read, never changed, once
        parsed, so the list is made once and shared by every rule that walks from here."""
        if self._descendants is None:
            self._descendants = self._collect_descendants()
        return iter(self._descendants)

    def _collect_descendants(self) -> list[Element]:
        """This element and every one inside it (a stack, not recursion: pages are deep)."""
        found, stack = [], [self]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(child for child in reversed(node.children) if isinstance(child, Element))
        return found

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def blocks(self) -> list[Element]:
        """The statement-holding elements around this one, innermost first."""
        return [node for node in (self, *self.ancestors()) if node.tag in BLOCK_TAGS]

    def has_class(self, name: str) -> bool:
        return name in self.classes

    def find(self, tag: str, css_class: str | None = None) -> Element | None:
        """The first element inside this one (or this one) with that tag and, if given, that class."""
        return next((node for node in self.walk()
                     if node.tag == tag and (css_class is None or node.has_class(css_class))), None)


def parse_html(text: str) -> Element:
    """The tree a browser builds from ``text`` (a whole document or a fragment), as Elements under a root."""
    root = Element("root", {})
    document = LexborHTMLParser(text).root
    if document is None:
        return root
    stack: list[tuple[LexborNode, Element]] = [(document, root)]
    while stack:
        node, parent = stack.pop()
        if node.tag == "-text":
            parent.children.append(node.text_content or "")
            continue
        if node.tag.startswith("-"):  # comments, doctypes
            continue
        element = Element(node.tag, {name: value or "" for name, value in node.attributes.items()}, parent)
        parent.children.append(element)
        stack.extend((child, element) for child in reversed(list(node.iter(include_text=True))))
    return root
