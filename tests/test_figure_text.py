"""The words of the SVG figures: each served figure says only its language's figure strings, names and numbers
written in its format, and runs nothing; a figure with words is SVG, byte for byte the same every time."""

from __future__ import annotations

import shutil

import matplotlib.pyplot as plt
import pytest

from generator.core.errors import MismatchError
from generator.report.figure_files import svg_bytes
from generator.verify import figure_text
from generator.verify import gate as check
from generator.verify.gate import CheckInputs

from .conftest import Build, Derived
from .site_edits import edit
from .test_check import inputs, mismatches, only  # noqa: F401  (fixtures)

SPANISH_EXPERIMENT = "img/degradation-experiment.svg"  # the Spanish figure, served at the site's root


def words(derived: Derived) -> figure_text.FigureWords:
    return figure_text.run_words(derived.expected)


def read(data: bytes, language: str | None, derived: Derived) -> list[str]:
    found: list = []
    figure_text.check_svg_figure("page", "figure f.svg", data, language, words(derived), found)
    return [str(m) for m in found]


def test_every_served_svg_figure_of_the_untouched_build_passes(built: Build, derived: Derived) -> None:
    served = sorted(built.site.rglob("*.svg"))
    languages = {"en" if path.relative_to(built.site).parts[0] == "en" else "es" for path in served}
    assert len(served) >= 10 and languages == {"es", "en"}, served
    for path in served:
        language = "en" if path.relative_to(built.site).parts[0] == "en" else "es"
        texts = figure_text.shown_texts(figure_text.ElementTree.fromstring(path.read_bytes()))
        assert texts, path  # text kept as text, which the check can read
        assert read(path.read_bytes(), language, derived) == [], path


@pytest.mark.parametrize(("old", "new", "found"), [
    (">época<", ">epoch<", "'epoch'"),  # an English word in the Spanish figure
    (">40<", ">4.0<", "'4.0'"),  # a tick label in English format
    (">60<", ">6,0,0<", "'6,0,0'"),  # a changed digit that makes no number
    (">80<", ">8O<", "'8O'"),  # a digit changed into a letter
    (">reservado<", ">reservados<", "'reservados'"),  # a changed word
])
def test_a_planted_word_or_number_in_the_spanish_figure_fails(editable_build: Build, mismatches, old, new,
                                                              found) -> None:  # noqa: F811
    """Read with its page, as the whole check reads it (which the next test shows)."""
    edit(editable_build.site / SPANISH_EXPERIMENT, old, new)
    only(mismatches(editable_build, "experiment"), "(experiment.es)", f"figure img/degradation-experiment.es.svg, served as "
         f"{SPANISH_EXPERIMENT}", "the figure's words in es", found)


def test_the_whole_check_stops_with_exit_code_5_naming_the_figure(editable_build: Build, inputs) -> None:  # noqa: F811
    edit(editable_build.site / SPANISH_EXPERIMENT, ">época<", ">epoch<")
    values, reference, reproduction = inputs
    with pytest.raises(MismatchError) as caught:
        check.verify(editable_build.docs, editable_build.site, editable_build.config,
                     CheckInputs(expected=values, reference=reference, reproduction=reproduction))
    assert caught.value.exit_code == 5
    assert any(SPANISH_EXPERIMENT in line and "'epoch'" in line for line in caught.value.listing), caught.value.listing


def test_a_served_svg_figure_no_page_shows_is_refused_unread(editable_build: Build, mismatches) -> None:  # noqa: F811
    shutil.copy(editable_build.site / "img" / "degradation.svg", editable_build.site / "img" / "extra.svg")
    only(mismatches(editable_build), "img/extra.svg", "a page it does not")


def test_names_formulas_numbers_and_scales_are_accounted_for(derived: Derived) -> None:
    allowed = words(derived)
    for text, language in [("ReLU(atajo(x) + F(x))", "es"), ("layer2.0 · c = 6", "es"), ("−2,5", "es"),
                           ("1e−8", "en"), ("1,5e−8", "es"), ("plain-18", "en"), ("|a − b|", "en"),
                           ("64×112×112", None), ("error top-1 (%)", "es")]:
        assert figure_text.unaccounted(text, language, allowed) == "", text
    for text, language, wrong in [("plain-20 (training)", "es", "training"), ("2,5", None, "2,5"), ("2.5", "es", "2.5"),
                                  ("shortcut(x)", "es", "shortcut"), ("atajo(x)", "en", "atajo"),
                                  ("1.5e−8", "es", "1.5e8")]:
        assert figure_text.unaccounted(text, language, allowed) == wrong, text


@pytest.mark.parametrize(("inside", "found"), [
    ("<script>alert(1)</script>", "a <script> element"),
    ('<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>', "a <foreignObject> element"),
    ('<g onclick="alert(1)"/>', "an event handler (onclick)"),
    ('<image href="https://example.org/x.png"/>', "an address (https://example.org/x.png)"),
    ('<rect style="fill: url(https://example.org/p)"/>', "an address"),
])
def test_an_svg_figure_that_runs_or_loads_something_fails(derived: Derived, inside: str, found: str) -> None:
    data = f'<svg xmlns="http://www.w3.org/2000/svg"><text>epoch</text>{inside}</svg>'.encode()
    assert any("runs and loads nothing" in line and found in line for line in read(data, "en", derived))
    assert read(data.replace(inside.encode(), b""), "en", derived) == []


def test_a_figure_with_words_is_svg_with_text_as_text_and_the_same_bytes_every_time() -> None:
    def draw() -> bytes:
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("época")
        return svg_bytes(fig)

    first = draw()
    assert first == draw()
    assert b">\xc3\xa9poca</text>" in first  # the word as text, not as glyph outlines
    assert b"<dc:date>" not in first and b"Matplotlib v" not in first
