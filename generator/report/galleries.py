"""The galleries of pictures: the stages' most active feature maps and the first layer's filters, tiled.

Apart from report/figures.py, which encodes and names them: a gallery is
drawn here as a matplotlib Figure, so that what a test inspects is what the
build encodes. Grids are pre-tiled into one image on one Axes, which is
several times faster than one Axes per panel.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

SEQUENTIAL = "viridis"


def channel_map(feature_map: torch.Tensor, channel: int) -> np.ndarray:
    return feature_map[0, channel].numpy()


def unit_scaled(array: np.ndarray) -> np.ndarray:
    low, high = float(array.min()), float(array.max())
    return (array - low) / (high - low) if high > low else np.zeros_like(array)


def tile(panels: list[np.ndarray], columns: int, pad: int = 1) -> np.ndarray:
    """Panels (H, W) or (H, W, 3) laid out on one canvas with a white gutter."""
    rows = -(-len(panels) // columns)
    height, width = panels[0].shape[:2]
    shape = (rows * (height + pad) - pad, columns * (width + pad) - pad, *panels[0].shape[2:])
    canvas = np.ones(shape, dtype=np.float32)
    for i, panel in enumerate(panels):
        r, c = divmod(i, columns)
        canvas[r * (height + pad) : r * (height + pad) + height, c * (width + pad) : c * (width + pad) + width] = panel
    return canvas


def draw_filters(conv1_weight: torch.Tensor) -> Figure:
    """Each first-layer filter as a tiny RGB picture, scaled on its own."""
    panels = [unit_scaled(w.permute(1, 2, 0).numpy()) for w in conv1_weight]
    columns = int(np.ceil(np.sqrt(len(panels))))
    fig = Figure(figsize=(5, 5), layout="constrained")
    ax = fig.subplots()
    ax.imshow(tile(panels, columns), interpolation="nearest")
    ax.set_axis_off()
    return fig


def draw_features(feature_map: torch.Tensor, channels: tuple[int, ...]) -> Figure:
    """The most active channels of one stage, each scaled on its own."""
    panels = [unit_scaled(channel_map(feature_map, c)) for c in channels]
    columns = int(np.sqrt(len(panels)))
    fig = Figure(figsize=(6, 6), layout="constrained")
    ax = fig.subplots()
    ax.imshow(tile(panels, columns), cmap=SEQUENTIAL, interpolation="nearest")
    ax.set_axis_off()
    return fig
