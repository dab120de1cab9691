"""One typography of numbers per language (issue 29, section 4): the minus sign U+2212, shapes joined by ×
with no space and no thousands separator, an exact zero as 0, the language's scientific notation and never
e-notation. The writer (format_number, dimensions()) keeps to it, and the check refuses the others on a
page: the issue's samples, planted into the built HTML as the old writer produced them, and cases of its own.
"""

from __future__ import annotations

import pytest

from generator.core.translations import translations
from generator.report.pages import format_number
from generator.verify.context import Context
from generator.verify.numbers import value_matches
from generator.verify.typography import check_typography
from generator.verify.visible import parse_html

from .conftest import ROOT, Build
from .site_edits import edit, insert_before_heading
from .test_check import inputs, mismatches, only  # noqa: F401 - the check's fixtures, shared

MINUS, NNBSP = "\u2212", "\u202f"


# ---------------------------------------------------------------- the writer


@pytest.mark.parametrize(("value", "style", "language", "text"), [
    (-0.5432, "auto", "en", f"{MINUS}0.5432"),
    (-0.5432, "auto", "es", f"{MINUS}0,5432"),
    (-12345, "auto", "es", f"{MINUS}12{NNBSP}345"),
    (-12345, "auto", "en", f"{MINUS}12,345"),
    (-2.5e-5, "sci", "en", f"{MINUS}2.50 × 10⁻⁵"),
    (-2.5e-5, "sci", "es", f"{MINUS}2,50·10⁻⁵"),
    (1e-5, "sci", "es", "1,00·10⁻⁵"),  # the issue's Spanish sample: never 1,00e-05
    (1e-5, "sci", "en", "1.00 × 10⁻⁵"),
    (0.0, "sci", "es", "0"),  # the issue's sample: an exact zero was 0,00e+00
    (0.0, "sci", "en", "0"),
    (0.0, "auto", "es", "0"),
    (0.0, "percent", "es", f"0{NNBSP}%"),
    (0.0, "percent2", "en", "0%"),
    (0.0, "fixed3", "en", "0"),
    (-1e-9, "percent", "en", "0.0%"),  # rounded to nothing: a zero the reader sees has no sign
    (-1e-9, "percent", "es", f"0,0{NNBSP}%"),
    (1024, "dimension", "en", "1024"),  # the issue's sample: a side of 1,024x14x14
    (2048, "dimension", "es", "2048"),
    (12345, "dimension", "es", "12345"),  # a side is never grouped, even where a count would be
    (1024, "auto", "en", "1,024"),  # a count is grouped as before
])
def test_format_number_keeps_the_languages_typography(value: float, style: str, language: str, text: str) -> None:
    assert format_number(value, style, language) == text
    assert value_matches(text, value, style, language, translations(language))


@pytest.mark.parametrize(("text", "value", "style", "language"), [
    ("-0,5432", -0.5432, "auto", "es"),  # the hyphen-minus
    ("-0.5432", -0.5432, "auto", "en"),
    ("-2.50 × 10⁻⁵", -2.5e-5, "sci", "en"),
    ("0,00e+00", 0.0, "sci", "es"),  # the issue's sample
    ("0,00·10⁰", 0.0, "sci", "es"),  # the language's notation, still not 0
    ("0.00 × 10⁰", 0.0, "sci", "en"),
    ("0.0%", 0.0, "percent", "en"),
    ("0", 1e-7, "sci", "en"),  # 0 is an exact zero: a small value is not one
    ("1,024", 1024, "dimension", "en"),  # a thousands separator inside a shape
    (f"10{NNBSP}240", 10240, "dimension", "es"),
])
def test_the_check_refuses_the_other_conventions_in_a_value(text: str, value: float, style: str,
                                                            language: str) -> None:
    assert not value_matches(text, value, style, language, translations(language))


# ---------------------------------------------------------------- the rule, on snippets


