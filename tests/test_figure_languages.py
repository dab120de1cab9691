"""Figures with words are drawn once per language, and a page shows only its own language's."""

from __future__ import annotations

import re

from generator.core.config import LANGUAGES
from generator.report.figure_names import figure_files, worded
from generator.verify import site_pages
from generator.verify.gate import check_page_pair

from .conftest import Build, Derived
from .site_edits import edit
from .test_check import only

ALWAYS_WORDED = {"degradation", "family-accuracy", "experiment", "top5", "residual-layer2.0", "filters",  # layer2.0
                 "features-relu", "features-layer1", "features-layer4"}  # projects; every gallery names its tiles


def test_every_figure_with_words_exists_in_each_language_and_differs_between_them(built: Build) -> None:
    folder = built.docs / "img"
    assert ALWAYS_WORDED - {"top5"} <= set(figure_files(built.facts, "en"))  # top5: only a run with predictions
    for role in filter(worded, figure_files(built.facts, "en")):
        drawn = {language: (folder / figure_files(built.facts, language)[role]).read_bytes() for language in LANGUAGES}
        if role in ALWAYS_WORDED:  # the others hold words or decimals only in some runs (a projection, a scale)
            assert len(set(drawn.values())) == len(LANGUAGES), role
    for role in (role for role in figure_files(built.facts, "en") if not worded(role)):
        assert len({figure_files(built.facts, language)[role] for language in LANGUAGES}) == 1, role


def served_language(build: Build, page: str, language: str, src: str) -> str | None:
    """The language of the figure a page's ``src`` leads to; None for a figure drawn once for every language.

    The i18n plugin serves a language's version of a figure under one name in that language's folder, the
    default language's at the site's root (verify/site_pages.py).
    """
    shown = site_pages.figure_source(site_pages.page_url(page, language), src)
    assert shown is not None, src
    _, path, folder_language = shown
    stem, _, suffix = path.removeprefix("img/").rpartition(".")
    if folder_language is None and (build.docs / "img" / f"{stem}.{LANGUAGES[0]}.{suffix}").exists():
        return LANGUAGES[0]
    return folder_language


def test_each_page_links_the_figures_of_its_language(built: Build) -> None:
    """Read in the built pages, the figures a reader is shown."""
    worded = 0
    for language in LANGUAGES:
        for name in sorted({path.name.split(".")[0] for path in built.docs.glob("*.md")}):
            page = built.page(name, language)
            sources = re.findall(r'<img [^>]*src="([^"]*img/[^"]+)"', page.read_text(encoding="utf-8"))
            shown = {served_language(built, name, language, src) for src in sources}
            assert shown <= {None, language}, (page, shown)
            worded += language in shown
    assert worded > len(LANGUAGES), worded  # worded figures are found in each language, so the test can fail


def test_a_spanish_page_showing_the_english_figure_fails(editable_build: Build, derived: Derived) -> None:
    """The i18n plugin serves each language's figure under one name in that language's folder: the Spanish page
    made to show the English folder's figure."""
    page = editable_build.page("experiment", "es")
    english = figure_files(editable_build.facts, "en")["experiment"]
    assert english == "degradation-experiment.en.svg"
    served = english.replace(".en.svg", ".svg")
    edit(page, f'src="../img/{served}"', f'src="../en/img/{served}"')
    found = [str(m) for m in check_page_pair(editable_build.docs, editable_build.site, "experiment",
                                             editable_build.config, derived.expected)]
    only(found, "experiment.es", f"image ../en/img/{served}", "in this page's language (es)", "the one in en")
    assert not any("experiment.en" in line for line in found), found


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


def test_a_spanish_figure_linking_to_the_english_file_fails(editable_build: Build, derived: Derived) -> None:
    """Each figure is a link to its file, which a reader opens at full size: that file is the page's language's
    too, and a link into the figures' folder leads to a figure this run draws."""
    page = editable_build.page("experiment", "es")
    served = figure_files(editable_build.facts, "es")["experiment"].replace(".es.svg", ".svg")
    edit(page, f'<a href="../img/{served}">', f'<a href="../en/img/{served}">')
    found = [str(m) for m in check_page_pair(editable_build.docs, editable_build.site, "experiment",
                                             editable_build.config, derived.expected)]
    only(found, "experiment.es", f"link ../en/img/{served}", "in this page's language (es)", "the one in en")
    edit(page, f'<a href="../en/img/{served}">', '<a href="../img/notes.svg">')
    found = [str(m) for m in check_page_pair(editable_build.docs, editable_build.site, "experiment",
                                             editable_build.config, derived.expected)]
    only(found, "experiment.es", "link ../img/notes.svg", "a figure this run draws", "another file")
