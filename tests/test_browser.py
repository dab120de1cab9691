"""The built site in a real browser: Debian's Chromium driven by Playwright.

The shared build (``built``) is served over HTTP under a sub-path, the way
GitHub Pages serves a project site (https://OWNER.github.io/REPO/), so a link
that only works at a domain's root fails here too. Every request to another
host counts as an error: the site must be self-contained.

Set CHROMIUM to use another Chromium binary (default /usr/bin/chromium).
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import jupyter_core.paths
import material
import mkdocs_jupyter
import pytest
import yaml
from markdown.extensions.toc import TocExtension
from mkdocs.utils.yaml import get_yaml_loader
from playwright.sync_api import BrowserContext, expect

from generator.verify.page_language import other_language

from .browser_support import (
    ARTIFACTS,
    LANGUAGES,
    PAGES,
    PHONE_WIDTH,
    PREFIX,
    ROOT,
    Tab,
    open_tab,
    page_params,
    path_of,
)
from .conftest import Build

pytestmark = pytest.mark.browser

MATERIAL_TEMPLATES = Path(material.__file__).parent / "templates"
# Keys of Material's language files that hold settings, not words a reader sees.
MATERIAL_SETTINGS = re.compile(r"language|direction|search\.config\..+")
UI_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
ANYTHING = "\x00"  # stands for a template expression inside a fragment of template text
STATEMENT = "\x01"  # stands for a template statement, which prints nothing of its own


# -- the theme's UI strings, per language ---------------------------------------------------------------------


@functools.cache
def material_language(language: str) -> Any:
    """Material's partials/language.html for a language: its `t(key)` is what Material's templates print."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(MATERIAL_TEMPLATES))
    return env.get_template("partials/language.html", None, {"config": {"theme": {"language": language}}}).module


def material_text(language: str, key: str) -> str:
    """One of Material's UI strings in a language (English where its file lacks the key, as Material does)."""
    return str(material_language(language).t(key))


def material_pattern(text: str) -> str:
    """Material writes counts as '#' ('# matching documents')."""
    return re.escape(text).replace(re.escape("#"), r"\d+")


def material_strings(language: str) -> set[str]:
    """Patterns of every UI string in Material's language files, as Material shows it in this language."""
    english = (MATERIAL_TEMPLATES / "partials" / "languages" / "en.html").read_text(encoding="utf-8")
    keys = re.findall(r'^\s*"([\w.]+)":', english, re.MULTILINE)
    return {material_pattern(material_text(language, key)) for key in keys if not MATERIAL_SETTINGS.fullmatch(key)}


def template_strings(source: str) -> set[str]:
    """Patterns of the words a template or HTML snippet prints by itself: text between tags and UI attributes.

    A Jinja expression inside such a fragment may print anything; statements and comments print nothing."""
    source = re.sub(r"\{#.*?#\}|<(script|style)\b.*?</\1>", "", source, flags=re.DOTALL)
    source = re.sub(r"\{\{.*?\}\}", ANYTHING, source, flags=re.DOTALL)
    source = re.sub(r"\{%.*?%\}", STATEMENT, source, flags=re.DOTALL)
    tags = re.findall(r"<[^>]*>", source)
    attributes = re.findall(rf'\b(?:{"|".join(UI_ATTRIBUTES)})="([^"]*)"', "".join(tags).replace(STATEMENT, " "))
    texts = re.split(rf"<[^>]*>|{STATEMENT}", source)
    fragments = (" ".join(html.unescape(fragment).split()) for fragment in [*attributes, *texts])
    return {re.escape(fragment).replace(ANYTHING, ".*?") for fragment in fragments
            if re.search(r"[^\W\d_]", fragment.replace(ANYTHING, ""))}


