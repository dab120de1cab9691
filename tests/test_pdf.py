"""The PDFs: made from the built pages, deterministic, and held by the check to those pages.

Each mutation makes a PDF that differs from the pages in one way a reader
could be misled by, and the check (verify/pdf.py, which never imports the
code that wrote the PDF) must name the PDF's page; the PDF the build made
passes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pypdf
import pytest

from generator.core.errors import MismatchError, SiteBuildError
from generator.core.translations import translations
from generator.pdf import compose, render
from generator.pipeline import site
from generator.verify import gate
from generator.verify.mismatch import Mismatch
from generator.verify.pdf import check_pdf, compare_pages
from generator.verify.pdf_text import Printed, printed_text
from generator.verify.visible import parse_html

from .conftest import Build, RecordingProgress, edited_package, make_config, run_build
from .site_edits import edit

NAMES = {language: translations(language)["pdf_file"] for language in ("es", "en")}


def mismatches(site: Path, language: str) -> list[Mismatch]:
    found: list[Mismatch] = []
    check_pdf(site, language, found)
    return found


def site_copy(built: Build, tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(built.site, copy)
    return copy


def remade_from(site: Path, language: str, page: Path, old: str, new: str) -> None:
    """The language's PDF made again from the page edited, then the page put back as the build made it."""
    original = page.read_bytes()
    edit(page, old, new)
    (site / NAMES[language]).write_bytes(render.render(site, language))
    page.write_bytes(original)


@pytest.mark.build
@pytest.mark.parametrize("language", ["es", "en"])
def test_the_built_pdf_is_the_pages_printed(built: Build, language: str) -> None:
    assert mismatches(built.site, language) == []
    path = built.site / NAMES[language]
    reader = pypdf.PdfReader(path)
    assert reader.trailer["/Root"]["/Lang"] == language
    assert len(reader.pages) > 30 and path.stat().st_size <= render.SIZE_LIMIT
    titles = [entry.title for entry in reader.outline if not isinstance(entry, list)]
    assert len(titles) == 8  # the seven pages and the sources: one top bookmark each
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Conv2d-1" in text and "Conv2d-150" not in text  # ResNet18's summary prints; the family's folded tables
    assert text.count("resnet152") >= 1  # ... stay on the site, their summaries in the PDF


@pytest.mark.build
def test_the_same_site_gives_the_same_bytes(built: Build) -> None:
    assert render.render(built.site, "en") == (built.site / NAMES["en"]).read_bytes()


@pytest.mark.build
def test_a_number_changed_in_the_pdf_is_found_on_its_page(built: Build, tmp_path: Path) -> None:
    site = site_copy(built, tmp_path)
    page = built.page("reproducibility", "es").relative_to(built.site)
    remade_from(site, "es", site / page, 'data-style="plain">0</span></td>', 'data-style="plain">7</span></td>')
    found = mismatches(site, "es")
    assert found and all(m.page.startswith(f"{NAMES['es']}, page ") for m in found), found
    assert any("7" in m.found for m in found), found


@pytest.mark.build
def test_a_section_missing_from_the_pdf_is_found(built: Build, tmp_path: Path) -> None:
    site = site_copy(built, tmp_path)
    page = site / built.page("maps", "en").relative_to(built.site)
    text = page.read_text(encoding="utf-8")
    start, end = text.index('<h2 id="stages"'), text.index('<h2 id="predictions"')
    remade_from(site, "en", page, text[start:end], "")
    found = mismatches(site, "en")
    assert any(m.place.startswith("bookmark") for m in found), found
    assert any(m.place == "text" and m.page.startswith(f"{NAMES['en']}, page ") for m in found), found


@pytest.mark.build
def test_a_swapped_figure_is_found_on_its_page(built: Build, tmp_path: Path) -> None:
    site = site_copy(built, tmp_path)
    figures = site / "en" / "img"
    original = (figures / "comparison.svg").read_bytes()
    shutil.copy2(site / "img" / "comparison.svg", figures / "comparison.svg")  # the Spanish figure in its place
    (site / NAMES["en"]).write_bytes(render.render(site, "en"))
    (figures / "comparison.svg").write_bytes(original)
    found = mismatches(site, "en")
    assert [m.place for m in found] == ["text"] and found[0].page.startswith(f"{NAMES['en']}, page "), found


