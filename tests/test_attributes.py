"""What a reader meets in attributes is read like text (issue 27: <ol start="34">, an <input value> and an
<iframe srcdoc> carrying numbers, a meta description)."""

from __future__ import annotations

import pytest

from generator.verify.attributes import html_integer, list_numbers, visible_attributes
from generator.verify.context import Context
from generator.verify.page import check_digits
from generator.verify.text import check_text
from generator.verify.visible import VISIBLE_ATTRIBUTES, parse_html

from .conftest import ROOT, Build, Derived
from .site_pages import context, failures


def digits(derived: Derived, html: str) -> list[str]:
    ctx = context(derived.expected, "en")
    check_digits(parse_html(html), ctx, set())
    return failures(ctx)


@pytest.mark.parametrize("html", [
    '<ol start="34"><li>layers</li></ol>',
    '<ol><li>a</li><li value="34">layers</li></ol>',
    '<ol type="i" start="34"><li>layers</li></ol>',
    '<input type="text" value="34">',
    '<input type="hidden" name="layers" value="34">',
    '<button value="34">go</button>',
    '<select><option value="x" label="34 layers">x</option></select>',
    '<progress value="34" max="100"></progress>',
    '<meta name="description" content="34 layers">',
    '<meta property="og:description" content="34 layers">',
    '<iframe srcdoc="&lt;p&gt;34 layers&lt;/p&gt;"></iframe>',
    '<iframe srcdoc="&lt;img alt=&quot;34 layers&quot; src=&quot;x.png&quot;&gt;"></iframe>',
    '<span aria-valuetext="34 layers" role="meter">x</span>',
])
def test_a_number_in_what_a_reader_meets_fails(derived: Derived, html: str) -> None:
    found = digits(derived, html)
    assert any("untagged number '34" in line for line in found), found


def test_a_reversed_list_shows_its_count(derived: Derived) -> None:
    found = digits(derived, "<ol reversed><li>a</li><li>b</li><li>c</li></ol>")
    assert [line.split("untagged number ")[1] for line in found] == ["'3'", "'2'", "'1'"]


@pytest.mark.parametrize("html", [
    "<ol><li>a</li><li>b</li></ol>",
    '<ol start="1"><li>a</li></ol>',
    '<meta name="generator" content="mkdocs-1.6.1">',
    '<input type="checkbox" id="__drawer">',
    '<iframe srcdoc="&lt;p&gt;words only&lt;/p&gt;"></iframe>',
])
def test_what_shows_no_number_passes(derived: Derived, html: str) -> None:
    assert digits(derived, html) == []


@pytest.mark.parametrize(("value", "number"), [("34", 34), (" 34th", 34), ("-2", -2), ("+7", 7), ("x", None), ("", None)])
def test_integers_are_read_as_html_reads_them(value: str, number: int | None) -> None:
    assert html_integer(value) == number


def test_list_numbers_follow_values() -> None:
    ordered = parse_html('<ol start="5"><li>a</li><li value="10">b</li><li>c</li></ol>').find("ol")
    assert list_numbers(ordered) == [5, 10, 11]


def test_the_built_site_shows_no_number_in_attributes(built: Build, derived: Derived) -> None:
    """Every attribute read beyond alt, title, aria-label and placeholder (which the page's own rules account
    for: a heading's number, a figure's module), on every built page, the theme's included, holds no untagged
    number."""
    found: list = []
    ctx = Context(expected=derived.expected, language="en", strings={}, figure_names=set(),
                  mkdocs_yml=ROOT / "mkdocs.yml", mismatches=found, page="page")
    pages = sorted(built.site.rglob("*.html"))
    for page in pages:
        for element in parse_html(page.read_text(encoding="utf-8")).walk():
            for shown in visible_attributes(element)[sum(1 for name in VISIBLE_ATTRIBUTES if element.attrs.get(name)):]:
                check_text(shown, element, ctx)
    assert len(pages) >= 14 and found == []
