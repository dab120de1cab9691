"""The gate reads the site a reader gets: the theme around the content, the pages MkDocs adds, the search
index, the notebook's rendering and every file served beside them.

Each test breaks a private copy of the shared build's site where the
Markdown never reached (the theme's title and header, the footer, the table
of contents, the 404 page, the search index, the notebook page, the static
folder) and asserts that the check names the break.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from generator.core.errors import MismatchError
from generator.pipeline import site

from .conftest import Build, Derived, checked_with_every_fault, mkdocs_yml_in
from .site_edits import edit
from .test_check import inputs, mismatches, only  # noqa: F401


@pytest.mark.parametrize(
    ("page", "old", "new", "needles"),
    [
        (("index", "en"), "<title>ResNet 18 report - ResNet18</title>",
         "<title>ResNet 18 report, 34 layers - ResNet18</title>", ("(index.en)", "untagged number '34'")),
        (("maps", "es"), '<span class="md-ellipsis">\n            ResNet18\n          </span>',
         '<span class="md-ellipsis">\n            ResNet18: 21.8 M parámetros\n          </span>',
         ("(maps.es)", "untagged number '21.8'")),
        (("family", "en"), "Made with <a", "Made in 3 days with <a", ("(family.en)", "untagged number '3'")),
    ],
    ids=["title", "header", "footer"],
)
def test_a_number_in_the_theme_around_the_content_is_caught(editable_build: Build, mismatches, page, old, new,
                                                             needles) -> None:
    edit(editable_build.page(*page), old, new)
    only(mismatches(editable_build, page[0]), *needles)


def test_a_table_of_contents_entry_that_is_not_its_heading_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("maps", "en")
    text = page.read_text(encoding="utf-8")
    entry = re.search(r'(<a href="#layer2" class="md-nav__link">\s*<span class="md-ellipsis">\s*)layer2',
                      text)
    assert entry is not None
    page.write_text(text.replace(entry.group(0), entry.group(1) + "layer3", 1), encoding="utf-8")
    only(mismatches(editable_build, "maps"), "(maps.en)", "table of contents, #layer2", "'layer3")


def test_a_number_on_the_404_page_is_caught(editable_build: Build, mismatches) -> None:
    edit(editable_build.site / "404.html", "404: página no encontrada", "404: página no encontrada entre 34 capas")
    only(mismatches(editable_build), "404.html", "untagged number '34'")


def _search_entry_changed(language: str, nth: int, change: Callable[[dict], dict]) -> Callable[[Build], None]:
    """Changes the nth entry of a language's search index that points into a page and holds text."""
    def plant(build: Build) -> None:
        path = build.site / ("en/" if language == "en" else "") / "search" / "search_index.json"
        index = json.loads(path.read_text(encoding="utf-8"))
        number = _search_entries(build, language)[nth]
        index["docs"][number] = change(index["docs"][number])
        path.write_text(json.dumps(index), encoding="utf-8")
    return plant


def _search_entries(build: Build, language: str) -> list[int]:
    path = build.site / ("en/" if language == "en" else "") / "search" / "search_index.json"
    return [n for n, entry in enumerate(json.loads(path.read_text(encoding="utf-8"))["docs"])
            if "#" in entry["location"] and entry["text"]]


SEARCH_CHANGES = [
    ("en", 0, lambda entry: {**entry, "text": entry["text"] + " It has 34 layers."}, "text that is on the page"),
    ("es", 0, lambda entry: {**entry, "title": "Resumen de 34 capas"}, "the words of heading"),
    ("en", 1, lambda entry: {**entry, "location": "elsewhere/"}, "a page of the site"),
]


@pytest.fixture(scope="module")
def search_changes_found(tmp_path_factory, built: Build, derived: Derived) -> list[str]:
    return checked_with_every_fault(tmp_path_factory, built, derived,
                                    [_search_entry_changed(language, nth, change)
                                     for language, nth, change, _ in SEARCH_CHANGES])


@pytest.mark.parametrize(("language", "nth", "change", "needle"), SEARCH_CHANGES, ids=["text", "title", "location"])
def test_a_search_index_entry_that_is_not_on_its_page_is_caught(search_changes_found: list[str], built: Build,
                                                                language, nth, change, needle) -> None:
    number = _search_entries(built, language)[nth]
    prefix = "en/" if language == "en" else ""
    assert any(line.startswith(f"{prefix}search/search_index.json") and f"entry {number + 1}:" in line
               and needle in line for line in search_changes_found), search_changes_found


def test_the_notebook_page_showing_other_code_or_output_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("notebook", "en")
    edit(page, "F(x) has negative values: yes", "F(x) has negative values: no")
    edit(page, "<pre>", "<pre>print(34)\n")
    found = mismatches(editable_build)
    only(found, "notebook page (en)", "code cell 3 (jp-Cell-outputWrapper)", "the cell of notebook.en.ipynb")
    only(found, "notebook page (en)", "code cell 1 (highlight-ipynb)")
    only(found, "(notebook.en)", "untagged number")


def test_a_figure_the_site_serves_other_than_the_checked_one_is_caught(editable_build: Build, mismatches) -> None:
    (editable_build.site / "en" / "img" / "comparison.svg").write_bytes(
        (editable_build.site / "img" / "comparison.svg").read_bytes())
    only(mismatches(editable_build, "index"), "(index.en)", "figure img/comparison.en.svg", "another file")


def test_a_downloadable_notebook_other_than_the_checked_one_is_caught(editable_build: Build, mismatches) -> None:
    copy = editable_build.site / "en" / "notebook" / "notebook.en.ipynb"
    copy.write_text(copy.read_text(encoding="utf-8").replace("seed=0", "seed=1"), encoding="utf-8")
    only(mismatches(editable_build), "en/notebook/notebook.en.ipynb", "download", "another file")


