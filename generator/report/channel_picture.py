"""One channel of a feature map as a PNG: the picture the notebook shows and the check draws again.

Apart from report/figures.py, whose imports (pyplot and the code of every
figure) the notebook's kernel would otherwise pay before its picture, on the
build's longest path: drawn on a Figure with its own Agg canvas, no pyplot.
"""

from __future__ import annotations

import io

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .figure_format import DPI, PNG_METADATA, SEQUENTIAL


def channel_png(feature_map: torch.Tensor, channel: int) -> bytes:
    """One channel of a feature map as a picture: what the notebook shows, reproducible by the check."""
    fig = Figure(figsize=(4, 4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.imshow(feature_map.detach()[0, channel].numpy(), cmap=SEQUENTIAL, interpolation="nearest")
    ax.set_axis_off()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata=PNG_METADATA)
    return buffer.getvalue()