@pytest.mark.build
def test_the_other_languages_pdf_is_refused(built: Build, tmp_path: Path) -> None:
    site = site_copy(built, tmp_path)
    shutil.copy2(site / NAMES["en"], site / NAMES["es"])
    found = mismatches(site, "es")
    assert any(m.place == "metadata" and "'en'" in m.found for m in found), found
    assert any(m.place == "text" for m in found), found


@pytest.mark.build
def test_a_pdf_from_another_run_is_refused(built: Build, tmp_path: Path) -> None:
    other = run_build(make_config(tmp_path / "other", seed=1))
    site = site_copy(built, tmp_path)
    shutil.copy2(other.site / NAMES["es"], site / NAMES["es"])
    found = mismatches(site, "es")
    assert any(m.place in ("cover", "text") for m in found), found


@pytest.mark.build
def test_the_gate_fails_on_a_pdf_mismatch_with_exit_5(built: Build, tmp_path: Path) -> None:
    site = site_copy(built, tmp_path)
    (site / NAMES["en"]).unlink()
    shutil.copy2(built.site / NAMES["es"], site / "copy.pdf")
    found = gate.check_pdfs(site, side_by_side=False)
    assert {(m.page, m.place) for m in found} == {("copy.pdf", "PDF"), (NAMES["en"], "PDF")}
    assert MismatchError("x").exit_code == 5


@pytest.mark.build
def test_a_page_without_its_link_to_the_pdf_is_found(built: Build, tmp_path: Path) -> None:
    site = site_copy(built, tmp_path)
    edit(site / built.page("family", "en").relative_to(built.site), NAMES["en"], NAMES["es"])
    found = mismatches(site, "en")
    assert [(m.place, m.page) for m in found] == [("link to the PDF", "en/family/ (family.en)")], found


@pytest.mark.build
def test_a_pdf_that_cannot_be_made_is_a_site_build_error(built: Build, tmp_path: Path) -> None:
    site = site_copy(built, tmp_path)
    (site / "en" / "maps" / "index.html").unlink()
    with pytest.raises(SiteBuildError, match="PDF: cannot read the built page en/maps/") as raised:
        render.render(site, "en")
    assert raised.value.exit_code == 6 and "\n" not in raised.value.printable()


def printed(html: str, language: str = "es") -> Printed:
    article = parse_html(f"<article>{html}</article>").find("article")
    assert article is not None
    return printed_text(article.children, Path("/nonexistent"), "https://site.invalid/", language)


def test_what_prints_is_what_the_pdf_shows() -> None:
    """Markers and quotation marks the print stylesheet draws are written in; what does not print is left out."""
    shown = printed('<h2 id="x">Título<a class="headerlink" href="#x">¶</a></h2><ul><li>uno</li></ul>'
                    '<ol start="3"><li>tres</li><li>cuatro <q>dicho <q>así</q></q></li></ol><select><option>opción'
                    '</option></select><p hidden>oculto</p><p class="pdf-link"><a href="x.pdf">PDF</a></p>'
                    '<script>código</script>')
    assert shown.text == "Título•uno3.tres4.cuatro«dicho“así”»"
    assert printed("<q>said</q>", "en").text == "“said”"


def test_a_closed_details_prints_its_summary_only() -> None:
    """A folded section stays folded on paper (the family's full tables: 28 pages); an open one prints whole."""
    assert printed("<details><summary>resnet50: tabla completa</summary><table><tr><td>Conv2d-1</td></tr>"
                   "</table>texto</details><p>después</p>").text == "resnet50:tablacompletadespués"
    assert printed("<details open><summary>abierta</summary><p>dentro</p></details>").text == "abiertadentro"


