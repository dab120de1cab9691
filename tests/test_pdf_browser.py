"""Each page's link to the PDF, followed in Chromium: a reader gets the PDF of the page's language."""

from __future__ import annotations

import io

import pypdf
import pytest

from generator.core.translations import translations

from .browser_support import LANGUAGES, Tab

pytestmark = pytest.mark.browser

LINKED = ("", "maps/", "explorer/", "family/", "experiment/", "reproducibility/")  # the pages written from templates


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", LINKED)
def test_the_pdf_link_downloads_the_pages_language(tab: Tab, language: str, page: str) -> None:
    tab.open(language, page)
    strings = translations(language)
    link = tab.page.locator("article .pdf-link a")
    assert link.count() == 1 and link.inner_text().strip() == strings["pdf_link"]
    with tab.page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename == strings["pdf_file"]
    path = download.path()
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    assert reader.trailer["/Root"]["/Lang"] == language
    assert len(reader.pages) > 30
    assert reader.metadata is not None and "ResNet" in str(reader.metadata.title)
