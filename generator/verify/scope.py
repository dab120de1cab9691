"""What a value is of: a whole block or one channel. The check holds each value's scope against its place.

The residual figures and the hand-made add show one channel of a block, while
the block's minimum, `allclose` and largest difference are taken over all of
its channels. A value beside a channel must be that channel's, or say that it
is the block's; a table row holds values of one scope.
"""

from __future__ import annotations

import re

from .context import Context, squash
from .visible import BLOCK_TAGS, Element

BLOCK_SCOPE = re.compile(r"^residual\.(\d+)\.(?:residual_min|residual_max|residual_negative_fraction|allclose|"
                         r"max_abs_diff|correction_share)$")
CHANNEL_SCOPE = re.compile(r"^residual\.(\d+)\.(?:channel_residual_min|channel_residual_max)$")
CHANNEL = re.compile(r"^residual\.(\d+)\.channel$")
# Layers other networks or the report name, that torchvision's resnet18 has no module for (the softmax is applied
# outside it; its add is `out += identity` inside BasicBlock.forward).
NOT_MODULES = re.compile(r"\b(?:Softmax|Add|Flatten|Dropout|Concat)\b|“Add”")
ONE_CHANNEL_FIGURES = ("residual-", "comparison")  # figures that draw one channel of one block


def facts_in(element: Element) -> list[str]:
    return [e.attrs["data-fact"] for e in element.walk() if "data-fact" in e.attrs]


def one_channel_anchors(root: Element) -> set[str]:
    """The ids of the figures that show one channel."""
    anchors = set()
    for figure in (e for e in root.walk() if e.tag == "figure" and "id" in e.attrs):
        sources = [e.attrs.get("src", "").rsplit("/", 1)[-1] for e in figure.walk() if e.tag == "img"]
        if any(name.startswith(ONE_CHANNEL_FIGURES) for name in sources):
            anchors.add(figure.attrs["id"])
    return anchors


def check_rows(root: Element, ctx: Context) -> None:
    channel_header = squash(ctx.strings["channel"])
    for table in (e for e in root.walk() if e.tag == "table"):
        headers = [squash(cell.text()) for cell in table.walk() if cell.tag == "th"]
        for row in (e for e in table.walk() if e.tag == "tr"):
            keys = facts_in(row)
            block = [key for key in keys if BLOCK_SCOPE.match(key)]
            of_channel = any(CHANNEL_SCOPE.match(key) or CHANNEL.match(key) for key in keys)
            if block and (channel_header in headers or of_channel):
                ctx.fail(f"table row with {block[0]}", "values of one scope: a block's beside its name only",
                         "a block's value beside a channel")


def check_statements(root: Element, ctx: Context) -> None:
    channel_figures = one_channel_anchors(root)
    phrase = squash(ctx.strings["scope_block"])
    for statement in (e for e in root.walk() if e.tag in BLOCK_TAGS - {"tr"}):
        keys = facts_in(statement)
        channels = {CHANNEL.match(key)[1] for key in keys if CHANNEL.match(key)}
        for key in keys:
            of_channel = CHANNEL_SCOPE.match(key)
            if of_channel and of_channel[1] not in channels:
                ctx.fail(f"fact {key}", "a channel's value beside that channel's number", "without it")
        block = [key for key in keys if BLOCK_SCOPE.match(key)]
        figures = {e.attrs.get("href", "").lstrip("#") for e in statement.walk() if e.tag == "a"}
        beside_channel = channels or figures & channel_figures
        if block and beside_channel and phrase not in squash(statement.text()):
            ctx.fail(f"fact {block[0]}", f"a block's value beside one channel says it is the block's ({phrase!r})",
                     "no such words")


def check_module_names(root: Element, ctx: Context) -> None:
    """A layer named as a part of the network that torchvision's resnet18 does not have is said not to be one."""
    phrase = squash(ctx.strings["not_a_module"])
    for statement in (e for e in root.walk() if e.tag in BLOCK_TAGS):
        text = squash(statement.text())
        named = NOT_MODULES.search(text)
        if named and phrase not in text:
            ctx.fail(f"layer {named[0]!r}", f"a part of torchvision's resnet18, or the words {phrase!r}", repr(text[:80]))


def check_scopes(root: Element, ctx: Context) -> None:
    check_rows(root, ctx)
    check_statements(root, ctx)
    check_module_names(root, ctx)
