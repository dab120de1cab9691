"""Every text a reader meets is in the page's language; another language only where it is marked and may be.

The rule's word lists are tried on the issue's samples and on sentences of
our own in both directions; the data's quotations and references must say
the language their words are in; and each break is planted in a private copy
of the built site, where the check must name it.
"""

from __future__ import annotations

import re

import pytest

from generator.core import sources
from generator.verify.page_language import other_language

from .conftest import Build
from .site_edits import edit, insert_before_heading
from .test_check import inputs, mismatches, only  # noqa: F401


@pytest.mark.parametrize(
    ("text", "language", "other"),
    [
        ("weights: random", "es", "en"),  # the samples: the Spanish notebook's outputs
        ("max |difference|: 0.0", "es", "en"),
        ("F(x) has negative values: True", "es", "en"),
        ("Skip to content", "es", "en"),
        ("The shortcut adds the block's input to its output.", "es", "en"),
        ("Los pesos no se encontraron, así que el cuaderno usó pesos aleatorios.", "en", "es"),
        ("Buscar", "en", "es"),
        ("pesos: aleatorios", "en", "es"),
        ("Hecho con Material for MkDocs, el tema de este sitio", "es", None),  # a name inside Spanish words
        ("— He et al. (2016), section 1, p. 770 [1]", "en", None),  # "et al." is Latin
        ("Made with Material for MkDocs", "en", None),
        ("layer1.0.conv1 → layer1.0.bn1", "es", None),  # module names: no language
        ("La suma residual de layer1.0 es exacta.", "es", None),
        ("18ff85ce7d6741e501ec9677a6d69b0cf1de4e3b22ed9ec6474c3ea2bdc0ffbf", "en", None),  # a digest: no words
        ("b7f0d6fef5bbba99064aca77d020f1e451f3c73df80afe9be5d5b2b38070c1bf", "es", None),
    ],
)
def test_a_statement_is_told_to_be_in_the_other_language_by_its_words(text: str, language: str,
                                                                        other: str | None) -> None:
    assert other_language(text, language) == other


@pytest.mark.parametrize("entry", sources.all_quotes(), ids=lambda q: q.key)
def test_each_quotation_says_the_language_its_words_are_in(entry: sources.Quote) -> None:
    language = sources.quote_language(entry)
    assert other_language(entry.text, language) is None
    assert other_language(entry.text, "es" if language == "en" else "en") in (language, None)


@pytest.mark.parametrize("source", sources.all_sources(), ids=lambda s: s.key)
def test_each_reference_says_the_language_of_the_work_it_names(source: sources.Source) -> None:
    assert other_language(source.citation, source.language) is None


ENGLISH_PARAGRAPH = "The maps of the first stage show where the image has edges and colour."
SPANISH_PARAGRAPH = "Los mapas de la primera etapa muestran dónde la imagen tiene bordes y color."


@pytest.mark.parametrize(
    ("language", "snippet", "needles"),
    [
        ("es", ENGLISH_PARAGRAPH, ("(maps.es)", "English in <p>", "The maps of the first stage")),
        ("en", SPANISH_PARAGRAPH, ("(maps.en)", "Spanish in <p>", "Los mapas de la primera")),
        ("es", f'<p lang="en">{ENGLISH_PARAGRAPH}</p>', ("(maps.es)", "marked only on a quotation",
                                                          "<p lang='en'>")),
        ("es", '<p><img src="data:image/png;base64," alt="Feature maps of the first stage, one per channel"></p>',
         ("(maps.es)", "English in <img attribute>", "Feature maps of the first stage")),
        ("en", '<p><abbr title="mapas de la primera etapa">maps</abbr></p>',
         ("(maps.en)", "Spanish in <abbr attribute>")),
        ("en", "<p><strong>Director</strong>: Cerrotta Santiago - Grupo de Fotónica Aplicada FRD UTN.<br>"
               f"{ENGLISH_PARAGRAPH}</p>", ("(maps.en)", "Spanish in <p>", "Grupo de Fotónica Aplicada")),
    ],
    ids=["english-on-spanish", "spanish-on-english", "marked-but-no-quotation", "alt-text", "title-attribute",
         "a-line-after-a-break"],
)
def test_a_statement_in_the_other_language_on_a_page_is_caught(editable_build: Build, mismatches, language: str,
                                                               snippet: str, needles: tuple[str, ...]) -> None:
    page = editable_build.page("maps", language)
    heading = re.search(r'<h2 id="([^"]+)"', page.read_text(encoding="utf-8"))
    assert heading is not None
    insert_before_heading(page, heading[1], snippet, html=snippet.startswith("<"))
    only(mismatches(editable_build, "maps"), *needles)


def test_the_themes_words_in_the_other_language_are_caught(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("family", "es"), "Saltar a contenido", "Skip to content")
    only(mismatches(editable_build, "family"), "(family.es)", "English in <a>", "Skip to content")


def test_the_themes_name_unmarked_in_the_spanish_footer_is_caught(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("family", "es"), 'rel="noopener" lang="en">Material for MkDocs',
         'rel="noopener">Material for MkDocs')
    only(mismatches(editable_build, "family"), "(family.es)", "English in <a>", "Material for MkDocs")


def test_a_quotation_in_english_unmarked_on_a_spanish_page_is_caught(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("index", "es"), '<p lang="en">“When deeper networks', "<p>“When deeper networks")
    only(mismatches(editable_build, "index"), "(index.es)", "English in <p>", "When deeper networks")


def test_a_page_whose_root_names_the_other_language_is_caught(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("maps", "es"), '<html lang="es"', '<html lang="en"')
    only(mismatches(editable_build, "maps"), "(maps.es)", "<html lang='es'>", "lang='en'")


def test_every_page_of_the_built_site_is_in_its_language(built: Build, mismatches) -> None:
    assert [line for line in mismatches(built) if "language" in line] == []


@pytest.mark.parametrize("entry", sources.all_quotes(), ids=lambda q: q.key)
def test_each_quotation_has_a_translation_into_every_other_language(entry: sources.Quote) -> None:
    """A page in another language than the quotation's shows it with a translation: this project's, or the
    report's own pair (translated_by), which must be a quotation of the same source in the other language."""
    own = sources.quote_language(entry)
    for language in ("es", "en"):
        if language == own:
            continue
        if entry.translated_by is not None:
            pair = sources.quote(entry.translated_by)
            assert pair.source == entry.source and sources.quote_language(pair) == language
        else:
            assert (entry.translations or {}).get(language), (entry.key, language)


@pytest.mark.parametrize(
    ("page", "old", "new", "needles"),
    [
        (("experiment", "es"), 'class="quote-translation" data-translates="he2016.figure1"', 'class="other"',
         ("(experiment.es)", "quotation he2016.figure1", "shown with its translation into Spanish")),
        (("index", "en"), 'class="quote-translation" data-translates="report.add_relu"', 'class="other"',
         ("(index.en)", "quotation report.add_relu", "shown with its translation into English")),
        (("index", "es"), 'data-quote="report.degradation_es"', 'data-quote="report.degradation_x"',
         ("(index.es)", "quotation report.degradation_en", "shown with its translation into Spanish")),
    ],
    ids=["paper-on-spanish-page", "report-on-english-page", "report-pair-removed"],
)
def test_a_quotation_in_the_other_language_without_its_translation_is_caught(editable_build: Build, mismatches,
                                                                              page, old, new, needles) -> None:
    edit(editable_build.page(*page), old, new)
    only(mismatches(editable_build, page[0]), *needles)
