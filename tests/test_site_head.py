"""What search engines and assistive technology read before the content (verify/head.py): each language's 404
page, the site's description in each language, the language alternates and the sitemap.

The built site is read as it is; each rule is then broken in a private copy and the check must name the break.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from generator.core.config import LANGUAGES
from generator.core.translations import translations
from generator.verify import gate, head, site_pages
from generator.verify.artifacts import figure_files
from generator.verify.mismatch import Mismatch
from generator.report.pages import PAGES
from generator.verify.visible import parse_html

from .conftest import ROOT, Build, Derived, checked_with_every_fault, make_config, mkdocs_yml_in, run_build
from .site_edits import edit
from .site_pages import context
from .test_check import inputs, mismatches, only  # noqa: F401

NOT_FOUND_WORDS = {"es": "404: página no encontrada", "en": "404: page not found"}
PUBLISHED = "https://example.github.io/resnet18/"


def all_pages(site: Path) -> list[tuple[Path, str]]:
    """Every HTML page of the site with its language (a page under site/<language>/ is in that language)."""
    return [(path, path.relative_to(site).parts[0] if path.relative_to(site).parts[0] in LANGUAGES[1:]
             else LANGUAGES[0]) for path in sorted(site.rglob("*.html"))]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_has_its_own_404_page_in_that_language(built: Build, language: str) -> None:
    page = site_pages.not_found_file(built.site, language)
    root = parse_html(page.read_text(encoding="utf-8"))
    assert root.find("html").attrs["lang"] == language
    article = root.find("article")
    assert article is not None and " ".join(article.text().split()) == NOT_FOUND_WORDS[language]


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("404: page not found", "404: página no encontrada", "404 page"),
        ("404: page not found", "404: page not found. Quizá buscaba el informe", "404 page"),
        ("404: page not found", "404: page not found (1,5 s)", "untagged number"),
        ('<html lang="en"', '<html lang="es"', "<html lang>"),
    ],
    ids=["spanish-words", "spanish-sentence", "spanish-number", "spanish-lang"],
)
def test_spanish_on_the_english_404_page_is_caught(editable_build: Build, derived: Derived, old: str, new: str,
                                                   needle: str) -> None:
    """Read as the whole check reads each 404 page (the next test shows that it does)."""
    edit(editable_build.site / "en" / "404.html", old, new)
    found: list[Mismatch] = []
    contexts = gate.PageContexts(derived.expected, figure_files(editable_build.docs), editable_build.config)
    gate.check_error_page(editable_build.site, "en", contexts, found)
    only([str(m) for m in found], "en/404.html", needle)


def test_a_missing_english_404_page_is_caught(editable_build: Build, mismatches) -> None:
    (editable_build.site / "en" / "404.html").unlink()
    only(mismatches(editable_build), "en/404.html", "missing")


def test_every_page_describes_the_site_in_its_own_language(built: Build) -> None:
    """One description per language (it was once both in one string on the Spanish pages)."""
    for path, language in all_pages(built.site):
        root = parse_html(path.read_text(encoding="utf-8"))
        described = [e.attrs["content"] for e in root.walk() if e.tag == "meta" and e.attrs.get("name") == "description"]
        assert described == [translations(language)["site_description"]], path
        assert " / " not in described[0]
    assert translations("es")["site_description"] != translations("en")["site_description"]


@pytest.mark.parametrize(
    "description",
    ["Informe calculado de ResNet18 / A computed report on ResNet18", "A report on torchvision's ResNet18"],
    ids=["both-languages", "english"],
)
def test_a_description_in_another_language_is_caught(editable_build: Build, mismatches, description: str) -> None:
    edit(editable_build.page("maps", "es"), translations("es")["site_description"], description)
    only(mismatches(editable_build, "maps"), "(maps.es)", '<meta name="description">')


def test_without_a_site_url_there_is_no_sitemap_and_no_alternate_in_a_head(built: Build) -> None:
    """Without its address the site cannot name an absolute one: it once listed `Noneexperiment/`, kept a copy of
    that sitemap in every page folder, and named relative hreflang alternates in every head."""
    assert not [path for name in head.SITEMAPS for path in built.site.rglob(name)]
    for path, _language in all_pages(built.site):
        root = parse_html(path.read_text(encoding="utf-8"))
        alternates = [e.attrs for e in root.walk() if e.tag == "link" and "hreflang" in e.attrs]
        assert alternates == [], path
        switcher = [e for e in root.walk() if e.tag == "a" and "hreflang" in e.attrs]
        assert {e.attrs["hreflang"] for e in switcher} == set(LANGUAGES), path  # the language switcher stays


SITE_URL_FAULTS = [
    ("sitemap.xml", None, "<urlset><url><loc>Noneexperiment/</loc></url></urlset>", "sitemap"),
    ("en/maps/sitemap.xml", None, "<urlset></urlset>", "sitemap"),
    ("index.html", '<meta charset="utf-8">', '<meta charset="utf-8"><link rel="alternate" href="en/" hreflang="en">',
     "hreflang en"),
]


def _address_planted(file: str, old: str | None, new: str) -> Callable[[Build], None]:
    def plant(build: Build) -> None:
        path = build.site / file
        if old is None:
            path.write_text(new, encoding="utf-8")
        else:
            edit(path, old, new)
    return plant


@pytest.fixture(scope="module")
def site_url_faults_found(tmp_path_factory, built: Build, derived: Derived) -> list[str]:
    return checked_with_every_fault(tmp_path_factory, built, derived,
                                    [_address_planted(file, old, new) for file, old, new, _ in SITE_URL_FAULTS])


@pytest.mark.parametrize(("file", "old", "new", "needle"), SITE_URL_FAULTS,
                         ids=["none-sitemap", "sitemap-copy", "relative-hreflang"])
def test_an_address_made_without_a_site_url_is_caught(site_url_faults_found: list[str], file: str, old: str | None,
                                                      new: str, needle: str) -> None:
    assert any(line.startswith(file) and needle in line for line in site_url_faults_found), site_url_faults_found


def published_yml(folder: Path) -> Path:
    """The project's mkdocs.yml with a site_url, as the publishing workflow sets it."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace("site_url: !ENV SITE_URL", f"site_url: {PUBLISHED}")
    assert PUBLISHED in text
    path = folder / "mkdocs.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("address", "good"),
    [(f"{PUBLISHED}en/maps/", True), (f"{PUBLISHED}./", False), ("Noneexperiment/", False),
     ("https://elsewhere.example/en/", False)],
    ids=["below", "dot-segment", "none", "elsewhere"],
)
def test_with_a_site_url_the_sitemap_names_only_addresses_below_it(tmp_path: Path, address: str, good: bool) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitemap.xml").write_text(
        f'<urlset><url><loc>{PUBLISHED}</loc><xhtml:link rel="alternate" hreflang="en" href="{address}"/></url>'
        "</urlset>", encoding="utf-8")
    found: list[Mismatch] = []
    head.check_sitemaps(site, published_yml(tmp_path), {""}, found)
    assert (found == []) is good, found
    (site / "en").mkdir()
    (site / "en" / "sitemap.xml").write_text("<urlset></urlset>", encoding="utf-8")
    head.check_sitemaps(site, published_yml(tmp_path), {""}, found)
    assert any("a copy in a page's folder" in str(m) for m in found)


