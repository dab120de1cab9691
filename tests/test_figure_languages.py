"""Figures with words are drawn once per language, and a page shows only its own language's."""

from __future__ import annotations

import re

from generator.core.config import LANGUAGES
from generator.report.figure_names import WORDED_ROLES, figure_files
from generator.verify.gate import check_page_pair

from .conftest import Build, Derived
from .test_check import edit, only

ALWAYS_WORDED = {"degradation", "family-accuracy", "experiment", "top5", "residual-layer2.0"}  # layer2.0 projects


def test_every_figure_with_words_exists_in_each_language_and_differs_between_them(built: Build) -> None:
    folder = built.docs / "img"
    for role in WORDED_ROLES & set(figure_files(built.facts, "en")):
        drawn = {language: (folder / figure_files(built.facts, language)[role]).read_bytes() for language in LANGUAGES}
        if role in ALWAYS_WORDED:  # the others hold words or decimals only in some runs (a projection, a scale)
            assert len(set(drawn.values())) == len(LANGUAGES), role
    for role in set(figure_files(built.facts, "en")) - WORDED_ROLES:
        assert len({figure_files(built.facts, language)[role] for language in LANGUAGES}) == 1, role


def test_each_page_links_the_figures_of_its_language(built: Build) -> None:
    for language in LANGUAGES:
        others = [other for other in LANGUAGES if other != language]
        for page in built.docs.glob(f"*.{language}.md"):
            linked = re.findall(r"\(img/([^)]+)\)", page.read_text(encoding="utf-8"))
            assert not [name for name in linked if any(name.endswith(f".{other}.png") for other in others)], page


def test_a_spanish_page_showing_the_english_figure_fails(editable_build: Build, derived: Derived) -> None:
    page = editable_build.docs / "experiment.es.md"
    spanish = figure_files(editable_build.facts, "es")["experiment"]
    edit(page, f"img/{spanish}", f"img/{figure_files(editable_build.facts, 'en')['experiment']}")
    found = [str(m) for m in check_page_pair(editable_build.docs, "experiment", editable_build.config,
                                             derived.expected)]
    only(found, "experiment.es.md", "image img/degradation-experiment.en.png", "in this page's language (es)")
    assert not any(line.startswith("experiment.en.md") for line in found), found


def test_the_notebooks_picture_is_described_in_the_pages_language(built: Build) -> None:
    """nbconvert's English placeholder alt text is replaced by each language's description (mkdocs.yml extra)."""
    pages = {"es": built.site / "notebook" / "index.html", "en": built.site / "en" / "notebook" / "index.html"}
    alts = {language: re.findall(r'<img [^>]*alt="([^"]*)"', path.read_text(encoding="utf-8"))
            for language, path in pages.items()}
    assert alts["es"] and alts["en"], alts  # the shared build ran the notebook: its picture is there
    assert all("mapa de características" in alt for alt in alts["es"]), alts
    assert all("feature map" in alt for alt in alts["en"]), alts
    assert not [path for path in built.site.rglob("*.html") if "No description has been provided" in path.read_text(
        encoding="utf-8")]
