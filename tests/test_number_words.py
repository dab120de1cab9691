"""Numbers in words count as digits, in both languages (issue 27): "thirty-four layers", "veintidós millones",
"a dozen", "mil", ordinals. Outside a tagged value each fails the page unless it is an allowed use with its
reason; articles and pronouns ("one of them", "una capa") are no numbers; and every page of the built site
passes."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from generator.core.translations import translations
from generator.verify.context import Context, PageReading
from generator.verify.number_words import ALLOWED_NUMBER_WORDS, check_number_words, number_words, untagged_number_words
from generator.verify.page import check_digits, check_facts, check_quotes, check_sources, visible_text
from generator.verify.summary_table import check_summary_table
from generator.verify.visible import parse_html

from .conftest import ROOT, Build, Derived


def context(language: str, expected: object, found: list) -> Context:
    return Context(expected=expected, language=language, strings=translations(language),  # type: ignore[arg-type]
                   figure_names=set(), mkdocs_yml=ROOT / "mkdocs.yml", mismatches=found, page="page")


def digits_check(html: str, language: str) -> list[str]:
    """What check_digits says about a snippet: the rule as the gate calls it, on every text and attribute."""
    found: list = []
    check_digits(parse_html(html), context(language, SimpleNamespace(module_names={"conv1", "layer1"}), found), set())
    return [m.found for m in found]


def words_found(*words: str) -> list[str]:
    return [f"untagged number in words {word!r}" for word in words]


@pytest.mark.parametrize(("language", "text", "numbers"), [
    ("en", "thirty-four layers … twenty-two million parameters", ["thirty-four", "twenty-two million"]),
    ("en", "one hundred and five channels", ["one hundred and five"]),
    ("en", "networks of eighteen and thirty-four layers", ["eighteen", "thirty-four"]),
    ("en", "a dozen blocks", ["dozen"]),
    ("en", "the thirty-fourth layer and the first stage", ["thirty-fourth", "first"]),
    ("en", "First-layer filters", ["First-layer"]),
    ("en", "it doubles the channels, twice", ["doubles", "twice"]),
    ("en", "a couple of blocks, a pair of maps", ["a couple of", "a pair of"]),
    ("en", "the second block", ["second"]),
    ("en", "Eleven THOUSAND", ["Eleven THOUSAND"]),
    ("es", "dieciocho capas", ["dieciocho"]),
    ("es", "veintidós millones de parámetros", ["veintidós millones"]),
    ("es", "veintidos millones, sin tilde", ["veintidos millones"]),
    ("es", "treinta y cuatro capas", ["treinta y cuatro"]),
    ("es", "de dieciocho y treinta y cuatro capas", ["dieciocho", "treinta y cuatro"]),
    ("es", "mil parámetros", ["mil"]),
    ("es", "un millón de parámetros y una docena de bloques", ["un millón", "una docena"]),
    ("es", "doscientos canales, once capas", ["doscientos", "once"]),
    ("es", "la cuarta etapa, el primer bloque, la primera capa, el tercer canal", ["cuarta", "primer", "primera", "tercer"]),
    ("es", "el vigésimo cuarto canal", ["vigésimo cuarto"]),
    ("es", "el doble de canales, dos veces, un par de bloques", ["doble", "dos", "un par de"]),
])
def test_the_scanner_finds_numbers_in_words(language: str, text: str, numbers: list[str]) -> None:
    assert number_words(text, language) == numbers


@pytest.mark.parametrize(("language", "text"), [
    ("en", "one of them; each one; a layer; the one that follows"),  # "one": pronoun or article, never counted
    ("en", "once trained, it took 3 seconds, per second"),  # English "once" and the unit of time
    ("en", "half-precision, padded with zeros, the last layer, both stages"),
    ("es", "una capa, un bloque, cada uno, uno de ellos"),  # "un/una/uno": article or pronoun
    ("es", "tarda 3 segundos, por segundo; rellenos con ceros; la media"),
])
def test_articles_pronouns_and_units_are_no_numbers(language: str, text: str) -> None:
    assert number_words(text, language) == []


@pytest.mark.parametrize(("language", "html", "numbers"), [
    ("en", "<p>It has thirty-four layers … twenty-two million parameters.</p>", ["thirty-four", "twenty-two million"]),
    ("es", "<p>Tiene dieciocho capas.</p>", ["dieciocho"]),
    ("es", "<p>Tiene veintidós millones de parámetros.</p>", ["veintidós millones"]),
    ("en", "<p>It stacks a dozen blocks.</p>", ["dozen"]),
    ("es", "<p>Suma mil parámetros.</p>", ["mil"]),
    ("en", "<p>See the thirty-fourth layer.</p>", ["thirty-fourth"]),
    ("es", "<p>Mira la cuarta etapa.</p>", ["cuarta"]),
    ("en", '<p><img src="img/a.png" alt="Eighteen maps of the stem"></p>', ["Eighteen"]),
    ("es", '<p><abbr title="treinta y cuatro capas">RN</abbr></p>', ["treinta y cuatro"]),
    ("en", "<h2>1. Two stages</h2>", ["Two"]),
    ("es", "<h3>Los dieciocho mapas</h3>", ["dieciocho"]),
    ("en", '<p>The <a href="#x" title="first stage">stage</a> doubles its channels.</p>', ["first", "doubles"]),
    ("es", '<p><span class="claim" data-claim="x" data-variant="y">sus dos convoluciones</span></p>', ["dos"]),
    ("en", "<table><tr><td>Paper (twenty)</td></tr></table>", ["twenty"]),
])
def test_a_number_in_words_fails_the_page(language: str, html: str, numbers: list[str]) -> None:
    assert digits_check(html, language) == words_found(*numbers)


def test_a_tagged_value_in_words_is_read_as_the_value_it_is() -> None:
    root = parse_html('<p><span class="fact" data-fact="k">thirty-four</span> layers and thirty-four more</p>')
    found: list = []
    ctx = context("en", SimpleNamespace(module_names={"conv1"}), found)
    check_digits(root, ctx, {id(e) for e in root.walk() if "data-fact" in e.attrs})
    assert [m.found for m in found] == words_found("thirty-four")


ALLOWED_SAMPLES = {
    "en": ("To take our first steps in CNNs", "The ReLU cuts every negative value to zero.",
           "F(x) is zero over the whole map", "the comma separates thousands", "operations in billions, Paper (billions)",
           "the vertical axis does not start at zero"),
    "es": ("Para dar nuestros primeros pasos", "la ReLU lleva a cero todo valor negativo", "F(x) vale cero en todo el mapa",
           "la coma separa los miles", "operaciones en miles de millones, Artículo (miles de millones)",
           "el eje vertical no empieza en cero"),
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_allowed_use_has_a_reason_and_is_needed(language: str) -> None:
    entries, samples = ALLOWED_NUMBER_WORDS[language], ALLOWED_SAMPLES[language]
    assert len(entries) == len(samples)
    for (pattern, reason), sample in zip(entries, samples):
        assert reason and re.search(pattern, sample, re.IGNORECASE), (pattern, sample)
        assert number_words(sample, language), sample  # without the allowed use, the sample would fail
        assert untagged_number_words(sample, language) == [], sample
        assert untagged_number_words(f"{sample}, and twenty", language) == ["twenty"] if language == "en" else \
            untagged_number_words(f"{sample}, y veinte", language) == ["veinte"]


TAGGED_KEYS = re.compile(r"^(?:code\.|bool\.|conversion_)")  # rendered inside a tagged value (fact())


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_translation_holds_an_untagged_number_in_words(language: str) -> None:
    """Every string a page may show, claims' other wordings included (a build shows only this run's)."""
    found = {key: untagged_number_words(re.sub(r"\{\{.*?\}\}", " ", text), language)
             for key, text in translations(language).items() if not TAGGED_KEYS.match(key)}
    assert {key: words for key, words in found.items() if words} == {}


TEMPLATES = ROOT / "generator" / "templates"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.j2")), ids=lambda path: path.relative_to(TEMPLATES).as_posix())
def test_no_template_holds_an_untagged_number_in_words(template) -> None:
    """Every fixed word of every template, the branches this build does not take and the strings passed to macros
    included (a key such as 'experiment.first_batches' is no word a reader sees)."""
    text = re.sub(r"\{%.*?%\}|\{#.*?#\}", " ", template.read_text(encoding="utf-8"), flags=re.DOTALL)
    text = re.sub(r"'[\w.]+'", " ", text)
    languages = [template.parent.name] if template.parent.name in ("en", "es") else ["en", "es"]
    assert {language: untagged_number_words(text, language) for language in languages} == \
        {language: [] for language in languages}


def number_word_failures(page: str, language: str, derived: Derived) -> list[str]:
    """The rule over one built page, theme included, with the elements the gate accounts for left out."""
    root = parse_html(page)
    other = context(language, derived.expected, [])
    skip = check_facts(root, other, PageReading()) | check_quotes(root, other) | check_sources(root, other)
    skip |= check_summary_table(root, other) | {id(e) for e in root.walk() if e.has_class("quote-translation")}
    found: list = []
    ctx = context(language, derived.expected, found)
    for text, _element in visible_text(root, skip):
        check_number_words(text, ctx)
    return [m.found for m in found]


def language_of(page: str) -> str:
    """The site's layout: English under en/, Spanish at the root."""
    return "en" if page.split("/")[0] == "en" else "es"


@pytest.mark.build
def test_every_page_of_the_built_site_passes(built: Build, derived: Derived) -> None:
    pages = {page.relative_to(built.site).as_posix(): page for page in sorted(built.site.rglob("*.html"))}
    assert {language_of(name) for name in pages} == {"en", "es"} and "en/index.html" in pages and "index.html" in pages
    failures = {name: number_word_failures(page.read_text(encoding="utf-8"), language_of(name), derived)
                for name, page in pages.items()}
    assert {name: words for name, words in failures.items() if words} == {}
    planted = pages["index.html"].read_text(encoding="utf-8").replace("</article>", "<p>dieciocho capas</p></article>", 1)
    assert number_word_failures(planted, "es", derived) == words_found("dieciocho")  # the same reading can fail
