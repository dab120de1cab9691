"""Quotations, as a reader meets them: anything in quotation marks of either language and any quote-styled block.

The samples of issue 27 (a made-up six-word quotation of He et al., made-up quotations in German and single
marks and in a quote admonition, a false sentence with numbers inside a verified blockquote) and cases of our
own in each class must fail; the apostrophes, code strings and glosses of the real pages must pass, and every
page of the built site, in both languages, passes as a whole.
"""

from __future__ import annotations

import pytest

from generator.core import sources
from generator.core.translations import translations
from generator.verify import page
from generator.verify.context import Context
from generator.verify.quotations import GLOSS_MOST_WORDS, gloss_problem
from generator.verify.visible import parse_html

from .conftest import ROOT, Build

IDENTITY = ("“In our case, the shortcut connections simply perform identity mapping, and their outputs are added to "
            "the outputs of the stacked layers (Fig. 2). Identity shortcut connections add neither extra parameter "
            "nor computational complexity.”")
ATTRIBUTION = '<p class="attribution">— He et al. (2016), section 1, p. 771 <a class="source-ref" href="#sources">[1]</a></p>'
BLOCKQUOTE = f'<blockquote class="quote" data-quote="he2016.identity">\n<p>{IDENTITY}</p>\n{ATTRIBUTION}\n</blockquote>'
INLINE = '<q class="quote" data-quote="report.repeats">Se repite 2 veces más</q>'


def context(language: str, found: list) -> Context:
    return Context(expected=None, language=language, strings=translations(language), figure_names=set(),  # type: ignore[arg-type]
                   mkdocs_yml=ROOT / "mkdocs.yml", mismatches=found, page="page")


def failures(html: str, language: str = "en") -> list[str]:
    """What the page check's quotation rules say of the HTML, with tagged values held to data as the check holds them."""
    found: list = []
    ctx = context(language, found)
    root = parse_html(html)
    # as the page check reads a page: its own reference list first (a fragment without one: the paper is [1])
    ctx.source_numbers = page.listed_sources(root) or {"he2016": 1}
    checked = page.check_quotes(root, ctx) | {id(e) for e in root.walk() if {"data-fact", "data-source"} & set(e.attrs)}
    page.check_untagged_quotations(root, ctx)
    page.check_quotation_marks(root, ctx, checked)
    return [str(m) for m in found]


@pytest.mark.parametrize(("language", "html", "needle"), [
    # the samples
    ("en", "<p>He et al. (2016) put it plainly: “residual networks never overfit at all” [1].</p>",
     "“residual networks never overfit at all”"),
    ("en", "<p>The paper says „Residuen lösen jedes Problem der Tiefe“ in its conclusion.</p>", "„Residuen lösen"),
    ("en", "<p>He et al. call it ‘the end of degradation’.</p>", "‘the end of degradation’"),
    # cases of our own: every pair of marks, at any length, in any language, in text or in a visible attribute
    ("es", "<p>El artículo dice «nunca degrada» en su sección.</p>", "«nunca degrada»"),
    ("es", "<p>Según el informe, ‹más es mejor›.</p>", "‹más es mejor›"),
    ("en", '<p>The paper calls it "the cure".</p>', '"the cure"'),
    ("en", "<p>He et al. wrote 'depth always wins' in their paper.</p>", "'depth always wins'"),
    ("en", "<p>They wrote '<em>depth</em> always wins'.</p>", "'depth always wins'"),
    ("en", "<p>(“Depth wins.”)</p>", "“Depth wins.”"),
    ("en", '<p><img alt="He et al. call it “the cure”" src="figures/scheme.png"></p>', "“the cure”"),
    ("en", "<p><code>“the cure”</code> is what the paper says.</p>", "“the cure”"),
    ("en", "<p>A lone mark: “never closed, yet a quotation.</p>", "“never closed"),
    ("en", '<p><span class="gloss" data-gloss="add_layer">“Add”</span> is what it says, and “so on”.</p>', "“so on”"),
])
def test_words_in_quotation_marks_that_are_not_a_verified_quotation_fail(language: str, html: str,
                                                                         needle: str) -> None:
    found = failures(html, language)
    assert len(found) == 1 and "quotation marks: expected a verified quotation" in found[0], found
    assert needle in found[0], found


