"""The gate: every digit a reader can see is accounted for, and every claim is true for this run.

The values come from ``expected`` (the model side, which never imports the
generator's facts); this module reads what the pages show as a reader meets
it: the site MkDocs built from the docs, each page's HTML parsed as a browser
parses it (verify/visible.py), with the theme's title, header, navigation and
footer around the content, its attributes, the 404 page and the search index
(verify/search_index.py). On every page:

- a tagged value (``data-fact``) must parse, in the page's language and with
  no stray digit or separator, to the re-derived value; a value tied to a
  module, stage, block or class must sit in the same statement (table row,
  heading, list item, paragraph, caption) as that item's name;
- a quotation must be its source's exact words; the references list must be
  the sources' data; a sentence whose truth depends on the weights or on a
  value must be the wording that is true now, and no other wording of it may
  appear anywhere;
- every torchsummary table (the report's, and each family model's in its
  collapsed section) is checked cell by cell, the totals block included;
- any other digit, in any script, must be on a short list of names and
  numbers that are not the model's (section numbers, figure numbers, model
  names), each with its reason.

Beyond the pages: facts.json must hold exactly the re-derived values, every
figure and facts.json must be byte-identical to what these inputs produce,
and the executed notebooks must hold their code and the outputs these
inputs give.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.config import DATA_FOLDER, LANGUAGES, Config
from ..core.errors import MismatchError
from .values import Expected

if TYPE_CHECKING:  # torch and numpy: imported only by a check that reads the data
    from .explorer_reference import Reference
from ..core.translations import translations
from .artifacts import (
    Reproduction,
    check_facts_file,
    check_image_file,
    figure_files,
    check_notebook_copies,
    ShownCells,
    check_notebooks,
    check_reproduction,
    notebook_picture,
    page_text,
)
from . import head, site_pages
from .context import Context, PageReading
from .figure_text import FigureWords, run_words
from .reading import PageResult, read_languages
from .css_text import forget_files
from .mismatch import UNREADABLE, Mismatch
from .page import compare_languages, read_page
from .head import check_sitemaps
from .search_index import check_search_index


@dataclass(frozen=True)
class CheckInputs:
    """What a caller already holds for these inputs; the check derives or reproduces whatever is left None.

    ``reproduce``: re-render the figures and facts.json and compare bytes (a
    build that has just rendered them from the same inputs skips it).
    ``explorer_data``: decode the explorer's data files and compare them with
    the tensors of the check's own forward pass, ``reference`` or a pass of
    its own, and the ONNX model's weights with its model's state dict (a build
    that reuses the published files skips both: their digests matched the
    manifest). A caller checking several folders against
    the same inputs passes the ``expected`` values and ``reproduction`` it
    computed once. ``side_by_side``: read the second language's pages in a
    fork while this process reads the first's (a build does, once both cores
    are free; a test reading one page starts no process). ``files_beside``:
    read the PDFs, the explorer's data and the ONNX model in a fork while
    this process reads the pages (the check command: its experiment re-run
    and its reproduction leave the other core free before the pages are
    read; measured 0.4 s less of about 7). Mismatches come in the same order
    either way.
    """

    expected: Expected | None = None
    reference: Reference | None = None
    reproduction: Reproduction | None = None
    reproduce: bool = True
    explorer_data: bool = True
    side_by_side: bool = False
    pdf_ready: Callable[[], None] = lambda: None  # waits until the PDFs are written (a build renders them meanwhile)
    files_beside: bool = False  # the PDFs, the explorer's data and the model read in a fork while the pages are read


def check_docs(docs: Path, site: Path, config: Config, given: CheckInputs = CheckInputs()) -> list[Mismatch]:
    """Every disagreement between these inputs and the docs folder with the site MkDocs built from it."""
    with ExitStack() as stack:
        stack.enter_context(collector_paused())
        reproduced: Callable[[], Reproduction] | None = None
        if given.reproduction is not None:
            reproduced = lambda: given.reproduction  # noqa: E731
        elif given.reproduce:
            from ..report.compute import reproduction_started

            started = stack.enter_context(reproduction_started(config))
            reproduced = lambda: Reproduction(*started())  # noqa: E731
        expected, reference = given.expected, given.reference
        if expected is None or (given.explorer_data and reference is None):
            from .expected import derive_expected_and_reference

            derived, reference = derive_expected_and_reference(config, draw_picture=reproduced is None)
            expected = expected or derived
        mismatches = model_failures(expected)
        check_facts_file(docs, expected, mismatches)
        figure_names = figure_files(docs)

        def read_files() -> list[Mismatch]:
            given.pdf_ready()
            found = check_pdfs(site, given.side_by_side, config.make_pdf)
            if given.explorer_data and reference is not None:
                from .explorer import compare
                from .onnx_model import compare as compare_model

                found += compare(docs / DATA_FOLDER, reference)
                found += compare_model(site, docs, reference.model)
            return found

        files = read_files
        if given.files_beside:
            from ..runtime import forked

            files = stack.enter_context(forked.started(read_files, "reading the PDFs and the model's files"))
        check_pages(docs, site, config, expected, figure_names, mismatches, notebook_picture(expected, reproduced),
                    given.side_by_side)
        mismatches += files()
        if reproduced is not None:
            check_reproduction(docs, reproduced(), mismatches)
    return mismatches


def check_pdfs(site: Path, side_by_side: bool, made: bool = True) -> list[Mismatch]:
    """Each language's PDF against the site's pages (verify/pdf.py), or none at all for a site built without them
    (``made`` False: --no-pdf); the languages after the first in a fork when side by side."""
    from .pdf import check_pdf

    def languages(which: tuple[str, ...]) -> list[Mismatch]:
        found: list[Mismatch] = []
        for language in which:
            check_pdf(site, language, found)
        return found

    names = {translations(language)["pdf_file"] for language in LANGUAGES} if made else set()
    strays = [Mismatch(path.relative_to(site).as_posix(), "PDF", f"only {', '.join(sorted(names))} at the site's root",
                       "another PDF") for path in sorted(site.rglob("*")) if path.suffix.lower() == ".pdf"
              and path.relative_to(site).as_posix() not in names]
    if not made:
        from .pdf import check_links

        for language in LANGUAGES:
            check_links(site, language, None, strays)
        return strays
    if not side_by_side:
        return strays + languages(LANGUAGES)
    from ..runtime import forked

    with forked.started(lambda: languages(LANGUAGES[1:]), "checking the PDFs") as others:
        return strays + languages(LANGUAGES[:1]) + others()


def model_failures(expected: Expected) -> list[Mismatch]:
    """What the check's own derivation found wrong with the model or torchvision's numbers, before any page."""
    return ([Mismatch("model", f"residual check of {block}", "torch.allclose True", "False")
             for block in expected.residual_failures]
            + [Mismatch("family", disagreement, "torchvision's published numbers", "other numbers")
               for disagreement in expected.family_failures])


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the check runs (0.3 s of a 7 s check command, measured).

    Reading the pages makes hundreds of thousands of small objects, and each
    collection they set off walks the million objects that importing torch
    made, none of them garbage. The pages' trees are freed when it resumes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_pages(docs: Path, site: Path, config: Config, expected: Expected, figure_names: set[str],
                mismatches: list[Mismatch], notebook_picture: Callable[[], str], side_by_side: bool = False) -> None:
    """Every page of the site in both languages (the notebook's and the error page included) and its search
    index; a page may show only figures in ``figure_names``. ``side_by_side``: the languages are read in two
    processes at once (verify/reading.py)."""
    forget_files()
    contexts = PageContexts(expected, figure_names, config)
    pages = sorted({p.name.split(".")[0] for p in docs.glob("*.md")})
    if "index" not in pages:
        mismatches.append(Mismatch(str(docs), "pages", "index.<language>.md", "none: run `python -m generator build`"))
    # The pages first: the notebooks' check waits for the reproduction's picture, drawn in the check's fork.
    found = read_languages(lambda page, language: read_one(docs, site, page, language, contexts), pages, side_by_side)
    shown_cells = check_notebooks(docs, config, expected, mismatches, notebook_picture)
    check_notebook_copies(docs, site, mismatches)
    found.update(read_languages(lambda page, language: read_one(docs, site, page, language, contexts, shown_cells),
                                ["notebook"], side_by_side))
    pages.append("notebook")
    readings = {page: compare_pair(found[page], mismatches) for page in pages}
    error_pages = {site_pages.not_found_file(site, language) for language in LANGUAGES}
    for language in LANGUAGES:
        check_error_page(site, language, contexts, mismatches)
        check_search_index(site, language, {page: by_language.get(language) for page, by_language in readings.items()},
                           mismatches)
    check_sitemaps(site, config.mkdocs_yml, {site_pages.page_path(page, language) for page in readings
                                             for language in LANGUAGES}, mismatches)
    read = {site_pages.page_file(site, page, language) for page in readings for language in LANGUAGES}
    figures = {site / copy for by_language in readings.values() for reading in by_language.values()
               for _, copy in reading.image_files if copy.lower().endswith(".svg")}  # their text read with the page
    check_unread_files(site, read | figures | error_pages, mismatches)


def check_error_page(site: Path, language: str, contexts: PageContexts, mismatches: list[Mismatch]) -> None:
    """A language's 404 page, read like every page and held to that language's words for it (verify/head.py)."""
    file = site_pages.not_found_file(site, language)
    name = file.relative_to(site).as_posix()
    text = _readable(file, mismatches, name)
    if text is not None:
        context = contexts(name, language, f"{site_pages.SITE_ORIGIN}/", site, file, mismatches)
        read_page(name, text, context)
        head.check_error_page(text, context)


def check_unread_files(site: Path, read: set[Path], mismatches: list[Mismatch]) -> None:
    """No page in the site that the check did not read, and no file beside the static assets it reads.

    A page written into the site or dropped into docs/assets/static would be served to readers unread, and
    so would a text file (an SVG, a plain-text note) there; an SVG figure is read when a page shows it
    (verify/figure_text.py), and one no page shows is refused like any other unread page; the static folder holds stylesheets, which the
    check reads, and scripts, which it trusts (README says which).
    """
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        if path.suffix.lower() in site_pages.PAGE_SUFFIXES and path not in read:
            mismatches.append(Mismatch(relative, "page", "only pages the check reads (a page of the docs, the 404 "
                                       "page)", "a page it does not"))
        elif relative.startswith(f"{site_pages.STATIC}/") and path.suffix.lower() not in site_pages.STATIC_SUFFIXES:
            mismatches.append(Mismatch(relative, "static file", "stylesheets and scripts only (.css, .js)",
                                       f"a {path.suffix or 'suffixless'} file"))


@dataclass(frozen=True)
class PageContexts:
    """What every page is checked against; called with a page's name, language, address, files and the list its
    mismatches go to, a Context."""

    expected: Expected
    figure_names: set[str]
    config: Config

    @functools.cached_property
    def figure_words(self) -> FigureWords:
        """What the run's SVG figures may say, worked out once for every page that shows one."""
        return run_words(self.expected)

    def __call__(self, name: str, language: str, url: str, site: Path, file: Path, mismatches: list[Mismatch],
                 page: str = "") -> Context:
        return Context(self.expected, language, translations(language), self.figure_names, self.config.mkdocs_yml,
                       mismatches, name, url, site, file, page_key=page)


def check_page_pair(docs: Path, site: Path, page: str, config: Config, expected: Expected) -> list[Mismatch]:
    """One page (``index``, ``maps``...) in every language, read exactly as the whole check reads each page.

    What a change to one page can break is found here; the files beside the pages (facts.json, figures,
    notebooks, the explorer's data, the search index) are the whole check's to compare.
    """
    mismatches: list[Mismatch] = []
    figure_names = figure_files(docs)
    forget_files()
    contexts = PageContexts(expected, figure_names, config)
    compare_pair({language: read_one(docs, site, page, language, contexts) for language in LANGUAGES}, mismatches)
    return mismatches


def read_one(docs: Path, site: Path, page: str, language: str, contexts: PageContexts,
             shown_cells: ShownCells | None = None) -> PageResult:
    """One page in one language, with the mismatches its reading found (its figures' files included)."""
    mismatches: list[Mismatch] = []
    path = site_pages.page_file(site, page, language)
    name = f"{path.relative_to(site)} ({page}.{language})"
    text = _readable(path, mismatches, name)
    if text is None:
        return PageResult(name, None, mismatches)
    context = contexts(name, language, site_pages.page_url(page, language), site, path, mismatches, page)
    accounted = (lambda article: shown_cells(language, article, mismatches)) if shown_cells and page == "notebook" \
        else None
    reading = read_page(name, text, context, accounted)
    for source, copy in dict.fromkeys(reading.image_files):
        check_image_file(name, docs, source, mismatches, site, copy, contexts.figure_words)
    return PageResult(name, reading, mismatches)


def compare_pair(results: dict[str, PageResult], mismatches: list[Mismatch]) -> dict[str, PageReading]:
    """A page's languages, in order, into ``mismatches``, then compared; returns each language's reading."""
    readings = {}
    for language in LANGUAGES:
        mismatches.extend(results[language].mismatches)
        if results[language].reading is not None:
            readings[language] = results[language].reading
    if len(readings) == len(LANGUAGES):
        compare_languages({language: results[language].name for language in LANGUAGES}, readings, mismatches)
    return readings


def _readable(path: Path, mismatches: list[Mismatch], name: str | None = None) -> str | None:
    """A built page's HTML; a mismatch and None if the site lacks it or it is not UTF-8 text."""
    text = page_text(path)
    if text is None:
        mismatches.append(Mismatch(name or path.name, "page", "a built page (UTF-8 HTML)",
                                   "missing: run `python -m generator build`" if not path.exists() else UNREADABLE))
    return text


def verify(docs: Path, site: Path, config: Config, given: CheckInputs = CheckInputs()) -> None:
    """Raise MismatchError listing every disagreement, one per line."""
    mismatches = check_docs(docs, site, config, given)
    if mismatches:
        more = [f"... and {len(mismatches) - 50} more"] if len(mismatches) > 50 else []
        raise MismatchError(f"{len(mismatches)} mismatch(es) between the pages and the model:",
                            [*map(str, mismatches[:50]), *more])
