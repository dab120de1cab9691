"""Which figures a run has, by role, and their file names: what pages link and the check expects.

Apart from report/figures.py (which draws them with matplotlib and torch), so
that pages can be written from facts alone. A figure with words or decimal
numbers in it is drawn once per language, as SVG with its text kept as text
(``degradation-experiment.es.svg``; the galleries too, whose tiles are named);
one of pictures and code names only is drawn once: the scheme as SVG (its
text is names and shapes), the input as PNG.
"""

from __future__ import annotations

from ..core.config import LANGUAGES
from .facts import Facts

RESIDUAL_FIGURE_BLOCKS: tuple[str, ...] = ("layer1.0", "layer2.0")
BASE_NAMES: dict[str, str] = {
    "scheme": "scheme",
    "comparison": "comparison",
    "input": "input",
    "filters": "conv1-filters",
    "degradation": "degradation",
    "family-accuracy": "family-accuracy",
    "experiment": "degradation-experiment",
    "top5": "top5",
    **{f"residual-{block}": f"residual-{block}" for block in RESIDUAL_FIGURE_BLOCKS},
}
# The roles whose figures hold words or decimal numbers: axis labels, legends, panel titles, colour scales,
# tile names; and the prefix of the galleries' roles (one per stage), whose tiles are named in words.
WORDED_ROLES = frozenset({"comparison", "degradation", "family-accuracy", "experiment", "top5", "filters",
                          *(f"residual-{block}" for block in RESIDUAL_FIGURE_BLOCKS)})
WORDED_PREFIXES = ("features-",)


def worded(role: str) -> bool:
    """Whether the figure of ``role`` holds words, and so is drawn once per language."""
    return role in WORDED_ROLES or role.startswith(WORDED_PREFIXES)


def figure_roles(facts: Facts) -> list[str]:
    """Every figure this run draws, by role, in drawing order."""
    roles = ["scheme", "comparison", "input", "filters", "degradation", "family-accuracy", "experiment"]
    roles += [f"residual-{block}" for block in RESIDUAL_FIGURE_BLOCKS]
    roles += [f"features-{gallery.name}" for gallery in facts.galleries]
    return roles + (["top5"] if facts.predictions else [])


# The roles drawn once for every language as SVG: a diagram whose text is names, shapes and formula words.
DIAGRAM_ROLES = frozenset({"scheme"})


def file_name(role: str, language: str) -> str:
    base = BASE_NAMES.get(role, role)
    if worded(role):
        return f"{base}.{language}.svg"
    return f"{base}.svg" if role in DIAGRAM_ROLES else f"{base}.png"


def figure_files(facts: Facts, language: str) -> dict[str, str]:
    """Every figure a page in ``language`` may reference, by role: the single list pages and the check share."""
    return {role: file_name(role, language) for role in figure_roles(facts)}


def every_figure_file(facts: Facts) -> list[str]:
    """The file names of every figure of the run, each language's once."""
    return sorted({name for language in LANGUAGES for name in figure_files(facts, language).values()})
