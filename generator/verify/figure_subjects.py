"""A figure belongs to the heading, caption and alt text that name its subject.

A content rule: pass it the page's content (the article). A figure's subject comes from its file name
(``img/features-layer3.png`` shows layer3, ``img/residual-layer1.0.es.svg`` the block layer1.0), by a
mapping of the check's own, not the writer's. Its alt text and its caption must name the subject and no
other item of the same kind (stage, block, module); so must the nearest heading before it where the
figure's kind has a section per subject (a gallery of maps), and elsewhere that heading may name no other.
Items are the model's own, as the check derived them: stages, residual blocks, and the other modules.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from .context import Context, squash
from .visible import Element

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# file name -> subject, and whether each subject has a section (a heading) of its own
SUBJECT_FIGURES: tuple[tuple[re.Pattern[str], bool], ...] = (
    (re.compile(r"features-(?P<subject>[\w.]+?)(?:\.[a-z]{2})?\.(?:png|svg)"), True),
    (re.compile(r"residual-(?P<subject>[\w.]+?)(?:\.[a-z]{2})?\.(?:png|svg)"), False),
)


def check_figure_subjects(root: Element, ctx: Context) -> None:
    """Each figure of one subject under its own heading, with a caption and alt text that name it alone."""
    kinds = item_kinds(ctx.expected.values)
    pattern = _names(tuple(sorted(kinds)))
    heading: Element | None = None
    for element in root.walk():
        if element.tag in HEADINGS:
            heading = element
        if element.tag != "img":
            continue
        source = element.attrs.get("src", "")
        subject, own_section = _subject(source)
        if subject is None:
            continue
        place = f"figure {source}"
        if subject not in kinds:
            ctx.fail(place, "a figure of an item of the model (a stage, a block or a module)", repr(subject))
            continue
        kind = kinds[subject]
        figure = next((node for node in element.ancestors() if node.tag == "figure"), None)
        caption = next((e for e in figure.walk() if e.tag == "figcaption"), None) if figure is not None else None
        for part, text, required in (
            ("alt text", element.attrs.get("alt", ""), True),
            ("caption", caption.text() if caption is not None else "", True),
            ("heading", heading.text() if heading is not None else "", own_section),
        ):
            named = [name for name in pattern.findall(squash(text)) if kinds[name] == kind]
            others = sorted(set(named) - {subject})
            if others or (required and subject not in named):
                ctx.fail(f"{place}, {part}", f"the {kind} {subject} named" + (", and no other" if required else
                                                                              f", or no {kind} at all"),
                         f"{', '.join(others) or 'none'} in {squash(text)[:60]!r}")


def item_kinds(values: dict[str, Any]) -> dict[str, str]:
    """Every item a figure can be of, by name: the stages, the residual blocks, and the other modules."""
    kinds: dict[str, str] = {}
    for kind, prefix in (("module", "modules"), ("block", "residual"), ("stage", "stages")):
        index = 0
        while f"{prefix}.{index}.name" in values:
            kinds[str(values[f"{prefix}.{index}.name"])] = kind  # a stage is a module too: named a stage
            index += 1
    return kinds


def _subject(source: str) -> tuple[str | None, bool]:
    name = source.rpartition("/")[2]
    for pattern, own_section in SUBJECT_FIGURES:
        match = pattern.fullmatch(name)
        if match:
            return match["subject"], own_section
    return None, False


@cache
def _names(names: tuple[str, ...]) -> re.Pattern[str]:
    """Whole item names in running text: layer1 is not named by layer1.0, nor layer1.0 by layer1.0.conv1."""
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w]|\.\w)")
