"""The galleries of pictures: the stages' most active feature maps and the first layer's filters, tiled.

Apart from report/figures.py, which encodes and names them: a gallery is
drawn here as a matplotlib Figure, so that what a test inspects is what the
build encodes. Grids are pre-tiled into one image on one Axes, which is
several times faster than one Axes per panel; each tile has a band above it
for its name, and the bands and gutters hold no value (NaN, drawn in the
figure's own white), so no colour of the scale separates the tiles.

Every tile of a gallery is drawn on one colour scale shared by the gallery,
shown by its colour bar: the galleries are there to compare channels (which
is strong, where, how much), and a scale per tile would make a weak channel
look as bright as a strong one. Tile names and the bar's label are words in
the reader's language, so a gallery is drawn once per language.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Protocol

import matplotlib
import numpy as np
import torch
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .figure_format import COLUMN_WIDTH, SEQUENTIAL

GUTTER = "white"  # the figure's background, outside viridis (a filter is white only at +max in R, G and B)
NAME_POINTS = 12  # the tiles' names: at the column's width, 10 CSS px or more on a phone (tests/test_figure_size_browser)
NAME_BAND = 0.3  # inches above each tile for its name: a 12-point line and some air
SIDE_GUTTER = 0.1  # inches between two tiles of a row
WIDTH = COLUMN_WIDTH  # the whole figure, so the column shows it at its size or less
MARGIN = 0.1  # inches around the grid
BAR_GAP, BAR_HEIGHT, BAR_TEXT = 0.15, 0.18, 0.7  # inches: the colour bar under the grid, then its ticks and label


class Words(Protocol):
    """What a gallery needs of report.figures.Words: a word by key, and numbers in the language's style."""

    def __call__(self, key: str) -> str: ...

    def localise(self, *axes: Axis) -> None: ...


@dataclasses.dataclass(frozen=True)
class Grid:
    """Tiles laid out on one canvas, where to write their names, and the size it is drawn at."""

    canvas: np.ndarray  # the tiles, NaN in the name bands and gutters
    names_at: tuple[tuple[float, float], ...]  # the centre of each tile's name band, in image coordinates
    size: tuple[float, float]  # the grid's width and height in inches, at the tile size asked for


def channel_map(feature_map: torch.Tensor, channel: int) -> np.ndarray:
    return feature_map[0, channel].numpy()


def unit_scaled(array: np.ndarray) -> np.ndarray:
    low, high = float(array.min()), float(array.max())
    return (array - low) / (high - low) if high > low else np.zeros_like(array)


def tile(panels: list[np.ndarray], columns: int) -> Grid:
    """Panels (H, W) or (H, W, 3) on one canvas as wide as the figure's grid: a name band above each tile,
    gutters between."""
    rows = -(-len(panels) // columns)
    height, width = panels[0].shape[:2]
    inches = (WIDTH - 2 * MARGIN - (columns - 1) * SIDE_GUTTER) / columns
    band = math.ceil(NAME_BAND * height / inches)
    side = math.ceil(SIDE_GUTTER * width / inches)
    canvas = np.full((rows * (band + height), columns * (width + side) - side, *panels[0].shape[2:]), np.nan,
                     dtype=np.float32)
    names_at = []
    for i, panel in enumerate(panels):
        r, c = divmod(i, columns)
        top, left = r * (band + height) + band, c * (width + side)
        canvas[top : top + height, left : left + width] = panel
        names_at.append((left + (width - 1) / 2, top - 0.5 - band / 2))
    per_pixel = inches / width
    return Grid(canvas, tuple(names_at), (canvas.shape[1] * per_pixel, canvas.shape[0] * per_pixel))


def gallery(grid: Grid, names: list[str], scale: ScalarMappable, label: str, words: Words) -> Figure:
    """The tiled grid, each tile named above it, with the shared colour bar under it: the figure both galleries
    are, as wide as the page's column.

    Laid out by hand, in inches, rather than by a layout engine: the sizes are known, and an engine would
    measure every name's box and draw the figure twice, which made a gallery several times slower.
    """
    width, height = grid.size
    under = BAR_GAP + BAR_HEIGHT + BAR_TEXT
    fig = Figure(figsize=(WIDTH, height + under + 2 * MARGIN))
    FigureCanvasAgg(fig)  # the encoder's canvas from the start
    inches = np.array([fig.get_figwidth(), fig.get_figheight()] * 2)
    left = (WIDTH - width) / 2
    ax = fig.add_axes(tuple(np.array([left, MARGIN + under, width, height]) / inches))
    canvas = grid.canvas
    if canvas.ndim == 3:  # RGB: the gutters transparent, over the figure's white
        ax.imshow(np.dstack([np.nan_to_num(canvas), np.isfinite(canvas[..., 0])]), interpolation="nearest")
    else:
        ax.imshow(canvas, cmap=scale.get_cmap(), norm=scale.norm, interpolation="nearest")
    for (x, y), name in zip(grid.names_at, names):
        ax.text(x, y, name, ha="center", va="center", fontsize=NAME_POINTS)
    ax.set_axis_off()
    bar = fig.add_axes(tuple(np.array([left + width / 6, MARGIN + BAR_TEXT, width * 2 / 3, BAR_HEIGHT]) / inches))
    low, high = scale.norm.vmin, scale.norm.vmax
    ticks = [tick for tick in MaxNLocator(nbins=5).tick_values(low, high) if low <= tick <= high]  # only drawn ones
    fig.colorbar(scale, cax=bar, orientation="horizontal", label=label, ticks=ticks)
    words.localise(bar.xaxis)
    return fig


def draw_filters(conv1_weight: torch.Tensor, words: Words) -> Figure:
    """Each first-layer filter as a tiny RGB picture, every filter on one scale: 0 is mid-grey in R, G and B."""
    weights = conv1_weight.permute(0, 2, 3, 1).numpy()
    limit = float(np.abs(weights).max()) or 1.0
    panels = list(0.5 + weights / (2 * limit))
    grid = tile(panels, int(np.ceil(np.sqrt(len(panels)))))
    scale = ScalarMappable(Normalize(-limit, limit), cmap="gray")
    names = [str(index) for index in range(len(panels))]  # the caption says a filter's number is above it
    return gallery(grid, names, scale, words("filter_weight"), words)


def draw_features(feature_map: torch.Tensor, channels: tuple[int, ...], words: Words) -> Figure:
    """The most active channels of one stage, on one colour scale from the lowest to the highest value shown."""
    panels = [channel_map(feature_map, c) for c in channels]
    low = min(float(panel.min()) for panel in panels)
    high = max(float(panel.max()) for panel in panels)
    colours = matplotlib.colormaps[SEQUENTIAL].with_extremes(bad=GUTTER)  # a copy: the registered map unchanged
    scale = ScalarMappable(Normalize(low, high if high > low else low + 1.0), cmap=colours)
    grid = tile(panels, int(np.sqrt(len(panels))))
    names = [f"{words('channel')} {c}" for c in channels]
    return gallery(grid, names, scale, words("activation"), words)
