"""Each page's reference list names exactly the sources it cites (verify/references.py), numbered in its own order.

Every page once listed all five sources, whether it cited them or not. The pages are read as built; then a
private copy is broken (a source listed and never cited, one cited and not listed, a reference link with
another source's number) and the check must name the break.
"""

from __future__ import annotations

import re

import pytest

from generator.core import sources
from generator.core.config import LANGUAGES
from generator.report import pages
from generator.report.figure_names import figure_files

from .conftest import Build
from .site_edits import edit
from .test_check import inputs, mismatches, only  # noqa: F401

CITING_PAGES = ("index", "family", "experiment")


def page_citations(html: str) -> tuple[list[str], set[str]]:
    """The keys a page lists, in order, and the sources it cites, read straight from its HTML."""
    listed = re.findall(r'data-source="([^"]+)"', html)
    numbers, quotes = sources.cited_numbers(), {q.key: q.source for q in sources.all_quotes()}
    glosses = {g.key: g.source for g in sources.all_glosses()}
    cited = set(re.findall(r'data-cites="([^"]+)"', html))
    cited |= {sources.cited_source(key) for key in re.findall(r'data-fact="cited\.([^"]+)"', html) if key in numbers}
    cited |= {quotes[key] for key in re.findall(r'data-quote="([^"]+)"', html)}
    cited |= {glosses[key] for key in re.findall(r'data-gloss="([^"]+)"', html) if glosses[key] is not None}
    return listed, cited


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", [*pages.PAGES, "notebook"])
def test_a_page_lists_exactly_the_sources_it_cites(built: Build, page: str, language: str) -> None:
    html = built.page(page, language).read_text(encoding="utf-8")
    listed, cited = page_citations(html)
    assert len(listed) == len(set(listed)) and set(listed) == cited, (listed, cited)
    assert bool(listed) == (page in CITING_PAGES)
    for key, number in re.findall(r'data-cites="([^"]+)" href="#[^"]*">\[([0-9]+)\]', html):
        assert int(number) == listed.index(key) + 1, key


def test_no_page_lists_every_source_any_more(built: Build) -> None:
    every = len(sources.all_sources())
    assert all(len(page_citations(built.page(page, "en").read_text(encoding="utf-8"))[0]) < every
               for page in CITING_PAGES)


UNCITED = ('<li><span class="source" data-source="medium">' + sources.all_sources()[1].citation + "</span></li>")


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("</ol>", UNCITED + "</ol>", "listed, never cited"),
        (re.compile(r'<li><span class="source" data-source="krizhevsky2012">.*?</li>'), "", "unlisted"),
        ('data-cites="he2016" href="#sources">[3]', 'data-cites="he2016" href="#sources">[2]', "reference to 'he2016'"),
    ],
    ids=["listed-not-cited", "cited-not-listed", "wrong-number"],
)
def test_a_list_that_is_not_the_pages_citations_is_caught(editable_build: Build, mismatches, old, new,
                                                          needle: str) -> None:
    path = editable_build.page("index", "en")
    if isinstance(old, re.Pattern):
        text = path.read_text(encoding="utf-8")
        assert old.search(text)
        path.write_text(old.sub(new, text, count=1), encoding="utf-8")
    else:
        edit(path, old, new)
    only(mismatches(editable_build, "index"), "(index.en)", needle)


def test_the_list_numbers_sources_in_the_order_the_page_first_cites_them(built: Build) -> None:
    env = pages.environment("en", built.facts, figure_files(built.facts, "en"))
    text = env.from_string("{{ source_ref('he2016') }} {{ cite('alexnet_year') }} {{ source_ref('he2016') }}\n\n"
                           "{{ sources_list() }}").render()
    assert text.count('data-cites="he2016" href="#sources">[1]') == 2
    assert re.findall(r'^([0-9]+)\. <span class="source" data-source="([^"]+)"', text, re.MULTILINE) == [
        ("1", "he2016"), ("2", "krizhevsky2012")]


def test_a_citation_after_the_list_is_an_error(built: Build) -> None:
    env = pages.environment("en", built.facts, figure_files(built.facts, "en"))
    with pytest.raises(ValueError, match="cited after the page's reference list"):
        env.from_string("{{ sources_list() }} {{ source_ref('he2016') }}").render()