def test_a_tables_header_and_rows_are_placed_in_the_text() -> None:
    shown = printed("<p>antes</p><table><thead><tr><th>Capa</th></tr></thead><tbody><tr><td>conv1</td></tr>"
                    "<tr><td>bn1</td></tr></tbody></table><p>después</p>")
    assert shown.text == "antesCapaconv1bn1después"
    assert shown.headers == [(len("antesCapa"), len("antesCapaconv1bn1"), "Capa")]


@pytest.mark.parametrize(
    ("pages", "wrong"),
    [
        (["antesCapaconv1", "Capabn1despuésFIGURA"], None),  # a table split, its header repeated; the figure after
        (["antesCapaconv1bn1", "despuésFIGURA"], None),
        (["antesCapaconv1", "bn1despuésFIGURA"], None),  # a header is repeated only where the layout repeats it
        (["antesCapaconv1", "Capabn2despuésFIGURA"], 2),  # a number changed
        (["antesCapaconv1bn1", "después"], 2),  # a figure missing
        (["antesCapaconv1bn1", "despuésOTRA"], 2),  # another figure
        (["antesCapa", "conv1bn1FIGURAdespués"], 2),  # a figure drawn before text it follows
        (["antesCapaconv1bn1"], 1),  # the rest missing
    ],
)
def test_each_page_is_the_next_text_then_whole_figures(pages: list[str], wrong: int | None) -> None:
    expected = Printed("antesCapaconv1bn1después", ["FIGURA"], [(9, 17, "Capa")])
    found: list[tuple[object, ...]] = []
    compare_pages(expected, pages, 1, lambda *args: found.append(args))
    assert [args[0] for args in found] == ([] if wrong is None else [wrong]), found


@pytest.mark.build
def test_a_build_whose_pdf_fails_exits_6_and_keeps_the_published_site(editable_build: Build, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    package = edited_package(tmp_path, monkeypatch)
    template = package / "templates" / "en" / "maps.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nA sentence the PDF never gets.\n", encoding="utf-8")
    monkeypatch.setattr(compose, "CHAPTERS", (*compose.CHAPTERS, "missing"))  # the forks inherit it
    published = {path: path.read_bytes() for path in editable_build.site.rglob("*") if path.is_file()}
    with pytest.raises(SiteBuildError) as raised:
        site.build(editable_build.config, RecordingProgress())
    assert raised.value.exit_code == 6 and "PDF: cannot read the built page missing/" in raised.value.printable()
    assert {path: path.read_bytes() for path in editable_build.site.rglob("*") if path.is_file()} == published


@pytest.mark.build
def test_a_site_built_with_no_pdf_has_none_links_none_and_says_so(built: Build, tmp_path: Path) -> None:
    """--no-pdf: no PDF, no page links one, the recipe says --no-pdf and no sentence speaks of a PDF; a PDF or a
    link planted in that site is refused, and the same site checked as one with PDFs misses them."""
    bare = run_build(make_config(tmp_path / "bare", make_pdf=False))
    assert not list(bare.site.rglob("*.pdf")) and not bare.facts.provenance.pdf
    assert bare.facts.provenance.recipe.build.endswith(" --no-pdf")
    for language in ("es", "en"):
        assert "pdf-link" not in bare.page("index", language).read_text(encoding="utf-8")
        assert "PDF" not in bare.page("family", language).read_text(encoding="utf-8")
        assert "PDF" in built.page("family", language).read_text(encoding="utf-8")
    assert gate.check_pdfs(bare.site, side_by_side=False, made=False) == []
    missing = gate.check_pdfs(bare.site, side_by_side=False, made=True)
    assert {(m.page, m.place) for m in missing} == {(NAMES["es"], "PDF"), (NAMES["en"], "PDF")}, missing
    shutil.copy2(built.site / NAMES["es"], bare.site / NAMES["es"])
    built_page = built.page("maps", "en")
    shutil.copy2(built_page, bare.site / built_page.relative_to(built.site))
    found = gate.check_pdfs(bare.site, side_by_side=False, made=False)
    assert {(m.page, m.place) for m in found} == {(NAMES["es"], "PDF"), ("en/maps/ (maps.en)", "link to the PDF")}, found