def typography(html: str, language: str) -> list[str]:
    found: list = []
    ctx = Context(expected=None, language=language, strings=translations(language),  # type: ignore[arg-type]
                  figure_names=set(), mkdocs_yml=ROOT / "mkdocs.yml", mismatches=found, page="page")
    check_typography(parse_html(html), ctx, set())
    return [f"{m.expected}: {m.found}" for m in found]


def fact(text: str, style: str = "auto") -> str:
    return f'<span class="fact" data-fact="x" data-style="{style}">{text}</span>'


@pytest.mark.parametrize(("html", "language", "convention"), [
    (f"<td>{fact('1,024')}x{fact('14')}x{fact('14')}</td>", "en", "not the letter x"),  # the issue's sample
    (f"<td>{fact('1,024')}×{fact('14')}×{fact('14')}</td>", "en", "without a thousands separator"),
    (f"<p>at {fact('224')}x{fact('224')}</p>", "en", "not the letter x"),  # the issue's sample
    (f"<p>at {fact('224')} × {fact('224')}</p>", "en", "no space around"),
    (f"<p>a {fact('3')} X {fact('3')} kernel</p>", "en", "not the letter x"),
    (f"<p>de {fact('1')}{NNBSP}024×{fact('7')}</p>", "es", "without a thousands separator"),
    (f"<td>{fact('-4,31')}</td>", "es", "the minus sign U+2212"),  # the issue's sample: a hyphen-minus
    ("<p>min (-0.5)</p>", "en", "the minus sign U+2212"),
    (f"<td>{fact('1,00e-05', 'sci')}</td>", "es", "never e-notation"),  # the issue's sample
    (f"<td>{fact('0,00e+00', 'sci')}</td>", "es", "never e-notation"),  # the issue's sample
    (f"<td>{fact('1.00e-05', 'sci')}</td>", "en", "never e-notation"),
    (f"<td>{fact('1E5')}</td>", "en", "never e-notation"),
    (f"<td>{fact('0,00·10⁰', 'sci')}</td>", "es", "an exact zero written 0"),
    (f"<td>{fact('0.00 × 10⁰', 'sci')}</td>", "en", "an exact zero written 0"),
    ('<p><img alt="Input, 3x224x224" src="a.png"></p>', "en", "not the letter x"),  # an attribute
])
def test_a_number_in_another_convention_fails(html: str, language: str, convention: str) -> None:
    found = typography(html, language)
    assert any(convention in line for line in found), found


@pytest.mark.parametrize(("html", "language"), [
    (f"<td>{fact('1024', 'dimension')}×{fact('14', 'dimension')}×{fact('14', 'dimension')}</td>", "en"),
    (f"<td>{fact(MINUS + '4,31')}</td>", "es"),
    (f"<td>{fact('1.00 × 10⁻⁵', 'sci')}, {fact('0', 'sci')}</td>", "en"),
    (f"<td>{fact('1,00·10⁻⁵', 'sci')}</td>", "es"),
    ("<p>ResNet-18, top-5, plain-56, x86-64, CIFAR-10, 2026-12-07, layer1.0, on 2 x86-64 machines</p>", "en"),
    ("<p>1, 2 y 3</p><p>de 224×224 a 112×112; 3 canales</p>", "es"),
    ("<pre><code>[-1, 64, 112, 112] 1e-05 3x3</code></pre>", "en"),  # code keeps its own format
    ('<blockquote data-quote="k"><p>the second 3x3 convolution</p></blockquote>', "en"),  # a source's words
])
def test_the_languages_own_typography_passes(html: str, language: str) -> None:
    assert typography(html, language) == []


def test_a_block_inside_a_block_is_read_on_its_own() -> None:
    """Two cells side by side are two numbers, not one shape: 3 | x3 is no 3x3."""
    assert typography("<table><tr><td>3</td><td>x</td><td>3</td></tr></table>", "en") == []
    assert typography("<table><tr><td>3x3</td></tr></table>", "en") != []


# ---------------------------------------------------------------- the built site


