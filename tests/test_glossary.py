"""One term per idea in each language: the glossary refuses calques and the other spelling, on pages and figures."""

from __future__ import annotations

import json

import pytest

from generator.core.translations import translations
from generator.verify.glossary import GLOSSARY_FILE, refused, variants_in

from .conftest import Build
from .site_edits import edit, insert_before_heading
from .test_check import inputs, mismatches, only  # noqa: F401 - the check's fixtures, shared


@pytest.mark.parametrize("language", ["es", "en"])
def test_no_translation_or_figure_string_uses_a_refused_variant(language: str) -> None:
    for key, text in translations(language).items():
        assert variants_in(text, language) == [], key


def test_no_term_is_itself_refused() -> None:
    glossary = json.loads(GLOSSARY_FILE.read_text(encoding="utf-8"))
    for language in ("es", "en"):
        for term in glossary[language].values():
            assert not [v for v, t in variants_in(term, language) if t != term], term
        assert len(refused(language)) == len(glossary[language])


@pytest.mark.parametrize(("page", "old", "new", "variant"), [
    ("family.es", "conjunto de pesos", "entrada de pesos", "entrada de pesos"),
    ("maps.es", "la desviación estándar de ImageNet", "el desvío de ImageNet", "desvío"),
    ("index.es", "la ReLU aplicada", "ReLU aplicado", "ReLU aplicado"),
    ("explorer.es", "propagación hacia delante", "pasada hacia adelante", "pasada hacia adelante"),
    ("maps.es", "Los mapas que la red calcula", "Los mapas que la RNC calcula", "RNC"),
    ("maps.es", "Los mapas que la red calcula", "Los mapas que la CNN calcula", "CNN"),  # the other acronym
    ("experiment.es", "error en las imágenes reservadas", "error reservado", "error reservado"),  # a figure's alt
    ("experiment.es", "las discontinuas el error en las imágenes reservadas", "las discontinuas el error reservado",
     "error reservado"),  # its caption
    ("maps.en", "normalised", "normalized", "normalized"),
    ("maps.en", "centre-cropped", "center-cropped", "center-cropped"),
    ("explorer.en", "colour scale", "color scale", "color"),
])
def test_a_calque_or_the_other_spelling_on_a_page_fails(editable_build: Build, mismatches, page: str, old: str,
                                                        new: str, variant: str) -> None:
    name, language = page.split(".")
    edit(editable_build.page(name, language), old, new)
    only(mismatches(editable_build, name), f"({page})", "glossary", repr(variant))


@pytest.mark.parametrize(("page", "heading", "words", "variant"), [
    ("reproducibility.es", "pesos", "Pedido (`--weights`): aleatorio.", "Pedido"),
    ("family.en", "sources", "What differs is the models.", "What differs is the models"),
])
def test_a_listed_calque_added_to_a_page_fails(editable_build: Build, mismatches, page: str, heading: str,
                                               words: str, variant: str) -> None:
    """Issue 29's other samples, each a sentence of its own: the request calque and the English agreement."""
    name, language = page.split(".")
    insert_before_heading(editable_build.page(name, language), heading, words)
    only(mismatches(editable_build, name), f"({page})", "glossary", repr(variant))


def test_quotations_keep_their_own_words(editable_build: Build, mismatches) -> None:
    """The paper writes 'normalized' and the report 'feature maps': quoted, their words are theirs."""
    found = mismatches(editable_build, "index")
    assert not [line for line in found if "glossary" in line], found