def english_only_strings() -> set[str]:
    """Patterns of UI strings that the theme and the notebook tools print in English whatever the language."""
    lab = next(Path(folder) / "lab" for folder in jupyter_core.paths.jupyter_path("nbconvert", "templates")
               if (Path(folder) / "lab").is_dir())
    material_templates = (path for path in MATERIAL_TEMPLATES.rglob("*.html")
                          if path.relative_to(MATERIAL_TEMPLATES).parts[:2] != ("partials", "languages")
                          and path.relative_to(MATERIAL_TEMPLATES).parts[0] != ".icons")
    templates = [*material_templates, *lab.glob("*.j2"),
                 Path(mkdocs_jupyter.__file__).parent / "templates" / "mkdocs_html" / "notebook.html.j2"]
    strings = {re.escape(TocExtension().getConfig("permalink_title"))}
    for path in templates:
        strings |= template_strings(path.read_text(encoding="utf-8"))
    return strings


def configured_strings(language: str) -> set[str]:
    """Patterns of the UI strings mkdocs.yml gives a language: its footer line and its `extra` words."""
    mkdocs_yml = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=get_yaml_loader())
    i18n = next(plugin["i18n"] for plugin in mkdocs_yml["plugins"] if isinstance(plugin, dict) and "i18n" in plugin)
    settings = next(entry for entry in i18n["languages"] if entry["locale"] == language)
    extra = [value for value in settings.get("extra", {}).values() if isinstance(value, str)]
    return set().union(*(template_strings(word) for word in [settings.get("copyright", ""), *extra]))


@functools.cache
def foreign_ui_strings() -> dict[str, list[re.Pattern[str]]]:
    """Per language, the UI strings that belong only to the other languages: none may appear on its pages."""
    own = {language: material_strings(language) | configured_strings(language) for language in LANGUAGES}
    own["en"] |= english_only_strings()
    return {language: [re.compile(source)
                       for source in sorted(set().union(*(own[other] for other in LANGUAGES if other != language))
                                            - own[language])]
            for language in LANGUAGES}


# Every piece of text a reader can meet on the page, hidden or not, except code: text nodes, UI attributes and
# the strings Material's scripts will show (its __config translations).
UI_TEXTS_JS = """attributes => {
    const texts = [];
    const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode())
        if (!node.parentElement.closest('script, style, code, pre, kbd, samp')) texts.push(node.textContent);
    for (const element of document.querySelectorAll(attributes.map(name => `[${name}]`).join(',')))
        for (const name of attributes) if (element.hasAttribute(name)) texts.push(element.getAttribute(name));
    const config = document.getElementById('__config');
    if (config) texts.push(...Object.values(JSON.parse(config.textContent).translations));
    return texts.map(text => text.replace(/\\s+/g, ' ').trim()).filter(Boolean);
}"""


def foreign_texts(texts: Iterable[str], language: str) -> list[str]:
    """The texts that are UI strings of another language than the page's."""
    return sorted({text for text in texts for pattern in foreign_ui_strings()[language] if pattern.fullmatch(text)})


def search(tab: Tab, query: str) -> None:
    """Type a query into Material's search field, as a reader does."""
    toggle = tab.page.locator('.md-header label.md-header__button[for="__search"]:visible')
    if toggle.count():  # narrow screens hide the search field behind a button
        toggle.first.click()
    field_ = tab.page.locator(".md-search__input")
    field_.click()
    field_.press_sequentially(query, delay=20)  # Material searches on key events, not on `fill`


def search_meta(language: str, *keys: str) -> re.Pattern[str]:
    """What Material's search says above its results, for any of the given messages, in a language."""
    return re.compile("^(?:" + "|".join(material_pattern(material_text(language, key)) for key in keys) + ")$")


# -- one visit per page, as a reader makes it -----------------------------------------------------------------


@dataclass
class Visit:
    """What a reader met on one page: its images, its texts before and after a search, what the searches found,
    where the language switcher led, and every error the page reported meanwhile."""

    path: str
    lang: str
    images: list[dict[str, Any]]
    texts: list[str]
    results_meta: str
    result_hrefs: list[str]
    result_statuses: dict[str, int]
    foreign_meta: str
    foreign_results: int
    switched_path: str
    switched_lang: str
    switchers: int
    is_site_page: bool
    errors: list[str] = field(default_factory=list)


