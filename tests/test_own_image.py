"""The page "Your own image" as built: in both languages, linked where the issue asks, left out of the PDF."""

from __future__ import annotations

import json

import pytest
from selectolax.lexbor import LexborHTMLParser

from generator.core.config import LANGUAGES
from generator.pdf import compose
from generator.verify import pdf as check_pdf

from .conftest import Build

PAGE = "own-image"


def parsed(build: Build, page: str, language: str) -> LexborHTMLParser:
    return LexborHTMLParser(build.page(page, language).read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", ["index", "maps", "explorer"])
def test_the_report_the_maps_and_the_explorer_link_the_page(built: Build, page: str, language: str) -> None:
    links = [node.attrs.get("href") or "" for node in parsed(built, page, language).css("article a[href]")]
    assert any(link.rstrip("/").endswith(PAGE) for link in links), links


def test_both_languages_have_the_same_controls_and_messages(built: Build) -> None:
    found = {}
    for language in LANGUAGES:
        tree = parsed(built, PAGE, language)
        root = tree.css_first("[data-own-image]")
        assert root is not None and "data-explorer" in root.attrs
        roles = [node.attrs.get("data-role") for node in tree.css("article [data-role]")]
        found[language] = (sorted(json.loads(root.attrs["data-words"])), roles)
    assert found["es"] == found["en"]
    assert {"no_wasm", "undecodable", "too_large"} <= set(found["en"][0])


def test_the_camera_and_the_file_picker_are_offered(built: Build) -> None:
    inputs = parsed(built, PAGE, "en").css("input[type=file]")
    assert [node.attrs.get("accept") for node in inputs] == ["image/*", "image/*"]
    assert [("capture" in node.attrs) for node in inputs] == [False, True]


def test_the_page_is_not_printed_and_both_sides_of_the_pdf_agree() -> None:
    assert PAGE not in compose.CHAPTERS and compose.CHAPTERS == check_pdf.CHAPTERS


def test_the_pdf_holds_no_text_of_the_page(built: Build) -> None:
    import pypdf

    for language in LANGUAGES:
        heading = parsed(built, PAGE, language).css_first("article h1").text().replace("¶", "").strip()
        pdf = built.site / compose.file_name(language)
        text = "".join("".join(page.extract_text().split()) for page in pypdf.PdfReader(pdf).pages)
        assert "".join(heading.split()) not in text
