"""Text a stylesheet writes onto a page is read like the page's own (issue 27: CSS ``content: "34 layers,
99.9% top-1"`` inline in a template and in docs/assets/static/*.css, where it shows on every page)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tinycss2

from generator.verify import css_text, links
from generator.verify.context import Context
from generator.verify.css_text import (Generated, check_generated_text, check_stylesheet_addresses, generated_text,
                                       page_stylesheets)
from generator.verify.visible import parse_html

from .conftest import ROOT, Build, Derived

SAMPLE = '"34 layers, 99.9% top-1"'


def context(derived: Derived, found: list) -> Context:
    return Context(expected=derived.expected, language="en", strings={}, figure_names=set(),
                   mkdocs_yml=ROOT / "mkdocs.yml", mismatches=found, page="en/maps/index.html")


def site_with(tmp_path: Path, page: str, files: dict[str, str] | None = None) -> tuple[Path, Path]:
    """A site folder holding one page (en/maps/index.html) and the given files."""
    site = tmp_path / "site"
    for name, text in {"en/maps/index.html": page, **(files or {})}.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    return site, site / "en/maps/index.html"


def check(derived: Derived, site: Path, page: Path) -> list[str]:
    found: list = []
    check_generated_text(parse_html(page.read_text(encoding="utf-8")), context(derived, found), page, site)
    return [str(m) for m in found]


@pytest.mark.parametrize(("css", "wanted"), [
    (f"p::after {{ content: {SAMPLE} }}", [Generated("text", "34 layers, 99.9% top-1", "content")]),
    (f"@media screen {{ @supports (display: grid) {{ .x::before {{ content: {SAMPLE} }} }} }}",
     [Generated("text", "34 layers, 99.9% top-1", "content")]),
    (f".md-typeset {{ p::after {{ content: {SAMPLE} }} }}", [Generated("text", "34 layers, 99.9% top-1", "content")]),
    ('p::after { cont\\65nt: "\\33 4" }', [Generated("text", "34", "content")]),
    (f"content: {SAMPLE}; color: red", [Generated("text", "34 layers, 99.9% top-1", "content")]),
    ("p::after { content: attr(data-n) }", [Generated("attr", "data-n", "content")]),
    ("ol { counter-reset: x 33 } li::before { content: counter(x) }",
     [Generated("numbering", "x 33", "counter-reset"), Generated("counter", "x", "content")]),
    ('li::before { content: counters(x, "3.") }', [Generated("counter", "x", "content"), Generated("text", "3.", "content")]),
    ("q::before { content: open-quote } q::after { content: close-quote }",
     [Generated("quote", "open-quote", "content"), Generated("quote", "close-quote", "content")]),
    ('p { quotes: "34" "35" }', [Generated("text", "34", "quotes"), Generated("text", "35", "quotes")]),
    ('li { list-style-type: "34 " }', [Generated("text", "34 ", "list-style-type")]),
    ("@counter-style thirty { system: fixed 34; symbols: a }", [Generated("numbering", "thirty", "@counter-style")]),
    (':root { --n: "34" } p::after { content: var(--n) }',
     [Generated("custom", "34", "--n"), Generated("var", "--n", "content")]),
    ('/* p::after { content: "34" } */ p { font-family: "Font 34" }', []),
])
def test_what_a_stylesheet_generates(css: str, wanted: list[Generated]) -> None:
    assert list(generated_text(css)) == wanted


def test_a_stylesheet_is_parsed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = tinycss2.parse_blocks_contents
    monkeypatch.setattr(tinycss2, "parse_blocks_contents", lambda *a, **k: calls.append(1) or original(*a, **k))
    css = 'p::after { content: "parsed once, by its digest" }'
    assert generated_text(css) == generated_text(css)
    assert len(calls) == 2  # the stylesheet, then its one rule's block: not again for the second call


PAGE = '<html><head>{head}</head><body><article><p {attrs}>text</p>{body}</article></body></html>'


@pytest.mark.parametrize(("head", "attrs", "body", "files", "wanted"), [
    (f"<style>p::after {{ content: {SAMPLE} }}</style>", "", "", {}, "untagged number '34'"),
    ("", f"style='content: {SAMPLE}'", "", {}, "untagged number '34'"),
    ('<link rel="stylesheet" href="../../assets/static/report.css">', "", "",
     {"assets/static/report.css": f".md-typeset h1::after {{ content: {SAMPLE} }}"}, "untagged number '99.9%'"),
    ('<link rel="stylesheet" href="../../assets/static/report.css">', "", "",
     {"assets/static/report.css": '@import "more.css";', "assets/static/more.css": f"p::after {{ content: {SAMPLE} }}"},
     "untagged number '34'"),
    ("<style>ol { counter-reset: x 33 } li::before { content: counter(x) }</style>", "", "", {},
     "counter 'x'"),
    ("<style>ol { counter-reset: list-item 33 }</style>", "", "<ol><li>a</li></ol>", {}, "numbering 'list-item 33'"),
    ("<style>p::after { content: attr(data-n) }</style>", 'data-n="34"', "", {}, "untagged number '34'"),
    ("<style>q::before { content: open-quote }</style>", "", "", {}, "no quotation marks made by a stylesheet"),
    ('<style>.lm-CommandPalette-content:empty::after { content: "No results" }</style>', "", "", {},
     "no words written by a stylesheet"),
    ("<style>.x::before { content: '\\41' }</style>", "", "", {}, "no words written by a stylesheet"),
    ('<link rel="stylesheet" href="../../missing.css">', "", "", {}, "a stylesheet inside the site folder"),
    ('<link rel="stylesheet" href="../../../../outside.css">', "", "", {"../outside.css": "p {}"},
     "a stylesheet inside the site folder"),
])
def test_generated_text_is_read(derived: Derived, tmp_path: Path, head: str, attrs: str, body: str,
                                files: dict[str, str], wanted: str) -> None:
    site, page = site_with(tmp_path, PAGE.format(head=head, attrs=attrs, body=body), files)
    found = check(derived, site, page)
    assert any(wanted in line for line in found), found


def test_attributes_no_stylesheet_shows_are_not_read(derived: Derived, tmp_path: Path) -> None:
    site, page = site_with(tmp_path, PAGE.format(head="", attrs='data-n="34"', body=""))
    assert check(derived, site, page) == []


def test_every_stylesheet_a_page_loads_is_found(tmp_path: Path) -> None:
    page = PAGE.format(head='<link rel="stylesheet" href="../../a.css"><link rel="icon" href="x.png"><style>b {}</style>',
                       attrs='style="color: red"', body="")
    site, path = site_with(tmp_path, page, {"a.css": "a {}"})
    assert page_stylesheets(parse_html(page), path, site) == [
        ("../../a.css", "a {}"), ("<style>", "b {}"), ("<p style>", "color: red")]


def test_report_css_shows_on_every_page(built: Build, derived: Derived, tmp_path: Path) -> None:
    """The sample in docs/assets/static/report.css, as the build copies it: every page of both languages fails."""
    site = tmp_path / "site"
    shutil.copytree(built.site, site)
    with (site / "assets/static/report.css").open("a", encoding="utf-8") as sheet:
        sheet.write(f"\n.md-header__topic::after {{ content: {SAMPLE} }}\n")
    pages = sorted(site.rglob("*.html"))
    assert all(any("untagged number '34'" in line for line in check(derived, site, page)) for page in pages)


def test_every_page_of_the_built_site_passes(built: Build, derived: Derived) -> None:
    pages = sorted(built.site.rglob("*.html"))
    assert len(pages) >= 14
    assert [line for page in pages for line in check(derived, built.site, page)] == []


def test_the_theme_counts_only_in_its_own_stylesheet(built: Build) -> None:
    """Material numbers its annotations with counter(): allowed because the bytes are the theme's own."""
    main = next((built.site / "assets/stylesheets").glob("main.*.css")).read_text(encoding="utf-8")
    assert css_text.digest(main) in css_text.theme_digests()
    assert any(shown.kind == "counter" for shown in generated_text(main))
    assert css_text.digest(main + " ") not in css_text.theme_digests()


