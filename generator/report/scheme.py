"""Figure 1, the network's scheme: read top to bottom, one box per module or residual block, as SVG.

The main path runs down the middle; each block's shortcut leaves it just above the block and joins it again
at the addition (⊕) just below, solid for the identity and dashed, with its convolution written beside it,
for a projection. On the right, each stage's map (the channel the galleries show first) and its output's
shape, beside the boxes it belongs to. Its text is module names, shapes and formula words only, so one file
serves every language (report/figure_names.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, and no REPL hook to install

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyBboxPatch  # noqa: E402

from .facts import Facts  # noqa: E402
from .figure_format import COLUMN_WIDTH as WIDTH  # noqa: E402

LINE = 0.26  # inches per line of a box's label
GAP = 0.34  # between two boxes: room for the addition and the next shortcut's start
BOX = (0.85, 3.3)  # the boxes' left and right edges
PICTURE_X = 4.3  # the pictures' centre
PICTURE = 0.8  # their side
SHORTCUT_X = 0.5  # where the shortcuts run down
JOIN, RADIUS = 0.14, 0.07  # the addition's centre below its block, and its size
BLUE, ORANGE, RED = ("#e8eef7", "#36a"), ("#fdf0e0", "#c06a00"), "tab:red"
MONO = {"family": "monospace"}


@dataclass(frozen=True)
class Box:
    """One box of the main path: its label's lines, its colours, its shortcut (None, "" for the identity, or
    the projection's convolution), and the group of boxes it belongs to (a picture and a shape beside it)."""

    lines: tuple[str, ...]
    colours: tuple[str, str]
    shortcut: str | None
    group: str


def boxes(facts: Facts) -> list[Box]:
    conv, pool = facts.stem
    arch = facts.architecture
    found = [Box(("RGB",), BLUE, None, "input"),
             Box((f"conv1 {conv.kernel}×{conv.kernel}, {conv.channels}, /{conv.stride}", "+ BN + ReLU"), BLUE, None,
                 "conv1"),
             Box((f"maxpool {pool.kernel}×{pool.kernel}, /{pool.stride}",), BLUE, None, "maxpool")]
    channels = conv.channels
    for stage in facts.stages:
        for block in range(stage.blocks):
            stride = f", /{stage.stride}" if block == 0 and stage.stride > 1 else ""
            projects = block == 0 and (stage.stride > 1 or stage.channels != channels)
            shortcut = f"{arch.shortcut_kernel}×{arch.shortcut_kernel}, /{arch.shortcut_stride}" if projects else ""
            found.append(Box((f"{stage.name}.{block}  {arch.block_kernel}×{arch.block_kernel}, {stage.channels}{stride}",),
                             ORANGE, shortcut, stage.name))
        channels = stage.channels
    avgpool, fc = facts.modules[-2], facts.modules[-1]
    return found + [Box((avgpool.name,), BLUE, None, avgpool.name), Box((f"{fc.name}",), BLUE, None, fc.name)]


def shapes(facts: Facts) -> dict[str, str]:
    """Each group's output shape, as the summary writes it (channels × height × width)."""
    conv, pool = facts.stem
    arch = facts.architecture
    found = {"input": f"{arch.input_channels}×{arch.input_size}×{arch.input_size}",
             "conv1": f"{conv.channels}×{conv.size}×{conv.size}", "maxpool": f"{pool.channels}×{pool.size}×{pool.size}"}
    found.update({stage.name: f"{stage.channels}×{stage.size}×{stage.size}" for stage in facts.stages})
    found.update({module.name: "×".join(map(str, module.output_shape)) for module in facts.modules[-2:]})
    return found


def box_height(box: Box) -> float:
    return LINE * len(box.lines) + 0.1