def foreign_title(built: Build, language: str) -> str:
    """The other language's title of a page (its reproducibility page's h1), as its HTML has it."""
    other = next(other for other in LANGUAGES if other != language)
    html_text = (built.site / LANGUAGES[other] / "reproducibility" / "index.html").read_text(encoding="utf-8")
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html_text, re.DOTALL)
    assert heading, "no h1 on the other language's reproducibility page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).split())


def make_visit(tab: Tab, built: Build, language: str, page: str) -> Visit:
    """Load the page with its images, read its texts, search twice, then switch language: one load for it all."""
    tab.open(language, page)
    path, lang = tab.path(), tab.lang()
    is_site_page = tab.page.locator(".md-content").count() == 1
    images = tab.load_images()
    tab.page.wait_for_load_state("networkidle")
    texts: list[str] = tab.page.evaluate(UI_TEXTS_JS, list(UI_ATTRIBUTES))
    search(tab, "ResNet18")
    meta = tab.page.locator(".md-search-result__meta")
    expect(meta).to_have_text(search_meta(language, "search.result.one", "search.result.other"))
    tab.page.locator(".md-search-result__item").first.wait_for()
    texts += tab.page.evaluate(UI_TEXTS_JS, list(UI_ATTRIBUTES))
    results_meta = meta.inner_text()
    hrefs: list[str] = tab.page.locator(".md-search-result__item a").evaluate_all("links => links.map(a => a.href)")
    statuses = {path_: tab.page.request.get(tab.site_url + path_[len(PREFIX):]).status
                for path_ in sorted({urlsplit(href).path for href in hrefs}) if path_.startswith(PREFIX)}
    tab.page.locator(".md-search__input").fill("")
    search(tab, foreign_title(built, language))
    expect(meta).to_have_text(search_meta(language, "search.result.none"))
    foreign_meta, foreign_results = meta.inner_text(), tab.page.locator(".md-search-result__item").count()
    tab.page.keyboard.press("Escape")
    other = "en" if language == "es" else "es"
    switcher = tab.page.locator(".md-header .md-select")
    link = switcher.locator(f'a.md-select__link[hreflang="{other}"]')
    switchers = link.count()
    if switchers == 1:
        switcher.hover()  # the list opens on hover
        link.click()
        tab.page.wait_for_load_state("load")
    return Visit(path=path, lang=lang, images=images, texts=texts, results_meta=results_meta, result_hrefs=hrefs,
                 result_statuses=statuses, foreign_meta=foreign_meta, foreign_results=foreign_results,
                 switched_path=tab.path(), switched_lang=tab.lang(), switchers=switchers, is_site_page=is_site_page,
                 errors=tab.errors)


@pytest.fixture(scope="module")
def visits(desktop: BrowserContext, site_url: str, built: Build) -> Iterator[Callable[[str, str], Visit]]:
    """Each page visited once per worker, whichever test asks first; the tests below each read one part of it."""
    made: dict[tuple[str, str], Visit] = {}

    def visit(language: str, page: str) -> Visit:
        if (language, page) not in made:
            tab = open_tab(desktop, site_url)
            try:
                made[language, page] = make_visit(tab, built, language, page)
            finally:
                tab.page.close()
        return made[language, page]

    yield visit


# -- tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_page_loads_in_its_language(tab: Tab, language: str) -> None:
    tab.open(language, "")
    assert tab.path() == path_of(language, "")
    assert tab.lang() == language
    assert "ResNet" in tab.page.title()
    assert "ResNet" in tab.page.locator("article h1").first.inner_text()


