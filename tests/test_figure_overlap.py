"""Legends and labels never cover data, and the galleries name their tiles on one colour scale, in both languages."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from generator.core import sources
from generator.core.config import LANGUAGES
from generator.experiment import results
from generator.report import figures, galleries  # torch and matplotlib: imported at collection, not in a test
from generator.report.family import remembered_family

from .conftest import Build
from .figure_overlap import overlaps, plotted


def drawn(monkeypatch: pytest.MonkeyPatch, draw: Callable[[], object]) -> Figure:
    """The Figure a drawing function hands to the encoder: what the build writes, inspected before encoding."""
    caught: list[Figure] = []
    for encoder in ("png_bytes", "svg_bytes"):
        monkeypatch.setattr(figures, encoder, lambda fig: caught.append(fig) or b"")
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


GALLERY_SHAPES = ((64, 112), (64, 56), (128, 28), (256, 14), (512, 7))  # ResNet18's stages: channels, size


@cache
def gallery_figures(language: str) -> list[tuple[Figure, list[int]]]:
    """Every gallery ResNet18 draws, on made-up activations of the real sizes, with the channels it names."""
    generator = torch.Generator().manual_seed(0)
    drawn = []
    for count, size in GALLERY_SHAPES:
        channels = tuple(range(count - 16, count))
        maps = torch.relu(torch.randn(1, count, size, size, generator=generator))
        drawn.append((galleries.draw_features(maps, channels, figures.words_in(language)), list(channels)))
    weights = torch.randn(64, 3, 7, 7, generator=generator)
    return [*drawn, *((galleries.draw_filters(weights * size, figures.words_in(language)), list(range(64)))
                      for size in (0.2, 0.003))]  # ImageNet's size of weights, and one with long tick labels


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_gallery_tile_is_named_in_the_language_and_no_name_covers_a_map(language: str) -> None:
    words = figures.words_in(language)
    for fig, channels in gallery_figures(language):
        assert overlaps(fig) == []
        assert sum(len(points) for _, points in plotted(fig.axes[0])) > 0  # the maps' pixels were looked at
        wanted = [str(c) for c in channels] if len(channels) == 64 else [f"{words('channel')} {c}" for c in channels]
        assert [text.get_text() for text in fig.axes[0].texts] == wanted  # a filter's number, a channel's name
        texts = [text for text in fig.findobj(Text) if text.get_visible() and text.get_text()]
        assert [text.get_text() for text in texts if not fig.bbox.contains(*text.get_window_extent().min)
                or not fig.bbox.contains(*text.get_window_extent().max)] == []  # the bar's ticks and label too


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_gallery_has_one_colour_bar_with_the_shared_scale_and_the_languages_decimals(language: str) -> None:
    words = figures.words_in(language)
    decimal, other = {"es": (",", "."), "en": (".", ",")}[language]
    for fig, channels in gallery_figures(language):
        tiles, bar = fig.axes
        fig.canvas.draw()
        ticks = [label.get_text() for label in bar.get_xticklabels() if label.get_text()]
        assert ticks and not any(other in tick for tick in ticks), ticks
        assert bar.get_xlabel() == words("filter_weight" if len(channels) == 64 else "activation")
        shown = np.ma.getdata(tiles.images[0].get_array())
        if shown.ndim == 2:  # the feature maps: one scale over every tile, from the lowest value shown to the highest
            assert tiles.images[0].norm.vmin == np.nanmin(shown) and tiles.images[0].norm.vmax == np.nanmax(shown)
            assert bar.get_xlim() == (np.nanmin(shown), np.nanmax(shown))
        else:  # the filters: zero at mid-grey, the bar symmetric, decimals in the language's sign
            assert bar.get_xlim()[0] == -bar.get_xlim()[1] and any(decimal in tick for tick in ticks), ticks


def test_the_gutters_are_no_colour_of_the_scale() -> None:
    """Between and above the tiles: no value (NaN, or transparent), drawn in the figure's white; viridis' top
    colour, yellow, is a value."""
    for fig, _ in gallery_figures("en"):
        picture = fig.axes[0].images[0]
        shown = np.ma.getdata(picture.get_array())
        gaps = ~np.isfinite(shown) if shown.ndim == 2 else shown[..., 3] == 0
        assert gaps.any() and (~gaps).any()
        if shown.ndim == 2:
            assert picture.cmap.get_bad().tolist() == [1.0, 1.0, 1.0, 1.0]
        data = np.asarray(Image.open(io.BytesIO(figures.png_bytes(fig))).convert("RGB"))
        assert (data == 255).all(axis=2).mean() > 0.05  # the gutters and bands are white


@pytest.mark.build
def test_no_figure_of_a_real_run_has_a_label_over_its_data(built: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every figure the build draws, on the shared build's own run, read as it is handed to the encoder."""
    from generator.report.compute import compute_facts
    from generator.runtime import forked

    facts, capture, model = compute_facts(built.config, lambda _: None)
    conv1_weight = model.conv1.weight.detach()
    found: list[list[str]] = []

    def inspect(fig: Figure) -> bytes:
        found.append(overlaps(fig))
        plt.close(fig)  # as the encoders do: the run draws more figures than pyplot keeps quietly
        return b""

    @contextmanager
    def in_this_process(work: Callable[[], object], what: str) -> Iterator[Callable[[], object]]:
        yield work  # every figure drawn here, where inspect() sees it

    monkeypatch.setattr(figures, "png_bytes", inspect)
    monkeypatch.setattr(figures, "svg_bytes", inspect)
    monkeypatch.setattr(forked, "started", in_this_process)
    names = list(figures.figure_bytes(facts, capture, conv1_weight))
    assert len(found) == len(names) > len(FIGURES) + len(GALLERY_SHAPES)
    assert [overlap for overlap in found if overlap] == []
