"""A table has exactly the columns its kind has, with the headers of its kind in the page's language.

The sample of issue 27 is a fifth column of made-up percentages in the summary table; the other cases
drop a column, head a Spanish table in English, add a table of no kind, and break one row.
"""

from __future__ import annotations

import pytest

from generator.verify.tables import KINDS, check_tables, headers
from generator.verify.visible import parse_html

from .conftest import Build, Derived
from .site_pages import context, failures, site_articles

SUMMARY_ES = """<table><thead><tr><th>Layer (type)</th><th>Output Shape</th><th>Cálculos</th><th>Parámetros</th>{extra_head}
</tr></thead><tbody>
<tr><td>Conv2d-1</td><td>[-1, 64, 112, 112]</td><td>3 * 64 * 7 * 7</td><td>9,408</td>{extra}</tr>
<tr><td>BatchNorm2d-2</td><td>[-1, 64, 112, 112]</td><td>64 * 2</td><td>128</td>{extra}</tr>
<tr><td>Total params</td><td>11,689,512</td><td></td><td></td>{extra}</tr>
</tbody></table>"""


def run(html: str, derived: Derived, language: str = "es") -> list[str]:
    ctx = context(derived.expected, language)
    check_tables(parse_html(html), ctx)
    return failures(ctx)


def test_the_summary_table_as_written_passes(derived: Derived) -> None:
    assert run(SUMMARY_ES.format(extra_head="", extra=""), derived) == []


def test_a_fifth_column_of_made_up_percentages_in_the_summary_table_fails(derived: Derived) -> None:
    found = run(SUMMARY_ES.format(extra_head="<th>Porcentaje</th>", extra="<td>12,5 %</td>"), derived)
    assert found == [
        "page: table 1 (torchsummary): expected its 4 headers in es: Layer (type) | Output Shape | Cálculos | "
        "Parámetros, found 5: Layer (type) | Output Shape | Cálculos | Parámetros | Porcentaje",
        "page: table 1 (torchsummary), rows: expected 4 cells in every row, found row 1: 5, row 2: 5, row 3: 5",
    ]


def test_a_dropped_column_fails(derived: Derived) -> None:
    html = SUMMARY_ES.format(extra_head="", extra="").replace("<th>Cálculos</th>", "")
    html = html.replace("<td>3 * 64 * 7 * 7</td>", "").replace("<td>64 * 2</td>", "")
    found = run(html, derived)
    assert len(found) == 2 and "found 3: Layer (type) | Output Shape | Parámetros" in found[0], found
    assert "row 1: 3, row 2: 3" in found[1] and "row 3" not in found[1], found


def test_a_colspan_counts_its_columns(derived: Derived) -> None:
    html = SUMMARY_ES.format(extra_head="", extra="").replace("<td>11,689,512</td><td></td><td></td>",
                                                              '<td colspan="3">11,689,512</td>')
    assert run(html, derived) == []
    assert "row 3: 5" in run(html.replace('colspan="3"', 'colspan="4"'), derived)[0]


def test_english_headers_on_the_spanish_page_fail(derived: Derived) -> None:
    html = ("<table><tr><th>Item</th><th>Value</th></tr><tr><td>Archivo</td><td>x.pth</td></tr></table>"
            "<table><tr><th>Dato</th><th>Value</th></tr><tr><td>Archivo</td><td>x.pth</td></tr></table>")
    found = run(html, derived)
    assert found == [
        "page: table 1 (provenance): expected its 2 headers in es: Dato | Valor, found 2: Item | Value "
        "(the en headers)",
        "page: table 2 (provenance): expected its 2 headers in es: Dato | Valor, found 2: Dato | Value",
    ]


def test_a_table_of_no_known_kind_fails(derived: Derived) -> None:
    html = "<table><tr><th>Capa</th><th>Precisión</th><th>Notas</th></tr><tr><td>a</td><td>b</td><td>c</td></tr></table>"
    assert run(html, derived) == ["page: table 1 (of no known kind): expected the header row of a known kind ("
                                  + ", ".join(KINDS) + "), found 'Capa | Precisión | Notas'"]


def test_a_stage_column_headed_by_words_instead_of_its_label_fails(derived: Derived) -> None:
    stages = "".join(f'<th><span data-fact="stages.{i}.name">layer{i + 1}</span></th>' for i in range(4))
    html = f"<table><tr><th>Model</th>{stages}</tr></table>"
    assert run(html, derived, "en") == []
    found = run(html.replace('<span data-fact="stages.3.name">layer4</span>', "layer4"), derived, "en")
    assert len(found) == 1 and "found 5: Model | @stages.0.name | @stages.1.name | @stages.2.name | layer4" in found[0]


def test_every_table_of_the_built_site_is_of_its_kind(built: Build, derived: Derived) -> None:
    tables = 0
    for page, language, article in site_articles(built.site):
        ctx = context(derived.expected, language, page)
        check_tables(article, ctx)
        assert failures(ctx) == [], page
        tables += sum(1 for e in article.walk() if e.tag == "table")
    assert tables >= 2 * len(KINDS) - 2  # every kind but the predictions' (trained weights only), in both languages


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_header_of_every_kind_is_in_the_translations(language: str) -> None:
    for kind in KINDS:
        assert all(header for header in headers(kind, language, 4)), kind
