"""Each language's notebook prints in its own language, its page shows no other's words, and the check holds
every output to the language's printout."""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from selectolax.lexbor import LexborHTMLParser

from generator.core import python_child
from generator.core import translations as translations_module
from generator.core.config import LANGUAGES
from generator.core.translations import notebook_words
from generator.pipeline import stamp
from generator.report import notebook
from generator.verify.css_text import generated_text, page_stylesheets, site_address
from generator.verify.visible import parse_html

from .conftest import Build, Derived, notebook_files_checked
from .site_edits import edit
from .test_check import inputs, mismatches, only  # noqa: F401

LETTERS = re.compile(r"[^\W\d_]+")


def words(text: str) -> set[str]:
    return {word.lower() for word in LETTERS.findall(text)}


def printed_words(language: str) -> set[str]:
    return words(" ".join(notebook_words(language).values()))


def other(language: str) -> str:
    return next(other for other in LANGUAGES if other != language)


def shown_outputs(build: Build, language: str) -> list[str]:
    """The lines the notebook page shows as its code cells' outputs."""
    tree = LexborHTMLParser(build.page("notebook", language).read_text(encoding="utf-8"))
    return [line.strip() for node in tree.css(".jp-Cell-outputWrapper") for line in node.text().splitlines()
            if line.strip()]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notebook_page_shows_outputs_in_its_language_only(built: Build, language: str) -> None:
    """The Spanish page printed "weights: random", "max |difference|: 0.0", "F(x) has negative values: True"."""
    lines = shown_outputs(built, language)
    shown = words(" ".join(lines))
    foreign = (printed_words(other(language)) - printed_words(language)) | {"true", "false"}
    assert lines and not shown & foreign, (shown & foreign, lines)
    own = notebook_words(language)
    for label in ("weights", "shape", "block", "allclose", "max_difference", "negative"):
        assert any(line.startswith(f"{own[label]}:") for line in lines), (label, lines)
    difference = next(line for line in lines if line.startswith(own["max_difference"]))
    wrong_decimal = r"\d\.\d" if language == "es" else r"\d,\d"  # the decimal comma in Spanish, the point in English
    assert not re.search(wrong_decimal, difference), difference


def test_the_languages_code_cells_differ_only_in_the_words_they_print(built: Build) -> None:
    """The same computation in every language: what one language's outputs say, the other's say too."""

    def without_words(source: str) -> str:
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                node.value = "..."
        return ast.dump(tree)

    cells = {language: notebook.code_cells(built.config, language) for language in LANGUAGES}
    first, *others = LANGUAGES
    for language in others:
        assert cells[language] != cells[first]
        assert [without_words(cell) for cell in cells[language]] == [without_words(cell) for cell in cells[first]]


def test_an_english_output_line_planted_in_the_spanish_notebook_page_is_caught(editable_build: Build,
                                                                              mismatches) -> None:
    es, en = notebook_words("es"), notebook_words("en")
    edit(editable_build.page("notebook", "es"), f"{es['weights']}: {es['source.random']}",
         f"{en['weights']}: {en['source.random']}")
    only(mismatches(editable_build), "notebook page (es)", "code cell 1 (jp-Cell-outputWrapper)",
         "the cell of notebook.es.ipynb")


def test_english_outputs_in_the_spanish_notebook_are_caught(editable_build: Build, derived: Derived) -> None:
    """The Spanish notebook with the English one's outputs: the check wants the Spanish printout (the notebook
    files read as the whole check reads them)."""
    path = {language: editable_build.docs / f"notebook.{language}.ipynb" for language in LANGUAGES}
    cells = {language: json.loads(path[language].read_text(encoding="utf-8"))["cells"] for language in LANGUAGES}
    spanish = json.loads(path["es"].read_text(encoding="utf-8"))
    english_code = [cell for cell in cells["en"] if cell["cell_type"] == "code"]
    for cell, english in zip([cell for cell in spanish["cells"] if cell["cell_type"] == "code"], english_code):
        cell["outputs"] = copy.deepcopy(english["outputs"])
    path["es"].write_text(json.dumps(spanish), encoding="utf-8")
    found = notebook_files_checked(editable_build, derived)
    for number in (1, 2, 3):
        only(found, f"notebook.es.ipynb: code cell {number}, output")
    assert not any(line.startswith("notebook.en.ipynb") for line in found), found


@pytest.mark.process
@pytest.mark.parametrize("language", LANGUAGES)
def test_executing_a_languages_stored_notebook_reproduces_its_outputs(built: Build, language: str) -> None:
    """A reader's fresh kernel running the published notebook gets the outputs it shows."""
    from nbclient import NotebookClient

    stored = nbformat.read(built.docs / f"notebook.{language}.ipynb", as_version=4)
    fresh = copy.deepcopy(stored)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with notebook.input_folder(built.config) as folder:
        client = NotebookClient(fresh, timeout=notebook.TIMEOUT_S, kernel_name=notebook.KERNELSPEC["name"])
        client.execute(cwd=str(folder), env={**python_child.environment(), "OMP_NUM_THREADS": "1"})
    notebook.coalesce_streams(fresh)
    code = {name: [(cell.execution_count, cell.outputs) for cell in nb.cells if cell.cell_type == "code"]
            for name, nb in (("stored", stored), ("fresh", fresh))}
    assert code["fresh"] == code["stored"]


def test_a_change_to_a_word_the_notebook_prints_runs_the_notebook_again(built: Build, tmp_path: Path,
                                                                         monkeypatch) -> None:
    """Its words are written into its code: a build that kept the stored outputs would show the old words."""
    static = built.docs / "assets" / "static"
    before = stamp.input_keys(built.config, static)
    folder = tmp_path / "translations"
    shutil.copytree(translations_module.TRANSLATIONS, folder)
    monkeypatch.setattr(translations_module, "TRANSLATIONS", folder)
    strings = json.loads((folder / "es.json").read_text(encoding="utf-8"))
    (folder / "es.json").write_text(json.dumps({**strings, "notebook_intro": "# Otro cuaderno"}), encoding="utf-8")
    assert stamp.input_keys(built.config, static).compute == before.compute  # prose: the outputs are kept
    for key in ("notebook_out.yes", "number.scientific"):
        (folder / "es.json").write_text(json.dumps({**strings, key: strings[key] + " "}), encoding="utf-8")
        assert stamp.input_keys(built.config, static).compute != before.compute, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notebook_pages_stylesheets_write_no_words(built: Build, language: str) -> None:
    """JupyterLab's stylesheet, inlined in the notebook pages, wrote "No results" and "Browse" in English."""
    page = built.page("notebook", language)
    root = parse_html(page.read_text(encoding="utf-8"))
    folder = site_address(built.config.mkdocs_yml)[0]
    sheets = page_stylesheets(root, page, built.site, folder)
    assert any("jupyter-wrapper" in css for _, css in sheets)
    written = [shown.value for _, css in sheets for shown in generated_text(css) if shown.kind == "text"]
    assert written and not [text for text in written if LETTERS.search(text)], written



def test_an_english_word_put_back_in_the_notebook_pages_stylesheet_is_caught(editable_build: Build,
                                                                              mismatches) -> None:
    edit(editable_build.page("notebook", "es"), 'content:""', 'content:"Browse"')
    only(mismatches(editable_build), "(notebook.es)", "CSS content in <style>", "no words written by a stylesheet",
         "'Browse'")
