"""The PDF of each language, made with WeasyPrint beside the work that follows it.

WeasyPrint (CSS paged media over Pango) fills the table of contents with
the pages its entries start on (``target-counter``), numbers the pages,
makes the bookmark outline from the headings, embeds subset fonts, draws
the SVG figures as vectors and writes the document's title and language.
Headless Chromium prints a page but cannot fill a table of contents with
page numbers without laying the document out twice.

The bytes are deterministic: no date is written (the print document holds
no ``dcterms`` dates) and the file identifier is fixed, so two builds of
the same site give the same PDFs and a no-change rebuild has nothing to
redo. Each language renders in a forked process (runtime/forked.py), so the
languages and the check's reading of the pages share the machine's cores.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..core import atomic
from ..core.config import LANGUAGES
from ..core.errors import SiteBuildError, one_line
from ..core.limits import TREE_FILE_LIMIT
from .compose import ORIGIN, STYLESHEET, document, file_name

SIZE_LIMIT = 10 * 1024**2  # the bound per language, with the default image
IDENTIFIER = b"resnet18-report"  # the PDF's /ID: fixed, so that equal documents are equal bytes
FETCH_LIMIT = TREE_FILE_LIMIT  # the largest file a page may show: the static folder's bound


def render(site: Path, language: str) -> bytes:
    """The language's PDF from the built site; a SiteBuildError in one line if WeasyPrint cannot make it."""
    import weasyprint

    source = document(site, language)
    try:
        page = weasyprint.HTML(string=source, base_url=ORIGIN, url_fetcher=site_fetcher(site))
        data = page.write_pdf(stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))], pdf_identifier=IDENTIFIER,
                              uncompressed_pdf=False)
    except Exception as error:  # WeasyPrint's own errors have no common base
        raise SiteBuildError(f"PDF ({language}): WeasyPrint failed: {one_line(error)}") from error
    if data is None or len(data) > SIZE_LIMIT:
        raise SiteBuildError(f"PDF ({language}): {len(data or b'')} bytes, more than the {SIZE_LIMIT} allowed")
    return data


def site_fetcher(site: Path) -> object:
    """What WeasyPrint may load: a file of the site by its address on the site or a ``data:`` address, nothing
    else (no network, no other file), and a figure it cannot load stops the PDF (a PDF without it would be published otherwise).

    The print document names figures by their address on the site, not by the folder the site is staged in,
    so the PDF's bytes do not depend on where it was built."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SiteFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            if url.startswith("data:"):  # a notebook's output, inside the page: nothing is loaded
                return super().fetch(url, headers)
            path = urlsplit(url).path
            file = site / unquote(path).lstrip("/")
            if not url.startswith(ORIGIN) or ".." in path.split("/") or file.is_symlink() or not file.is_file() \
                    or file.stat().st_size > FETCH_LIMIT:
                raise ValueError(f"not a regular file of the site of at most {FETCH_LIMIT} bytes: {url[:80]}")
            return URLFetcherResponse(url, body=file.read_bytes(),
                                      headers={"Content-Type": mimetypes.guess_type(file.name)[0] or ""})

    return SiteFetcher(fail_on_errors=True)


def write(site: Path, language: str) -> tuple[float, int]:
    """Render and write the language's PDF at the site's root; returns the seconds it took and its size."""
    start = time.monotonic()
    data = render(site, language)
    atomic.write_bytes(site / file_name(language), data)
    return time.monotonic() - start, len(data)


@contextmanager
def rendering(site: Path, progress: Callable[[str], None], wanted: bool = True) -> Iterator[Callable[[], None]]:
    """Every language's PDF in a fork of its own, started now; the block gets a call that waits for them all.
    None when not ``wanted`` (--no-pdf)."""
    from ..runtime import forked

    if not wanted:
        yield lambda: None
        return
    with ExitStack() as stack:
        started = {language: stack.enter_context(forked.started(lambda language=language: write(site, language),
                                                                f"the {language} PDF"))
                   for language in LANGUAGES}
        done: list[bool] = []

        def wait() -> None:
            if not done:
                for language, result in started.items():
                    seconds, size = result()
                    progress(f"pdf: {file_name(language)}, {size:,} bytes, in {seconds:.1f} s")
                done.append(True)

        yield wait
