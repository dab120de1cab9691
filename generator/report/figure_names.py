"""Which figures a run has, by role, and their file names: what pages link and the check expects.

Apart from report/figures.py (which draws them with matplotlib and torch), so
that pages can be written from facts alone.
"""

from __future__ import annotations

from .facts import Facts

RESIDUAL_FIGURE_BLOCKS: tuple[str, ...] = ("layer1.0", "layer2.0")


def figure_files(facts: Facts) -> dict[str, str]:
    """Every figure a page may reference, by role: the single list pages and the check share."""
    files = {
        "scheme": "scheme.png",
        "comparison": "comparison.png",
        "input": "input.png",
        "filters": "conv1-filters.png",
        "degradation": "degradation.png",
        "family-accuracy": "family-accuracy.png",
        "experiment": "degradation-experiment.png",
    }
    files.update({f"residual-{block}": f"residual-{block}.png" for block in RESIDUAL_FIGURE_BLOCKS})
    files.update({f"features-{gallery.name}": f"features-{gallery.name}.png" for gallery in facts.galleries})
    if facts.predictions:
        files["top5"] = "top5.png"
    return files