SITE_PAGES = {"", "maps/", "notebook/", "en/", "en/maps/", "en/notebook/"}


@pytest.mark.parametrize(
    ("listed", "extra", "needle"),
    [(SITE_PAGES, "", None),
     (SITE_PAGES - {"en/notebook/"}, "", f"missing: ['{PUBLISHED}en/notebook/']"),
     (SITE_PAGES | {"en/unknown/"}, "", "7 entries"),
     (SITE_PAGES, "<lastmod>2026-12-07</lastmod>", "no <lastmod>")],
    ids=["every-page", "a-page-left-out", "a-page-the-site-lacks", "dated"],
)
def test_the_sitemap_lists_every_page_once_and_dates_none(tmp_path: Path, listed: set[str], extra: str,
                                                          needle: str | None) -> None:
    site = tmp_path / "site"
    site.mkdir()
    entries = "".join(f"<url><loc>{PUBLISHED}{page}</loc>{extra}</url>" for page in sorted(listed))
    (site / "sitemap.xml").write_text(f"<urlset>{entries}</urlset>", encoding="utf-8")
    found: list[Mismatch] = []
    head.check_sitemaps(site, published_yml(tmp_path), SITE_PAGES, found)
    if needle is None:
        assert found == []
    else:
        assert any(needle in str(m) for m in found), found


@pytest.mark.parametrize(
    ("link", "good"),
    [(f'<link rel="alternate" href="{PUBLISHED}en/" hreflang="en">', True),
     ('<link rel="alternate" href="en/" hreflang="en">', False),
     (f'<link rel="alternate" href="{PUBLISHED}en/" hreflang="english">', False)],
    ids=["absolute", "relative", "not-a-language"],
)
def test_with_a_site_url_an_alternate_is_absolute_and_in_a_language_of_the_site(tmp_path: Path, link: str,
                                                                               good: bool) -> None:
    ctx = replace(context(None, "es"), mkdocs_yml=published_yml(tmp_path))
    head.check_alternates(parse_html(f"<html><head>{link}</head></html>"), ctx)
    assert (ctx.mismatches == []) is good, ctx.mismatches


@pytest.mark.build
def test_a_published_build_writes_one_sitemap_naming_every_page_absolutely(tmp_path: Path) -> None:
    """With the site_url the publishing workflow sets, the root holds the one sitemap, every address in it is the
    page's real one (the home page's too: not `./`), and the check passes it."""
    (tmp_path / "config").mkdir()
    yml = mkdocs_yml_in(tmp_path / "config")
    yml.write_text(yml.read_text(encoding="utf-8").replace("site_url: !ENV SITE_URL", f"site_url: {PUBLISHED}"),
                   encoding="utf-8")
    build = run_build(make_config(tmp_path, mkdocs_yml=yml))
    sitemaps = sorted(p.relative_to(build.site).as_posix() for name in head.SITEMAPS for p in build.site.rglob(name))
    assert sitemaps == ["sitemap.xml", "sitemap.xml.gz"]
    text = (build.site / "sitemap.xml").read_text(encoding="utf-8")
    named = {address for match in re.findall(r"<loc>([^<]*)</loc>|href=\"([^\"]*)\"", text) for address in match
             if address}
    # The notebook pages too (the i18n plugin's own sitemap skipped them: its #198), and no date
    assert named == {PUBLISHED + site_pages.page_path(page, language) for page in (*PAGES, "notebook")
                     for language in LANGUAGES}
    assert "lastmod" not in text
    assert gzip.decompress((build.site / "sitemap.xml.gz").read_bytes()).decode("utf-8") == text
    assert (build.site / "sitemap.xml.gz").read_bytes()[4:8] == bytes(4)  # gzip's "no time", not the build's day
