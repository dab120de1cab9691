"""Figure 1, the scheme: read top to bottom, its boxes aligned, each shortcut joining the two points of the main
path around its own block, and every text readable at the column's width."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text

from generator.report import scheme
from generator.report.figure_names import figure_files

from .conftest import Build


def drawn(built: Build) -> plt.Figure:
    pictures = {"input": np.zeros((4, 4, 3)), "conv1": np.zeros((4, 4))}
    pictures.update({stage.name: np.zeros((4, 4)) for stage in built.facts.stages})
    return scheme.draw_scheme(built.facts, pictures)


def test_the_scheme_is_one_svg_for_every_language(built: Build) -> None:
    assert {figure_files(built.facts, language)["scheme"] for language in ("es", "en")} == {"scheme.svg"}
    assert (built.docs / "img" / "scheme.svg").read_bytes().startswith(b"<?xml")


def test_boxes_are_aligned_and_follow_each_other_top_to_bottom(built: Build) -> None:
    fig = drawn(built)
    ax = fig.axes[0]
    boxes = [patch for patch in ax.patches if isinstance(patch, FancyBboxPatch)]
    assert len(boxes) == 3 + sum(stage.blocks for stage in built.facts.stages) + 2
    assert len({(round(box.get_x(), 6), round(box.get_width(), 6)) for box in boxes}) == 1  # one column
    tops = [box.get_y() for box in boxes]
    assert tops == sorted(tops)  # the y axis points down: the input first, fc last
    plt.close(fig)


def test_each_shortcut_joins_the_main_path_just_above_and_just_below_its_own_block(built: Build) -> None:
    fig = drawn(built)
    ax = fig.axes[0]
    labels = {text.get_text().split()[0]: text for text in ax.texts if text.get_text().startswith("layer")}
    boxes = sorted((patch for patch in ax.patches if isinstance(patch, FancyBboxPatch)), key=lambda p: p.get_y())
    red = [line for line in ax.lines if isinstance(line, Line2D) and line.get_color() == scheme.RED]
    assert len(red) == len(labels) == sum(stage.blocks for stage in built.facts.stages)
    for line in red:
        xs, ys = line.get_data()
        fork, join = ys[0], ys[-1]
        inside = [box for box in boxes if fork < box.get_y() and box.get_y() + box.get_height() < join]
        assert len(inside) == 1, (fork, join)  # it goes around exactly one box
        block = next(name for name, text in labels.items()
                     if inside[0].get_y() < text.get_position()[1] < inside[0].get_y() + inside[0].get_height())
        projects = block.endswith(".0") and block != "layer1.0"  # torchvision's resnet18: the first block of 2-4
        assert (line.get_linestyle() == "--") == projects, block
        assert xs[0] > xs[1] == xs[2] < inside[0].get_x()  # from the main path, left of the box, down
    plt.close(fig)


def test_every_text_is_at_least_12_points_in_a_figure_the_column_shows_whole(built: Build) -> None:
    fig = drawn(built)
    assert fig.get_figwidth() <= 5.2
    fig.canvas.draw()
    texts = [text for text in fig.findobj(Text) if text.get_text()]
    assert texts and min(text.get_fontsize() for text in texts) >= 12
    boxes = [text.get_window_extent() for text in texts]
    overlapping = [(texts[i].get_text(), texts[j].get_text()) for i in range(len(boxes))
                   for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]
    assert not overlapping
    plt.close(fig)
