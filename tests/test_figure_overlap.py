"""Legends and labels never cover data: every figure with a legend, point labels or tile names, in both languages."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.figure import Figure

from generator.core import sources
from generator.core.config import LANGUAGES
from generator.experiment import results
from generator.report import figures  # torch and matplotlib: imported at collection, not inside a test
from generator.report.family import remembered_family

from .figure_overlap import overlaps, plotted


def drawn(monkeypatch: pytest.MonkeyPatch, draw: Callable[[], object]) -> Figure:
    """The Figure a drawing function hands to the encoder: what the build writes, inspected before encoding."""
    caught: list[Figure] = []
    monkeypatch.setattr(figures, "png_bytes", lambda fig: caught.append(fig) or b"")
    draw()
    assert len(caught) == 1
    return caught[0]


FIGURES: dict[str, Callable[[figures.Words], object]] = {
    "experiment": lambda w: figures.draw_experiment(results.experiment_facts(results.read()), w),
    "family-accuracy": lambda w: figures.draw_family_accuracy(SimpleNamespace(family=remembered_family()), w),
    "degradation": lambda w: figures.draw_degradation(dict(sources.cited_numbers()), w),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", sorted(FIGURES))
def test_no_legend_or_label_covers_a_plotted_value(monkeypatch: pytest.MonkeyPatch, role: str, language: str) -> None:
    fig = drawn(monkeypatch, lambda: FIGURES[role](figures.words_in(language)))
    assert overlaps(fig) == []
    assert sum(len(points) for ax in fig.axes for _, points in plotted(ax)) > 10, role  # the test sees the data


def test_a_legend_placed_over_the_curves_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted: the experiment's legend moved onto the middle of the plain nets' curves."""
    fig = drawn(monkeypatch, lambda: FIGURES["experiment"](figures.words_in("en")))
    fig.axes[0].legend(fig.axes[0].lines[:2], ["planted", "legend"], loc="center")
    found = overlaps(fig)
    assert any(line.startswith("legend") and "covers" in line for line in found), found


def test_a_label_over_a_bar_is_found() -> None:
    fig = Figure()
    ax = fig.subplots()
    ax.bar(["a", "b"], [3, 4])
    ax.text(0, 1.5, "over the bar")
    ax.text(1, 4.2, "above")
    found = overlaps(fig)
    assert len(found) == 1 and found[0].startswith("label 'over the bar' covers"), found


def test_a_label_over_a_picture_is_found_and_one_over_a_gutter_is_not() -> None:
    fig = Figure()
    ax = fig.subplots()
    picture = np.ones((20, 20))
    picture[:, 8:12] = np.nan  # a gutter
    ax.imshow(picture)
    ax.text(10, 10, "|", ha="center", va="center", fontsize=6)
    ax.text(3, 10, "on a map", fontsize=6)
    found = overlaps(fig)
    assert len(found) == 1 and found[0].startswith("label 'on a map' covers"), found
