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

from .figure_format import DPI, PNG_METADATA, SVG_METADATA, SVG_SETTINGS  # noqa: E402

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
