"""What a figure draws over what: legends and text labels against every plotted point, bar and map pixel.

matplotlib is asked, after laying the figure out, for the display box of every
legend and text label inside an Axes, and for where each plotted value lands
(the data-to-display transform of lines, sampled along each segment, of bars,
and of every pixel of a picture that holds a value). A box that covers a value
or another box is an overlap: a reader loses what is underneath.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

SAMPLES_PER_SEGMENT = 12  # a legend over a line between two epochs hides it as much as one over a point
PIXEL_STEP = 2.0  # a bar is sampled every two display pixels: no label fits between two samples


def labels(fig: Figure) -> list[tuple[str, Bbox]]:
    """Every legend and free text label, the figure's and its Axes' (not titles, axis or tick labels), with its box."""
    renderer = fig.canvas.get_renderer()
    legends = fig.findobj(Legend)  # the figure's, its subfigures' and its Axes'
    texts = [*(text for part in [fig, *fig.subfigs] for text in part.texts),
             *(text for ax in fig.axes for text in ax.texts)]
    return [*((f"legend ({', '.join(t.get_text() for t in legend.get_texts())[:40]})",
               legend.get_window_extent(renderer)) for legend in legends),
            *((f"label {text.get_text()!r}", text.get_window_extent(renderer))
              for text in texts if text.get_visible() and text.get_text())]


def line_points(line: Line2D) -> np.ndarray:
    data = np.asarray(line.get_xydata(), dtype=float)
    if line.get_linestyle() not in ("None", "", " ") and len(data) > 1:
        steps = np.linspace(0, 1, SAMPLES_PER_SEGMENT, endpoint=False)[:, None, None]
        data = np.vstack([(data[:-1] + steps * (data[1:] - data[:-1])).reshape(-1, 2), data[-1:]])
    return line.get_transform().transform(data)


def image_points(image: AxesImage) -> np.ndarray:
    """The display position of every pixel's centre that holds a value (not a gutter, masked or transparent)."""
    array = np.ma.getdata(image.get_array())
    shown = ~np.ma.getmaskarray(image.get_array())
    if array.ndim == 3:
        shown = shown.all(axis=2) & (array[..., 3] > 0 if array.shape[2] == 4 else True)
    else:
        shown &= np.isfinite(array)
    left, right, bottom, top = image.get_extent()
    rows, columns = np.nonzero(shown)
    x = left + (columns + 0.5) * (right - left) / array.shape[1]
    y = top + (rows + 0.5) * (bottom - top) / array.shape[0]
    return image.axes.transData.transform(np.column_stack([x, y]))


def plotted(ax: Axes) -> list[tuple[str, np.ndarray]]:
    """Where every value of the Axes lands on the canvas, by series: line points, bar corners, map pixels."""
    found = [(f"line {line.get_label() if not line.get_label().startswith('_') else line.get_color()}",
              line_points(line)) for line in ax.lines if line.get_visible()]
    for patch in ax.patches:
        if isinstance(patch, Rectangle):
            bar = patch.get_window_extent()
            low = np.maximum((bar.x0, bar.y0), (ax.bbox.x0, ax.bbox.y0))  # the part of the bar in view
            high = np.minimum((bar.x1, bar.y1), (ax.bbox.x1, ax.bbox.y1))
            if (high <= low).any():
                continue
            xs, ys = (np.append(np.arange(low[i], high[i], PIXEL_STEP), high[i]) for i in (0, 1))
            grid = np.stack(np.meshgrid(xs, ys), -1)
            found.append((f"bar at {patch.get_x():g}", grid.reshape(-1, 2)))
    found += [(f"picture in {ax.get_label() or 'axes'}", image_points(image)) for image in ax.images]
    return [(name, points[inside(ax.bbox, points, margin=0.5)]) for name, points in found]


def inside(box: Bbox, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
    return ((points[:, 0] > box.x0 - margin) & (points[:, 0] < box.x1 + margin)
            & (points[:, 1] > box.y0 - margin) & (points[:, 1] < box.y1 + margin))


def overlaps(fig: Figure) -> list[str]:
    """Each legend or label that covers a plotted value or another label, in words."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # a Figure made without pyplot: the canvas the encoder would use
    fig.canvas.draw()
    boxes = labels(fig)
    found = []
    for name, box in boxes:
        for ax in fig.axes:
            for series, points in plotted(ax):
                covered = int(inside(box, points).sum())
                if covered:
                    found.append(f"{name} covers {covered} point(s) of {series}")
    for i, (name, box) in enumerate(boxes):
        found += [f"{name} overlaps {other}" for other, box2 in boxes[i + 1:] if box.overlaps(box2)]
    return found