def layout(drawn: list[Box], pictured: set[str]) -> tuple[list[float], dict[str, tuple[float, float]], float]:
    """Each box's top, each group's span (first top, last bottom) and the figure's height, in inches: a group
    with a picture leaves room below its boxes for the picture and its shape."""
    tops: list[float] = []
    spans: dict[str, tuple[float, float]] = {}
    y = GAP
    for index, box in enumerate(drawn):
        tops.append(y)
        spans[box.group] = (spans.get(box.group, (y, y))[0], y + box_height(box))
        y += box_height(box) + GAP
        if box.group in pictured and (index + 1 == len(drawn) or drawn[index + 1].group != box.group):
            y += max(0.0, PICTURE + 0.35 - (spans[box.group][1] - spans[box.group][0]))
    return tops, spans, y


def draw_scheme(facts: Facts, pictures: dict[str, np.ndarray]) -> Figure:
    """The scheme, given each group's picture (input, conv1 and the stages; the others have none)."""
    drawn = boxes(facts)
    tops, spans, height = layout(drawn, set(pictures))
    fig = plt.figure(figsize=(WIDTH, height))
    ax = fig.add_axes((0, 0, 1, 1))
    centre = (BOX[0] + BOX[1]) / 2
    for index, (box, top) in enumerate(zip(drawn, tops)):
        bottom = top + box_height(box)
        ax.add_patch(FancyBboxPatch((BOX[0], top), BOX[1] - BOX[0], bottom - top, boxstyle="round,pad=0.02",
                                    facecolor=box.colours[0], edgecolor=box.colours[1]))
        for line, text in enumerate(box.lines):
            ax.text(centre, top + 0.05 + LINE * (line + 0.5), text, ha="center", va="center", fontsize=12)
        if index + 1 < len(drawn):
            arrow(ax, (centre, bottom if box.shortcut is None else bottom + JOIN + RADIUS), (centre, tops[index + 1]))
        if box.shortcut is not None:
            shortcut(ax, centre, top, bottom, box.shortcut)
    shape_of = shapes(facts)
    for name, (top, bottom) in spans.items():
        beside(ax, top, bottom, pictures.get(name), shape_of[name])
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    return fig


def arrow(ax: plt.Axes, start: tuple[float, float], end: tuple[float, float], **style: object) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "#333", "lw": 1.2,
                                                      "shrinkA": 0, "shrinkB": 0, "mutation_scale": 11, **style})


def shortcut(ax: plt.Axes, centre: float, top: float, bottom: float, projection: str) -> None:
    """From the main path above the block, down its left side, into the addition below it."""
    fork, join, radius = top - GAP * 0.35, bottom + JOIN, RADIUS
    style = "--" if projection else "-"
    ax.plot([centre, SHORTCUT_X, SHORTCUT_X], [fork, fork, join], color=RED, lw=1.4, linestyle=style)
    arrow(ax, (SHORTCUT_X, join), (centre - radius, join), color=RED, lw=1.4, linestyle=style)
    ax.add_patch(Circle((centre, join), radius, facecolor="white", edgecolor="#333", lw=1.2))
    ax.plot([centre - radius * 0.6, centre + radius * 0.6], [join, join], color="#333", lw=1.2)
    ax.plot([centre, centre], [join - radius * 0.6, join + radius * 0.6], color="#333", lw=1.2)
    if projection:
        ax.text(SHORTCUT_X - 0.08, (fork + join) / 2, projection, rotation=90, ha="right", va="center",
                fontsize=12, color=RED)


def beside(ax: plt.Axes, top: float, bottom: float, picture: np.ndarray | None, shape: str) -> None:
    """A group's picture (if any) and output shape to the right of its boxes, joined to them by a bracket."""
    ax.plot([BOX[1] + 0.12, BOX[1] + 0.2, BOX[1] + 0.2, BOX[1] + 0.12], [top, top, bottom, bottom], color="#999",
            lw=1)
    if picture is None:
        ax.text(PICTURE_X, (top + bottom) / 2, shape, ha="center", va="center", fontsize=12, **MONO)
        return
    ax.imshow(picture, cmap=None if picture.ndim == 3 else "viridis", interpolation="nearest",
              extent=(PICTURE_X - PICTURE / 2, PICTURE_X + PICTURE / 2, top + PICTURE, top))
    ax.text(PICTURE_X, top + PICTURE + 0.05, shape, ha="center", va="top", fontsize=12, **MONO)
