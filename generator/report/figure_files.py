"""A drawn figure as the bytes of its file: SVG for a figure with words, PNG for a picture.

SVG keeps text as text (``svg.fonttype: none``): a reader's browser draws it
at any size, search finds it, and the check reads it (verify/figure_text.py).
Both encoders leave out what would make two runs differ: PNG's software tag,
SVG's date and the random salt of its element ids.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 100
# Every figure with words is at most this wide (inches), with no text under 12 points: a phone's column
# (about 340 CSS px) shows it at no less than 10 px text (tests/test_figure_size_browser.py).
COLUMN_WIDTH = 5.2
PNG_METADATA = {"Software": None}
SVG_METADATA = {"Date": None, "Creator": None}  # no date; no version string, which an upgrade would change
SVG_SETTINGS = {"svg.fonttype": "none", "svg.hashsalt": "resnet18-report", "svg.image_inline": True}

plt.rcParams.update({"font.size": 12, **SVG_SETTINGS})


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG, without the metadata that would make two runs differ."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata=PNG_METADATA)
    plt.close(fig)
    return buffer.getvalue()


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG with its text as text, byte-identical across runs (salted ids, no date)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(SVG_SETTINGS):
        fig.savefig(buffer, format="svg", dpi=DPI, metadata=SVG_METADATA)
    plt.close(fig)
    return buffer.getvalue()