UNREAD_FILES = [
    ("extra/index.html", "a page it does not"),
    ("en/notes.htm", "a page it does not"),
    ("assets/static/legend.svg", "a page it does not"),
    ("assets/static/notes.txt", "a .txt file"),
]


def _written(relative: str) -> Callable[[Build], None]:
    def plant(build: Build) -> None:
        path = build.site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("<p>ResNet18 has 34 layers.</p>", encoding="utf-8")
    return plant


@pytest.fixture(scope="module")
def unread_files_found(tmp_path_factory, built: Build, derived: Derived) -> list[str]:
    return checked_with_every_fault(tmp_path_factory, built, derived, [_written(relative) for relative, _ in UNREAD_FILES])


@pytest.mark.parametrize(("relative", "needle"), UNREAD_FILES)
def test_a_page_or_text_file_the_check_does_not_read_is_caught(unread_files_found: list[str], relative,
                                                              needle) -> None:
    assert any(line.startswith(f"{relative}:") and needle in line for line in unread_files_found), unread_files_found


@pytest.mark.build
def test_a_site_name_with_numbers_stops_the_build(editable_build: Build, tmp_path) -> None:
    """site_name shows in every page's title and header: MkDocs writes it, and the check reads it there."""
    mkdocs_yml = mkdocs_yml_in(tmp_path)
    mkdocs_yml.write_text(mkdocs_yml.read_text(encoding="utf-8").replace(
        "site_name: ResNet18", "site_name: ResNet18, 34 layers, 21.8 M parameters"), encoding="utf-8")
    config = editable_build.config.__class__(**{**editable_build.config.__dict__, "mkdocs_yml": mkdocs_yml})
    with pytest.raises(MismatchError) as caught:
        site.build(config, site.Progress(quiet=True))
    only(caught.value.listing, "(experiment.es)", "untagged number '34'")
    only(caught.value.listing, "(experiment.en)", "untagged number '21.8'")


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("<p>As He et al. put it, “deeper plain nets always lose to residual ones”.</p>", "quotation marks"),
        ("<p>Die Autoren: „tiefe Netze lernen immer besser“.</p>", "quotation marks"),
        ("<p>They wrote ‘shortcuts fix every deep network’ in the paper.</p>", "quotation marks"),
        ('<div class="admonition quote"><p>Residual learning solves depth.</p></div>',
         "<div> (admonition quote): expected a quotation held in data/sources.json"),
        ('<style>h2::after { content: "34 layers, 99.9% top-1" }</style>', "CSS"),
        ('<p style="content: \'34 layers\'">x</p>', "CSS"),
        ('<ol start="34"><li>a layer</li></ol>', "untagged number '34'"),
        ('<p><input value="34 layers"></p>', "untagged number '34'"),
        ('<iframe srcdoc="&lt;p&gt;ResNet18 has 34 layers&lt;/p&gt;"></iframe>', "untagged number '34'"),
        ("<p>ResNet18 has thirty-four layers and twenty-two million parameters.</p>", "in words"),
        ('<p><input value="“deeper nets always win”"></p>', "quotation marks"),
        ('<iframe srcdoc="&lt;p&gt;He et al.: “deeper nets always win”&lt;/p&gt;"></iframe>', "quotation marks"),
        ('<p><a href="//evil.example/resnet">More</a></p>', "link //evil.example/resnet"),
    ],
    ids=["he-et-al", "german-marks", "single-marks", "quote-admonition", "style-content", "style-attribute",
         "ol-start", "input-value", "iframe-srcdoc", "number-words", "quotation-in-a-value", "quotation-in-a-frame",
         "protocol-relative-link"],
)
def test_the_issues_samples_planted_in_a_built_page_fail(editable_build: Build, mismatches, snippet, needle) -> None:
    """Issue 27's samples, each placed in the built English index page as a template or a hand would put it."""
    page = editable_build.page("index", "en")
    edit(page, '<h2 id="conclusion">', f'{snippet}\n<h2 id="conclusion">')
    only(mismatches(editable_build, "index"), "(index.en)", needle)


def test_a_stylesheet_in_the_static_folder_shows_its_text_on_every_page(editable_build: Build, mismatches) -> None:
    sheet = editable_build.site / "assets" / "static" / "report.css"
    sheet.write_text(sheet.read_text(encoding="utf-8") + '\nh1::before { content: "34 layers, 99.9% top-1"; }\n',
                     encoding="utf-8")
    found = mismatches(editable_build)
    for page in ("(index.es)", "(maps.en)", "(family.es)", "404.html"):
        only(found, page, "CSS", "34")


@pytest.mark.parametrize(
    "picture",
    [
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E%3Ctext%3E34 layers%3C/text%3E%3C/svg%3E",
        "data:image/svg+xml;base64,PHN2ZyB4bWxucz0naHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmcnPjx0ZXh0PjM0IGxheWVyczwvdGV4dD48L3N2Zz4=",
    ],
    ids=["percent-encoded", "base64"],
)
def test_a_picture_written_into_a_stylesheet_that_draws_words_is_caught(editable_build: Build, mismatches,
                                                                        picture: str) -> None:
    """An SVG in a data: address draws its text where no text node holds it: the check reads it there."""
    sheet = editable_build.site / "assets" / "static" / "report.css"
    sheet.write_text(sheet.read_text(encoding="utf-8") + f'\nh1::before {{ content: url("{picture}"); }}\n',
                     encoding="utf-8")
    only(mismatches(editable_build, "index"), "(index.en)", "draws text", "34 layers")