@pytest.mark.parametrize(("language", "page"), page_params())
def test_language_switcher_keeps_the_page(visits, language: str, page: str) -> None:
    other = "en" if language == "es" else "es"
    visit = visits(language, page)
    assert visit.lang == language
    assert visit.switchers == 1, "no language switcher"
    assert visit.switched_path == path_of(other, page)
    assert visit.switched_lang == other


@pytest.mark.parametrize(("language", "page"), page_params())
def test_every_image_loads_and_has_alt_text(visits, language: str, page: str) -> None:
    images = visits(language, page).images
    # the report, the maps and the notebook's outputs all have figures; the explorer and the own-image page draw
    # on labelled canvases
    if page not in ("reproducibility/", "explorer/", "own-image/"):
        assert images, "no images on the page"
    broken = [image["src"] for image in images if not image["width"]]
    assert not broken, f"images that did not load: {broken}"
    unlabelled = [image["src"] for image in images if not image["alt"]]
    assert not unlabelled, f"images without alt text: {unlabelled}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_family_page_shows_every_model_and_both_figures(tab: Tab, built: Build, language: str) -> None:
    tab.open(language, "family/")
    images = tab.load_images()
    sources = sorted(urlsplit(image["src"]).path.rsplit("/", 1)[-1] for image in images if image["width"])
    assert sources == ["degradation.svg", "family-accuracy.svg"]  # i18n publishes each language's own under one name
    first_cells = tab.page.locator("article table").first.locator("tbody tr td:first-child").all_inner_texts()
    assert [cell.strip() for cell in first_cells] == [model.name for model in built.facts.family.models]
    tab.open(language, "")
    link = tab.page.locator('article a[href*="family/#degrada"]')
    assert link.count() == 1, "no link from the report's degradation section to the evidence"
    link.click()
    tab.page.wait_for_load_state("load")
    assert tab.path() == path_of(language, "family/")
    assert tab.errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_family_tables_are_collapsed_and_open_on_click(tab: Tab, built: Build, language: str) -> None:
    tab.open(language, "family/")
    sections = tab.page.locator("article details")
    summaries = built.facts.family.summaries
    assert sections.count() == len(summaries)
    for i, summary in enumerate(summaries):
        section, table = sections.nth(i), sections.nth(i).locator("table")
        assert section.get_attribute("open") is None, f"{summary.name}'s table is not collapsed"
        expect(section.locator("summary")).to_contain_text(summary.name)
        expect(table).to_be_hidden()
        section.locator("summary").click()
        expect(table).to_be_visible()
        layers = [cell.strip() for cell in table.locator("tbody tr td:first-child").all_inner_texts()]
        assert layers[:len(summary.rows)] == [f"{row.layer_type}-{row.index}" for row in summary.rows], summary.name
        assert layers[len(summary.rows)] == "Total params"
    images = tab.load_images()
    assert len(images) == 2 and all(image["width"] for image in images), images
    assert tab.errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_summary_table_lists_every_layer(tab: Tab, built: Build, language: str) -> None:
    tab.open(language, "")
    tables = tab.page.locator("article table").filter(
        has=tab.page.locator("thead tr:first-child th:first-child", has_text=re.compile(r"^\s*Layer \(type\)\s*$")))
    assert tables.count() == 1
    rows: list[list[str]] = tables.first.locator("tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.innerText.trim()))")
    layers = [row[0] for row in rows if re.fullmatch(r"[A-Za-z0-9]+-\d+", row[0])]
    assert len(layers) == len(built.facts.summary) == 68
    assert layers[0] == "Conv2d-1"
    assert layers[-1] == "Linear-68"
    assert layers == [f"{row.layer_type}-{row.index}" for row in built.facts.summary]
    totals = [row for row in rows if row[0] == "Total params"]
    assert len(totals) == 1
    assert f"{built.facts.totals.params:,}" in totals[0][1:], totals[0]


