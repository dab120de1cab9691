"""Fixed sentences that interpret: the lint finds them in both languages, and the pages hold none.

The samples of issue 26 (a sentence that says what a run did not show, a
cause that holds for other rows, a claim stated as fact against the site's
own experiment) are planted back into the built pages and must be caught;
sentences of the same class that no issue named are planted too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.core.config import LANGUAGES
from generator.core.translations import translations
from generator.pipeline import site
from generator.core.errors import MismatchError
from generator.verify import site_pages
from generator.verify.context import Context
from generator.verify.interpretation import ALLOWED, MARKERS, candidates, check_interpretation
from generator.verify.visible import parse_html

from .conftest import ROOT, Build, edited_package
from .site_edits import edit, markdown_html
from .test_check import inputs, mismatches, only  # noqa: F401 - the check's fixtures, shared


def lint(markdown: str, language: str) -> list[str]:
    """The lint's findings on a Markdown snippet, as the site's build renders it."""
    found: list = []
    ctx = Context(expected=None, language=language, strings=translations(language), figure_names=set(),  # type: ignore[arg-type]
                  mkdocs_yml=ROOT / "mkdocs.yml", mismatches=found, page="page")
    check_interpretation(parse_html(markdown_html(markdown)), ctx)
    return [str(m) for m in found]


@pytest.mark.parametrize(("language", "sentence"), [
    ("en", "With shortcuts the order is reversed, and the deeper network makes the fewest mistakes."),
    ("en", "The same effect, trained here on a small data set, has a page of its own."),
    ("en", "Residual blocks make it possible to train extremely deep networks without degradation."),
    ("en", "What differs is the models: torchvision puts the stride in the middle convolution."),
    ("en", "The shortcuts solve the vanishing gradient."),
    ("en", "Every stage detects edges."),
    ("en", "Deeper layers never see colour."),
    ("en", "This happens because BatchNorm is the identity."),
    ("es", "Con atajos el orden se invierte, y la red más profunda es la que menos se equivoca."),
    ("es", "El mismo efecto, entrenado aquí, tiene su propia página."),
    ("es", "Los atajos resuelven el desvanecimiento del gradiente."),
    ("es", "Todas las etapas detectan bordes."),
    ("es", "La red nunca ve el color porque la ReLU lo corta."),
    ("es", "Esto permite entrenar redes muy profundas sin degradación."),
])
def test_a_fixed_sentence_that_interprets_is_caught(language: str, sentence: str) -> None:
    found = lint(f"Some text first.\n\n{sentence}\n", language)
    assert len(found) == 1 and "fixed sentence that interprets" in found[0] and sentence[:40] in found[0], found


@pytest.mark.parametrize(("language", "markdown"), [
    ("en", '<span class="claim" data-claim="x" data-variant="y">The deeper network makes more mistakes.</span>'),
    ("en", '<div class="report-voice" data-report="k" markdown="1">\n\nShortcuts solve everything.\n\n</div>'),
    ("en", '<q class="quote" data-quote="he2016.flops">the deeper network has higher training error</q>'),
    ("en", "The maps the network computes from the image, stage by stage."),
    ("es", "Tiene capas con pesos: las convoluciones más la capa totalmente conectada."),
    ("es", "Los dígitos que vienen con scikit-learn, una tasa de aprendizaje fija."),
    ("en", "The handwritten digits that ship with scikit-learn."),
])
def test_claims_quotations_the_reports_voice_and_plain_words_pass(language: str, markdown: str) -> None:
    assert lint(markdown + "\n", language) == []


def test_the_allowlist_is_short_and_each_entry_says_why_in_both_languages() -> None:
    assert len(ALLOWED) <= 8
    for entry in ALLOWED:
        assert len(entry.reason) > 40 and set(entry.starts) <= set(MARKERS)


def test_the_built_pages_hold_no_unsettled_candidate_and_every_allowance_is_used(built: Build) -> None:
    """Every candidate left on the pages is on the allowlist, and every allowlist entry allows a sentence there.

    The pages are every one the check reads: each report page and the notebook's, in both languages, and the
    theme's error page (in the default language only).
    """
    names = sorted({page.name.split(".")[0] for page in built.docs.glob("*.md")} | {"notebook"})
    read = [(built.page(name, language), language) for name in names for language in LANGUAGES]
    used: set[tuple[str, str]] = set()
    for path, language in [*read, (built.site / site_pages.NOT_FOUND_PAGE, LANGUAGES[0])]:
        root = parse_html(path.read_text(encoding="utf-8")).find("article")
        assert root is not None, path
        for sentence, _words in candidates(root, language, translations(language)["scope_block"]):
            starts = [s for entry in ALLOWED for s in entry.starts.get(language, ()) if sentence.startswith(s)]
            assert starts, sentence
            used.update((language, s) for s in starts)
    listed = {(language, s) for entry in ALLOWED for language, starts in entry.starts.items() for s in starts}
    assert listed - used == set()


@pytest.mark.parametrize(("page", "old", "new", "needle"), [
    ("family.en", '<a href="../experiment/">An experiment run here</a> trains plain and residual networks on a small '
     "data set.", "The same effect, trained here on a small data set, has a page of its own.", "The same effect"),
    ("family.es", '<a href="../experiment/">Un experimento hecho aquí</a> entrena redes planas y residuales',
     "El mismo efecto, entrenado aquí, tiene su propia página. Las redes", "El mismo efecto"),
    ("index.en", "The paper tells vanishing gradients and degradation apart.",
     "The shortcut makes it possible to train extremely deep networks without degradation.", "without degradation"),
    ("family.en", "</q>): multiply-accumulates, as counted here.",
     "</q>). What differs is the models: torchvision puts the stride in the middle convolution.", "What differs"),
    ("maps.en", "The maps the network computes from the image, stage by stage.",
     "What the network sees of the image, stage by stage.", "What the network sees"),
])
def test_the_issues_samples_planted_back_fail_the_check(editable_build: Build, mismatches, page: str, old: str,
                                                        new: str, needle: str) -> None:
    name, language = page.split(".")
    edit(editable_build.page(name, language), old, new)
    only(mismatches(editable_build, name), f"({page})", "fixed sentence that interprets", needle)


@pytest.mark.build
@pytest.mark.parametrize(("language", "page", "sentence"), [
    ("en", "family", "Deeper networks always train better with shortcuts."),
    ("es", "explorer", "Las redes más profundas siempre entrenan mejor con atajos."),
])
def test_a_comparative_sentence_planted_in_a_template_stops_the_build(editable_build: Build, tmp_path: Path,
                                                                      monkeypatch, language: str, page: str,
                                                                      sentence: str) -> None:
    template = edited_package(tmp_path, monkeypatch) / "templates" / language / f"{page}.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
    with pytest.raises(MismatchError) as caught:
        site.build(editable_build.config, site.Progress(quiet=True))
    assert caught.value.exit_code == 5
    lines = [line for line in caught.value.listing if "fixed sentence that interprets" in line]
    shown = f"{editable_build.page(page, language).relative_to(editable_build.site)} ({page}.{language})"
    assert len(lines) == 1 and lines[0].strip().startswith(shown) and sentence[:30] in lines[0]


def test_a_report_passage_with_a_sentence_the_report_never_wrote_fails(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("index", "es"), "nos cautivó su funcionamiento como para dedicarle un informe detallado.",
         "nos cautivó su funcionamiento como para dedicarle un informe detallado. Los atajos eliminan la degradación.")
    only(mismatches(editable_build, "index"), "(index.es)", "report passage 'why'", "Los atajos eliminan")


def test_a_report_passage_without_its_label_fails(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("index", "en"), '<p class="report-voice-label">', '<p class="other">')
    only(mismatches(editable_build, "index"), "(index.en)", "report passage", "no such label")


def test_a_report_passage_missing_in_one_language_fails(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("index", "en"), 'class="report-voice" data-report="conclusion"', 'class="other"')
    only(mismatches(editable_build, "index"), "index.en", "passages in the report's voice")


def test_a_sentence_added_to_the_english_report_passage_fails(editable_build: Build, mismatches) -> None:
    """The English passage cannot be held to report.md's words, but it keeps the Spanish passage's sentences."""
    edit(editable_build.page("index", "en"), "devote a detailed report to it.",
         "devote a detailed report to it. Shortcuts always make deeper networks better.")
    only(mismatches(editable_build, "index"), "index.en", "passages in the report's voice", "why, 1 sentence(s)")


def test_a_translation_away_from_its_quotation_or_with_other_words_fails(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "es")
    edit(page, "sin embargo, este problema se ha resuelto en gran medida",
         "sin embargo, este problema se resolvió del todo")
    only(mismatches(editable_build, "index"), "(index.es)", "translation of he2016.vanishing", "sources.json holds")


def test_the_translations_live_beside_the_words_they_translate() -> None:
    from generator.core import sources

    translated = [quote for quote in sources.all_quotes() if quote.translations]
    assert translated and all(set(quote.translations) <= {"es", "en"} - {sources.quote_language(quote)}
                              for quote in translated)  # into the other language only, kept beside the words
    assert {sources.quote_language(quote) for quote in translated} == {"es", "en"}  # the report's, too


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_translation_shown_twice_in_a_row_is_out_of_place(editable_build: Build, mismatches, language: str) -> None:
    """The copy's neighbour is the translation, not the quotation. Elements were once equal when they looked alike,
    and the rule took the copy for the first one, which does follow its quotation."""
    page = editable_build.page("index", language)
    text = page.read_text(encoding="utf-8")
    shown = re.search(r'<(p|span) class="quote-translation" data-translates="([^"]+)">.*?</\1>', text, re.S)
    assert shown is not None
    page.write_text(text[:shown.end()] + shown.group(0) + text[shown.end():], encoding="utf-8")
    only(mismatches(editable_build, "index"), f"(index.{language})", f"translation of {shown.group(2)}",
         "right after the quotation it translates", "elsewhere")