SHAPE_CELL = ('data-style="dimension">1024</span>×<span class="fact" data-fact="family.models.3.stage_sizes.2" '
              'data-style="dimension">14</span>')


@pytest.mark.parametrize(("page", "old", "new", "found"), [
    # the issue's samples, as the old writer put them on the family page
    ("family.en", SHAPE_CELL, SHAPE_CELL.replace(">1024<", ">1,024<").replace("×", "x").replace(
        'data-style="dimension">1,024', 'data-style="auto">1,024'), "'4x'"),
    ("family.en", SHAPE_CELL, SHAPE_CELL.replace("×", " × "), "no space around"),
    ("family.es", SHAPE_CELL, SHAPE_CELL.replace(">1024<", f">1{NNBSP}024<"), "without a thousands separator"),
    ("index.es", 'data-style="sci">0<', 'data-style="sci">0,00e+00<', "never e-notation"),
    ("index.es", 'data-style="sci">0<', 'data-style="sci">0,00·10⁰<', "an exact zero written 0"),
    ("index.en", 'data-style="sci">0<', 'data-style="sci">0.00 × 10⁰<', "an exact zero written 0"),
    ("index.es", 'data-style="sci">1,00·10⁻⁵<', 'data-style="sci">1,00e-05<', "never e-notation"),
    ("index.en", 'data-style="sci">1.00 × 10⁻⁵<', 'data-style="sci">1.00e-05<', "never e-notation"),
    ("index.es", f'data-style="auto">{MINUS}', 'data-style="auto">-', "the minus sign U+2212"),
    ("index.en", f'data-style="auto">{MINUS}', 'data-style="auto">-', "the minus sign U+2212"),
    ("maps.en", 'alt="The cropped and resized input image', 'alt="The 3x224x224 input image', "(attribute)"),
])
def test_the_issues_samples_on_a_built_page_fail(editable_build: Build, mismatches, page: str, old: str, new: str,
                                                 found: str) -> None:
    name, language = page.split(".")
    edit(editable_build.page(name, language), old, new)
    only(mismatches(editable_build, name), f"({page})", "typography", found)


def test_the_family_page_writes_its_shapes_as_one_shape(built: Build) -> None:
    """The English family page showed 1,024x14x14 beside 64×112×112: every shape is now in one convention."""
    html = built.page("family", "en").read_text(encoding="utf-8")
    assert SHAPE_CELL in html
    assert 'data-style="auto">1,024</span>x' not in html


@pytest.mark.parametrize(("page", "heading", "words", "found"), [
    ("experiment.en", "result", "Trained on a few thousand images.", "'thousand'"),  # the issue's sample
    ("experiment.es", "resultado", "Entrenada con unos pocos miles de imágenes.", "'miles'"),
])
def test_a_count_in_vague_words_fails(editable_build: Build, mismatches, page: str, heading: str, words: str,
                                      found: str) -> None:
    """'A few thousand images' for 1,438: a count is a tagged number, never a wording the value did not choose."""
    name, language = page.split(".")
    insert_before_heading(editable_build.page(name, language), heading, words)
    only(mismatches(editable_build, name), f"({page})", found)


@pytest.mark.process
def test_the_check_command_exits_5_with_one_line_naming_page_and_text(editable_build: Build) -> None:
    """As `python -m generator check` runs it: the issue's 1,024x14x14 on the English family page."""
    from .test_cli import cli

    edit(editable_build.page("family", "en"), SHAPE_CELL, SHAPE_CELL.replace("×", "x"))
    result = cli("check", "--weights", "random", "--offline", "--docs", str(editable_build.docs),
                 "--out", str(editable_build.site), "--mkdocs-yml", str(ROOT / "mkdocs.yml"))
    assert result.returncode == 5, result.stderr
    lines = [line for line in result.stderr.splitlines() if "typography" in line]
    assert lines and all(line.startswith("  en/family/index.html (family.en): typography: ") for line in lines), lines
    assert any("found '4x' in '1024x14" in line for line in lines), lines