def addresses(derived: Derived, site: Path, page: Path) -> list[str]:
    found: list = []
    check_stylesheet_addresses(parse_html(page.read_text(encoding="utf-8")), context(derived, found), page, site)
    return [str(m) for m in found]


@pytest.mark.parametrize(("head", "files"), [
    ("<style>p { background: url(//evil.example/x.png) }</style>", {}),
    ('<style>@import "//evil.example/x.css";</style>', {}),
    ('<style>@font-face { font-family: f; src: url("https://fonts.example/f.woff2") format("woff2") }</style>', {}),
    ('<style>p { background: image-set("//evil.example/a.png" 1x) }</style>', {}),
    ("<style>p { background: url(data:text/html,x) }</style>", {}),
    ('<link rel="stylesheet" href="../../assets/static/report.css">',
     {"assets/static/report.css": "@media print { p { background: url(//evil.example/x.png) } }"}),
])
def test_an_address_a_stylesheet_loads_from_elsewhere_fails(derived: Derived, tmp_path: Path, head: str,
                                                             files: dict[str, str]) -> None:
    site, page = site_with(tmp_path, PAGE.format(head=head, attrs='style="cursor: url(//evil.example/c.cur)"', body=""),
                           files)
    found = addresses(derived, site, page)
    assert len(found) == 2 and all("an address on the site" in line for line in found), found


def test_a_stylesheet_resolves_addresses_against_its_own(derived: Derived, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Served from /repo/, url(../../x.png) in assets/static/report.css is /repo/x.png: on the site. Resolved
    against the page at the site's root instead, it would be /x.png, above the site's folder."""
    monkeypatch.setenv("SITE_URL", "https://u.github.io/repo/")
    links.site_address.cache_clear()
    css = "p { background: url(../../x.png), url('data:image/svg+xml;base64,PHN2Zz4=') }"
    site, _ = site_with(tmp_path, "", {"assets/static/report.css": css, "index.html": PAGE.format(
        head='<link rel="stylesheet" href="assets/static/report.css">', attrs='style="cursor: url(../x.cur)"', body="")})
    try:
        found = addresses(derived, site, site / "index.html")
    finally:
        links.site_address.cache_clear()
    assert len(found) == 1 and "link ../x.cur (CSS in <p style>)" in found[0], found


def test_every_stylesheet_address_of_the_built_site_passes(built: Build, derived: Derived) -> None:
    assert [line for page in sorted(built.site.rglob("*.html")) for line in addresses(derived, built.site, page)] == []
