"""Each language reads as one voice: one term per idea, one register, its own words in tables.

The text read here is what a reader sees on the built pages, without the
verified quotations (the original report's own words stay as they were).
"""

from __future__ import annotations

import re

import pytest

from generator.report.pages import PAGES
from generator.verify.visible import Element, parse_html

from .conftest import Build


def article(build: Build, page: str, language: str) -> Element:
    """The page's content as the built site shows it (the theme's navigation and footer around it left out)."""
    root = parse_html(build.page(page, language).read_text(encoding="utf-8")).find("article")
    assert root is not None, (page, language)
    return root


def reader_text(build: Build, page: str, language: str) -> str:
    """Visible text of a page's content, quotations left out."""
    root = article(build, page, language)

    def visit(element: Element) -> str:
        if "data-quote" in element.attrs:
            return " "
        return "".join(child if isinstance(child, str) else visit(child) for child in element.children)

    return " ".join(visit(root).split())


@pytest.fixture(scope="module")
def spanish(built: Build) -> str:
    return " ".join(reader_text(built, page, "es") for page in PAGES)


@pytest.fixture(scope="module")
def english(built: Build) -> str:
    return " ".join(reader_text(built, page, "en") for page in PAGES)


def test_spanish_says_feature_map_one_way_introducing_the_english_term_once(spanish: str) -> None:
    assert len(re.findall(r"feature maps?", spanish, re.I)) == 1
    assert "mapas de características (feature maps)" in spanish
    assert spanish.count("mapa de características") + spanish.count("mapas de características") >= 10


def test_spanish_says_shortcut_one_way(spanish: str) -> None:
    assert "atajo" in spanish
    for other in ("conexión de salto", "conexiones de omisión", "conexión residual", "skip connection", "shortcut"):
        assert other not in spanish.lower(), other


def test_spanish_keeps_one_impersonal_register(spanish: str) -> None:
    for voseo in ("hacelo", "probalo", "descargalo", " vos ", "tu archivo", "tus archivos"):
        assert voseo not in spanish.lower(), voseo


def test_tables_say_yes_and_no_in_the_pages_language(built: Build) -> None:
    for language, words in (("es", ("Sí", "No")), ("en", ("Yes", "No"))):
        cells = [" ".join(cell.text().split()) for cell in article(built, "index", language).walk() if cell.tag == "td"]
        assert words[0] in cells
        assert not {"True", "False"} & set(cells), language


def test_the_report_states_its_corrections_and_keeps_its_illustrations(built: Build, spanish: str, english: str) -> None:
    # The block as the report drew it (quoted from the report), and exactly what it leaves out.
    for language in ("es", "en"):
        assert 'data-quote="report.block_diagram"' in built.page("index", language).read_text(encoding="utf-8")
    assert "omite la BatchNorm que sigue a cada convolución y la ReLU que se aplica después de la suma" in spanish
    assert "leaves out the BatchNorm that follows each convolution and the ReLU applied after the sum" in english
    # The report's softmax example stays, as the report's.
    assert "90 % perro y 5 % gato, como ilustraba el informe" in spanish
    assert "90% dog and 5% cat, as the report illustrated" in english
    # torchvision's GFLOPS are multiply-accumulates, said once in each language.
    assert "con el nombre GFLOPS: ese número cuenta multiplicaciones-acumulaciones" in spanish
    assert "under the name GFLOPS: that number counts multiply-accumulates" in english


def test_the_figures_are_named_as_their_captions_name_them(built: Build) -> None:
    """The report's second figure is two panels, 2a and 2b: the report never calls it figure 2 (other pages number
    their own figures)."""
    spanish, english = reader_text(built, "index", "es"), reader_text(built, "index", "en")
    assert "Figuras 2a y 2b" in spanish and "Figures 2a and 2b" in english
    assert not re.search(r"Figura 2(?![ab])", spanish) and not re.search(r"Figure 2(?![ab])", english)


def test_the_summary_table_format_is_explained_before_it(spanish: str) -> None:
    note = spanish.index("La tabla conserva el formato de torchsummary")
    assert note < spanish.index("Layer (type)")
    assert "la coma separa los miles (9,408 parámetros en la fila de arriba)" in spanish