def test_foreign_ui_strings_include_the_known_offenders() -> None:
    """The lists are derived from the installed packages: make sure the derivation finds what it must."""
    english = {"Permanent link", "Copy to Clipboard", "Copied!", "Made with", "404 - Not found", "In [1]:",
               "Out[2]:", "Type to start searching", "No matching documents", "3 matching documents",
               "Back to top", "Select language", "Copy to clipboard"}
    spanish = {"Enlace permanente", "Búsqueda", "Teclee para comenzar búsqueda", "3 documentos encontrados",
               "Volver al principio", "Seleccionar idioma", "Copiar al portapapeles", "Hecho con"}
    for language, strings in (("es", english), ("en", spanish)):
        missed = {text for text in strings if not foreign_texts([text], language)}
        assert not missed, f"not looked for on {language} pages: {sorted(missed)}"
    shared = {"Material for MkDocs", "ResNet18", "Español", "English", "Director"}
    assert not foreign_texts(shared, "es") and not foreign_texts(shared, "en")


@pytest.mark.parametrize(("language", "page"), [*page_params(), pytest.param("es", "404.html", id="es-404"),
                                               pytest.param("en", "404.html", id="en-404")])
def test_theme_speaks_the_pages_language(tab: Tab, visits, language: str, page: str) -> None:
    """No UI string of another language: chrome, tooltips, labels, the notebook's copy buttons, search messages."""
    if page == "404.html":  # the 404 page links its scripts from the site_url, unset in tests: no search there
        tab.open(language, page)
        texts: list[str] = tab.page.evaluate(UI_TEXTS_JS, list(UI_ATTRIBUTES))
    else:  # the texts before and after a search
        texts = visits(language, page).texts
    assert texts
    foreign = foreign_texts(texts, language)
    assert not foreign, f"UI strings of another language on a {language} page: {foreign}"


# What a reader sees of a page, line by line as the browser lays it out (innerText), without code and without
# what is marked as another language (verify/page_language.py says which elements may be).
STATEMENTS_JS = """language => {
    const hidden = document.createElement('style');
    hidden.textContent = `script, style, code, kbd, samp, .clipboard-copy-txt, pre:not(.jp-Cell-outputWrapper pre),
        [lang]:not([lang|="${language}"]) { display: none !important; }`;
    document.head.append(hidden);
    const lines = document.body.innerText.split('\\n');
    const shown = [...document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')]
        .filter(element => element.checkVisibility() || element.tagName === 'IMG')
        .filter(element => !element.closest(`[lang]:not([lang|="${language}"])`))
        .flatMap(element => ['title', 'aria-label', 'placeholder', 'alt'].map(name => element.getAttribute(name)));
    hidden.remove();
    return [...lines, ...shown].filter(Boolean).map(text => text.replace(/\\s+/g, ' ').trim()).filter(Boolean);
}"""


@pytest.mark.parametrize(("language", "page"), page_params())
def test_every_statement_a_reader_sees_is_in_the_pages_language(tab: Tab, language: str, page: str) -> None:
    """The issue's rule, in the browser: every line of the laid-out page and every label, in the page's
    language; another language only inside an element marked with ``lang`` (which the check allows on a
    verified quotation, a source's reference and the theme's name only)."""
    tab.open(language, page)
    lines: list[str] = tab.page.evaluate(STATEMENTS_JS, language)
    assert len(lines) > 20, lines
    foreign = [line for line in lines if other_language(line, language) is not None]
    assert not foreign, f"statements in another language on the {language} page {page or 'index'}: {foreign}"


def test_each_language_has_its_own_search_index(built: Build) -> None:
    """One index per language, in its folder, holding every section of that language's pages and nothing else."""
    indexes = sorted(path.relative_to(built.site).as_posix() for path in built.site.rglob("search_index.json"))
    assert indexes == sorted(f"{folder}search/search_index.json" for folder in LANGUAGES.values())
    for language, folder in LANGUAGES.items():
        index = json.loads((built.site / folder / "search" / "search_index.json").read_text(encoding="utf-8"))
        assert index["config"]["lang"] == [language]
        locations = {doc["location"] for doc in index["docs"]}
        assert {location.split("#")[0] for location in locations} == set(PAGES)
        sections = [f"{page}#{heading}" for page in PAGES for heading in re.findall(
            r'<h[2-6] id="([^"]+)"', (built.site / folder / page / "index.html").read_text(encoding="utf-8"))]
        assert sections, f"no sections found on the {language} pages"
        missing = [section for section in sections if section not in locations]
        assert not missing, f"sections missing from the {language} index: {missing}"