@pytest.mark.parametrize(("html", "place", "needle"), [
    # the samples: a quote admonition, and a false sentence with numbers inside a verified blockquote
    ('<div class="admonition quote"><p class="admonition-title">Quote</p><p>Depth always helps.</p></div>',
     "<div> (admonition quote)", "Depth always helps"),
    (BLOCKQUOTE.replace(ATTRIBUTION, f"{ATTRIBUTION}\n<p>ResNet18 has 34 layers and 99.9% top-1 accuracy.</p>"),
     "quotation he2016.identity", "<p>, <p>, <p>"),
    # cases of our own
    (BLOCKQUOTE.replace("</blockquote>", "It has 34 layers.</blockquote>"), "quotation he2016.identity",
     "'It has 34 layers.'"),
    (BLOCKQUOTE.replace(ATTRIBUTION, f"<div>{ATTRIBUTION}</div>"), "quotation he2016.identity", "<p>, <div>"),
    (BLOCKQUOTE.replace("complexity.”", 'complexity.”<img alt="34 layers" src="figures/scheme.png">'),
     "quotation he2016.identity", "<img> inside"),
    (BLOCKQUOTE.replace('</a></p>', '</a><span> and 34 more</span></p>'), "quotation he2016.identity, attribution",
     "<a>, <span>"),
    (BLOCKQUOTE.replace("blockquote", "div"), "quotation he2016.identity", "<div>"),
    ('<details class="cite"><summary>Cite</summary><p>Depth always helps.</p></details>', "<details> (cite)",
     "Depth always helps"),
    ('<div class="admonition cite"><p>Depth always helps.</p></div>', "<div> (admonition cite)", "Depth always"),
    ("<p>He wrote <q>depth always helps</q>.</p>", "<q>", "depth always helps"),
    ("<blockquote><p>Depth always helps.</p></blockquote>", "<blockquote>", "Depth always helps"),
    (INLINE.replace("más</q>", 'más<span hidden> y 34 más</span></q>'), "quotation report.repeats", "<span> inside"),
    ('<p><span class="quote-translation" data-translates="he2016.identity">Traducción propia: en nuestro caso'
     '<img alt="34 capas" src="x.png"></span></p>', "translation of he2016.identity", "<img>"),
])
def test_a_quote_styled_block_is_a_verified_quotation_and_holds_nothing_else(html: str, place: str,
                                                                             needle: str) -> None:
    found = failures(html)
    assert len(found) == 1 and found[0].startswith(f"page: {place}:") and needle in found[0], found


@pytest.mark.parametrize(("language", "html", "needle"), [
    ("en", '<p>The sum is an <span class="gloss" data-gloss="add_layer">“shortcut”</span> layer.</p>',
     "gloss add_layer: expected '“Add”', found '“shortcut”'"),
    ("en", '<p>An <span class="gloss" data-gloss="add_layer">“Add layer”</span>.</p>', "found '“Add layer”'"),
    ("es", '<p>Una capa <span class="gloss" data-gloss="add_layer">“Add”</span>.</p>', "expected '«Add»'"),
    ("en", '<p>A <span class="gloss" data-gloss="the_cure">“cure”</span>.</p>',
     "gloss the_cure: expected a gloss listed in data/glosses.json"),
    ("en", '<p>A <span class="gloss" data-gloss="add_layer">“Add<em> all</em>”</span>.</p>', "<em> inside"),
])
def test_a_gloss_is_exactly_one_listed_entry_in_the_languages_marks(language: str, html: str, needle: str) -> None:
    found = failures(html, language)
    assert len(found) == 1 and needle in found[0], found


@pytest.mark.parametrize(("language", "html"), [
    ("en", f"<div>{BLOCKQUOTE}</div>"),
    ("en", f"<p>The report said {INLINE} (that it repeats).</p>"),
    ("en", "<p>The output of <code><span data-fact='stages.0.name'>layer1</span></code>'s first block, the models' "
           "weights, He et al.'s paper, torch hub's cache.</p>"),
    ("en", "<pre><code>print('weights:', info[\"source\"])</code></pre>"),
    ("en", '<div class="CodeMirror"><div class="clipboard-copy-txt">stages[\'layer1\']</div></div>'),
    ("es", '<p>La columna <span class="gloss" data-gloss="calculation_column">«Cálculos»</span> del resumen.</p>'),
    ("en", '<p><em><span class="gloss" data-gloss="shortcut">“shortcut”</span></em> arrows</p>'),
    ("es", '<ol><li><span class="source" data-source="report">E.E.S.T. N°1 “Luciano Reyes”</span></li></ol>'),
])
def test_verified_quotations_glosses_apostrophes_and_code_pass(language: str, html: str) -> None:
    assert failures(html, language) == []


def test_every_listed_gloss_is_short_digit_free_and_held_by_its_source_in_both_languages() -> None:
    for language in ("es", "en"):
        for entry in sources.all_glosses():
            assert gloss_problem(entry, language, translations(language)) == "", entry.key
            assert len(entry.why) > 20, entry.key


@pytest.mark.parametrize(("words", "source", "translation", "needle"), [
    ({"es": "uno dos tres cuatro cinco seis", "en": "one"}, "report", None, f"{GLOSS_MOST_WORDS + 1} words"),
    ({"es": "capa 34", "en": "layer 34"}, "report", None, "a digit"),
    ({"es": "la cura de todo", "en": "the cure"}, "report", None, "the original report does not hold"),
    ({"es": "Cálculo", "en": "Calculation"}, None, "summary_formula", "neither the original report's words"),
    ({"es": "Cálculos", "en": "Calculation"}, None, None, "neither the original report's words"),
])
def test_a_listed_gloss_that_is_long_has_a_digit_or_is_not_its_sources_fails(words, source, translation,
                                                                             needle: str) -> None:
    entry = sources.Gloss(key="planted", words=words, why="a planted entry", source=source, translation=translation)
    assert needle in gloss_problem(entry, "es", translations("es"))


def test_every_page_of_the_built_site_passes_in_both_languages(built: Build) -> None:
    """Every quotation mark on the real pages (theme included) is a verified quotation, its translation or a gloss,
    and every quote-styled block is a verified quotation; the Spanish pages mark glosses «»."""
    pages = sorted(built.site.rglob("*.html"))
    assert len(pages) > 10
    glosses = 0
    for path in pages:
        language = "en" if path.relative_to(built.site).parts[0] == "en" else "es"
        html = path.read_text(encoding="utf-8")
        assert failures(html, language) == [], path
        glosses += html.count("data-gloss=")
        if language == "es":
            assert "“" not in "".join(e.text() for e in parse_html(html).walk() if "data-gloss" in e.attrs)
    assert glosses >= 10

