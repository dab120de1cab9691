"""Two tagged values in one sentence are each checked against the item that sentence names, so a swap fails.

The sample of issue 27 swaps the words of "18 layers with weights (17 main-path convolutions": the spans
keep their keys and values, the nouns around them change places. The other cases swap a Spanish pair,
put a value in the noun of a value that has none of its own, swap rtol and atol, and split sentences.
"""

from __future__ import annotations

import pytest

from generator.core.translations import translations
from generator.verify.attachment import check_attachment, family, noun_phrases
from generator.verify.visible import parse_html

from .conftest import Build
from .site_pages import context, failures, site_articles


def fact(key: str, value: str) -> str:
    return f'<span class="fact" data-fact="{key}" data-style="auto">{value}</span>'


LAYERS, CONVS, PARAMS = "architecture.weighted_layers", "architecture.main_path_convs", "totals.params"
SENTENCE_EN = (f"<p>It has {fact(LAYERS, '18')} layers with weights ({fact(CONVS, '17')} main-path convolutions "
               f"plus the fully connected layer) and {fact(PARAMS, '11,689,512')} parameters.</p>")
SENTENCE_ES = (f"<p>Tiene {fact(LAYERS, '18')} capas con pesos ({fact(CONVS, '17')} convoluciones del camino "
               f"principal más la capa totalmente conectada) y {fact(PARAMS, '11 689 512')} parámetros.</p>")


def run(html: str, language: str = "en") -> list[str]:
    ctx = context(None, language)
    check_attachment(parse_html(html), ctx)
    return failures(ctx)


@pytest.mark.parametrize(("html", "language"), [(SENTENCE_EN, "en"), (SENTENCE_ES, "es")])
def test_the_sentence_as_written_passes(html: str, language: str) -> None:
    assert run(html, language) == []


def test_the_two_values_of_the_issues_sentence_swapped_fail() -> None:
    swapped = SENTENCE_EN.replace("layers with weights", "@").replace("main-path convolutions", "layers with weights")
    found = run(swapped.replace("@", "main-path convolutions"))
    assert found == [
        "page: fact architecture.weighted_layers: expected its value in '… layers with weights', "
        "found 'It has … main-path convolutions ( … lay'",
        "page: fact architecture.main_path_convs: expected its value in '… main-path convolutions', "
        "found 'has … main-path convolutions ( … layers with weights plus the f'",
    ]


def test_the_spanish_pair_swapped_fails() -> None:
    swapped = SENTENCE_ES.replace("capas con pesos", "@").replace("convoluciones del camino principal", "capas con pesos")
    found = run(swapped.replace("@", "convoluciones del camino principal"), "es")
    assert [line.split(":")[1] for line in found] == [f" fact {LAYERS}", f" fact {CONVS}"]


def test_a_value_in_the_noun_of_another_value_of_its_sentence_fails() -> None:
    html = (f"<p>The block has {fact('family.examples.0.params', '73,984')} channels and "
            f"{fact('family.examples.0.channels', '64')} parameters.</p>")
    found = run(html)
    assert len(found) == 2, found
    assert "family.examples.0.params: expected no value but family.examples.N.channels's in" in found[0]
    assert "family.examples.0.channels: expected its value in" in found[1]


def test_rtol_and_atol_swapped_fail() -> None:
    html = f"<p>(rtol = {fact('residual.0.atol', '1.00 × 10⁻⁸')}, atol = {fact('residual.0.rtol', '1.00 × 10⁻⁵')}).</p>"
    assert [line.split(":")[1] for line in run(html)] == [" fact residual.0.atol", " fact residual.0.rtol"]


def test_only_sentences_with_several_values_are_read() -> None:
    alone = f"<p>It has {fact(LAYERS, '18')} main-path convolutions. And {fact(CONVS, '17')} layers with weights.</p>"
    assert run(alone) == []
    together = alone.replace("convolutions. And", "convolutions, and")
    assert len(run(together)) == 2


def test_a_noun_is_read_as_whole_words() -> None:
    html = (f"<p>A learning rate of {fact('experiment.warmup_learning_rate', '0.01')} for "
            f"{fact('experiment.warmup_epochs', '1')} epochs.</p>")
    assert "experiment.warmup_epochs" in run(html)[0]  # "epoch" is not "epochs"


def test_every_noun_is_in_both_languages_around_one_value() -> None:
    for language in ("es", "en"):
        nouns = noun_phrases(translations(language))
        assert nouns and all(any(words) for words in nouns.values())
        assert all(template.count("{}") == 1 for key, template in translations(language).items()
                   if key.startswith("noun."))
    assert family("family.models.2.blocks.0") == "family.models.N.blocks.N"


def test_every_sentence_of_the_built_site_holds_its_values_in_their_nouns(built: Build) -> None:
    for page, language, article in site_articles(built.site):
        ctx = context(None, language, page)
        check_attachment(article, ctx)
        assert failures(ctx) == [], page