def test_the_family_tables_stay_out_of_search(built: Build) -> None:
    """Thousands of torchsummary rows would bury every search result; the prose around them stays searchable."""
    for folder in LANGUAGES.values():
        index = json.loads((built.site / folder / "search" / "search_index.json").read_text(encoding="utf-8"))
        family = " ".join(doc["text"] for doc in index["docs"] if doc["location"].startswith("family/"))
        row = built.facts.family.summaries[-1].rows[-1]
        name = f"{row.layer_type}-{row.index}"
        assert name not in family and "Bottleneck" in family, folder
        assert name in (built.site / folder / "family" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("language", "page"), page_params())
def test_search_lists_only_pages_in_the_readers_language(visits, site_url: str, language: str, page: str) -> None:
    """From any page, a word of both languages finds only this language's pages, each of which opens; the other
    language's title of a page finds nothing; and search says so in the page's language."""
    visit = visits(language, page)
    assert search_meta(language, "search.result.one", "search.result.other").fullmatch(visit.results_meta)
    paths = sorted({urlsplit(href).path for href in visit.result_hrefs})
    assert paths
    outside = [href for href in visit.result_hrefs if not href.startswith(site_url)]
    assert not outside, f"results outside the site: {outside}"
    elsewhere = [path for path in paths if path not in {path_of(language, page_) for page_ in PAGES}]
    assert not elsewhere, f"results on {language} pages that are not {language} pages: {elsewhere}"
    for path in paths:
        assert visit.result_statuses[path] == 200, f"{path}: HTTP {visit.result_statuses[path]}"
    assert search_meta(language, "search.result.none").fullmatch(visit.foreign_meta)
    assert visit.foreign_results == 0


@pytest.mark.parametrize(("language", "page"), page_params())
def test_no_console_errors(visits, language: str, page: str) -> None:
    """Loading, searching and switching language: the page reports no error and asks no other host for anything."""
    visit = visits(language, page)
    assert visit.is_site_page, "not a page of the site"
    assert not visit.errors, "\n".join(visit.errors)


@pytest.mark.parametrize(("language", "page"), page_params())
def test_phone_width_has_no_horizontal_overflow(phone: Tab, language: str, page: str) -> None:
    phone.open(language, page)
    phone.load_images()
    assert phone.page.locator(".md-content").count() == 1, "not a page of the site"
    widths = phone.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[1] == PHONE_WIDTH
    if widths[0] > widths[1]:
        culprits = phone.page.evaluate("""() => {
            const width = window.innerWidth;
            const scrolls = el => { for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
                const style = getComputedStyle(e);
                if (['auto', 'scroll', 'hidden'].includes(style.overflowX)) return true; } return false; };
            return [...document.body.querySelectorAll('*')]
                .filter(el => el.getBoundingClientRect().right > width + 0.5 && !scrolls(el))
                .slice(0, 10)
                .map(el => `${el.tagName.toLowerCase()}.${el.className} right=${el.getBoundingClientRect().right}`);
        }""")
        pytest.fail(f"page is {widths[0]}px wide on a {widths[1]}px screen; overflowing: {culprits}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_report_screenshot(tab: Tab, language: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"report-{language}.png"
    target.unlink(missing_ok=True)
    tab.open(language, "")
    tab.load_images()
    tab.page.evaluate("window.scrollTo(0, 0)")
    tab.page.screenshot(path=str(target), full_page=True)
    assert target.is_file()
    assert target.stat().st_size > 10_000
