"""The build as a whole: deterministic, bilingual, honest about its weights, and never half-published."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from generator.pipeline import site
from generator.core.config import LANGUAGES
from generator.core.errors import MismatchError, SiteBuildError
from generator.publish import generation as publish
from generator.publish.journal import STAGING_PREFIX
from generator.report import pages

from .conftest import (
    ROOT,
    Build,
    edited_package,
    make_config,
    mkdocs_yml_in,
    mkdocs_yml_with_missing_page,
    run_build,
    stalling_mkdocs_hook,
)


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def generated(build: Build) -> dict[str, str]:
    """Pages, figures, notebooks, facts, the ONNX model and its data; not the static assets or the manifest (it
    names its generation)."""
    return {k: v for k, v in tree_digest(build.docs).items() if not k.startswith(("assets/static/", "."))}


@pytest.mark.build
def test_two_builds_give_byte_identical_pages_and_figures(built: Build, tmp_path: Path) -> None:
    again = run_build(make_config(tmp_path))
    first, second = generated(built), generated(again)
    assert any(name.endswith(".png") for name in first) and any(name.endswith(".md") for name in first)
    assert "assets/model/resnet18.onnx" in first and "assets/model/model.json" in first
    assert first == second


def test_both_languages_have_the_same_pages_and_headings(built: Build) -> None:
    by_language = {lang: sorted(p.name.split(".")[0] for p in built.docs.glob(f"*.{lang}.md")) for lang in LANGUAGES}
    assert by_language["es"] == by_language["en"] == sorted(pages.PAGES)
    for page in pages.PAGES:
        levels = {
            lang: re.findall(r"(?m)^(#+) ", (built.docs / f"{page}.{lang}.md").read_text(encoding="utf-8"))
            for lang in LANGUAGES
        }
        assert levels["es"] == levels["en"] and len(levels["es"]) >= 2, page


def test_the_report_mirrors_the_original_sections_in_order(built: Build) -> None:
    text = (built.docs / "index.es.md").read_text(encoding="utf-8")
    sections = ["# Informe de ResNet 18", "## 1. ¿Por qué", "## 2. Introducción", "### ¿Qué ResNet",
                "## Innovaciones clave", "## Arquitectura de ResNet18", "### Bloque inicial", "### Bloques residuales",
                "### Capas finales", "## Esquema", "## Resumen de parámetros", "## Conclusión", "## Fuentes"]
    position = 0
    for heading in sections:
        position = text.index(heading, position) + len(heading)


def test_random_weights_are_flagged_on_every_page_they_change_and_predictions_hidden(built: Build) -> None:
    assert not built.facts.provenance.weights.trained and built.facts.predictions == ()
    for page in built.docs.glob("*.md"):
        flagged = '!!! warning "' in page.read_text(encoding="utf-8")
        assert flagged == (page.name.split(".")[0] not in ("family", "experiment")), page.name
    for html in [built.site / "index.html", built.site / "en" / "maps" / "index.html"]:
        assert "admonition warning" in html.read_text(encoding="utf-8")
    assert not (built.docs / "img" / "top5.en.svg").exists()


def test_the_site_has_both_languages_and_every_image_it_references(built: Build) -> None:
    for html in built.site.rglob("*.html"):
        for src in re.findall(r'<img[^>]* src="([^"]+)"', html.read_text(encoding="utf-8")):
            if not src.startswith(("http", "data:")):
                assert (html.parent / src).resolve().is_file(), f"{html}: {src}"
    assert '<html lang="es"' in (built.site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en"' in (built.site / "en" / "index.html").read_text(encoding="utf-8")
    assert (built.site / "facts.json").is_file()


def test_the_notebook_was_executed_without_errors(built: Build) -> None:
    import nbformat

    from generator.core.translations import notebook_words

    for language in LANGUAGES:
        notebook = nbformat.read(built.docs / f"notebook.{language}.ipynb", as_version=4)
        outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
        assert outputs and not [o for o in outputs if o.output_type == "error"]
        text = "".join(o.get("text", "") for o in outputs)
        words = notebook_words(language)
        assert f"{words['allclose']}: {words['yes']}" in text and f"{words['negative']}: {words['yes']}" in text


@pytest.mark.build
def test_a_failing_check_leaves_the_previous_site_and_docs(editable_build: Build, tmp_path: Path, monkeypatch) -> None:
    """A number typed into a template: the prose-only rebuild writes the pages, and its gate refuses them."""
    before_site, before_docs = tree_digest(editable_build.site), tree_digest(editable_build.docs)
    template = edited_package(tmp_path, monkeypatch) / "templates" / "es" / "index.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nUn número escrito a mano: 42.\n", encoding="utf-8")
    with pytest.raises(MismatchError, match="untagged number '42"):
        site.build(editable_build.config, site.Progress(quiet=True))
    assert tree_digest(editable_build.site) == before_site
    assert tree_digest(editable_build.docs) == before_docs
    assert not list(editable_build.site.parent.glob(".site-build-*")) and not list(editable_build.docs.glob(".site-*"))


@pytest.mark.build
def test_a_failing_mkdocs_build_leaves_the_previous_site(editable_build: Build, tmp_path: Path) -> None:
    before = tree_digest(editable_build.site)
    config = replace(editable_build.config, mkdocs_yml=mkdocs_yml_with_missing_page(tmp_path))  # a prose rebuild
    with pytest.raises(SiteBuildError, match="missing.md"):
        site.build(config, site.Progress(quiet=True))
    assert tree_digest(editable_build.site) == before


@pytest.mark.process
@pytest.mark.parametrize("moment", ["weights:", "figure 5/", "notebook:", "check:", "site: mkdocs"])
def test_kill_9_during_a_build_leaves_the_previous_site_complete(editable_build: Build, tmp_path: Path,
                                                                 moment: str) -> None:
    before_site, before_docs = tree_digest(editable_build.site), tree_digest(editable_build.docs)
    (tmp_path / "config").mkdir()  # mkdocs.yml in a folder of its own, to see that a build leaves nothing beside it
    stall = (stalling_mkdocs_hook(tmp_path),) if moment == "site: mkdocs" else ()  # killed while MkDocs builds
    mkdocs_yml = mkdocs_yml_in(tmp_path / "config", hooks=stall)
    command = [
        sys.executable, "-u", "-m", "generator", "build", "--weights", "random", "--offline", "--no-notebook-execution",
        "--out", str(editable_build.site), "--docs", str(editable_build.docs), "--mkdocs-yml", str(mkdocs_yml),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    seen = []
    assert process.stderr is not None
    for line in process.stderr:
        seen.append(line)
        if moment in line or time.monotonic() > deadline:
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert any(moment in line for line in seen), seen
    assert tree_digest(editable_build.site) == before_site
    assert (editable_build.site / "index.html").is_file() and (editable_build.site / "en" / "index.html").is_file()
    assert os.listdir(mkdocs_yml.parent) == ["mkdocs.yml"]
    publish.preflight(replace(editable_build.config, mkdocs_yml=mkdocs_yml))  # what the next build does first
    assert tree_digest(editable_build.site) == before_site and tree_digest(editable_build.docs) == before_docs
    assert not [p for folder in (editable_build.site.parent, editable_build.docs)
                for p in folder.iterdir() if p.name.startswith(STAGING_PREFIX) or p.suffix == ".tmp"]


@pytest.mark.build
def test_a_later_build_replaces_the_site_and_cleans_abandoned_staging(editable_build: Build) -> None:
    abandoned = [editable_build.site.parent / ".site-build-999999999-x", editable_build.docs / ".site-build-999999999-x"]
    for folder in abandoned:
        (folder / "site").mkdir(parents=True)
    stray = editable_build.docs / ".generated.json.999999999.0badf00d.tmp"
    stray.write_text("half a manifest", encoding="utf-8")
    deleted = editable_build.site / "404.html"
    deleted.unlink()  # a file of the site is gone: a prose rebuild publishes the site again
    site.build(editable_build.config, site.Progress(quiet=True))
    assert deleted.is_file() and (editable_build.site / "index.html").is_file()
    assert not any(folder.exists() for folder in abandoned) and not stray.exists()


@pytest.mark.build
def test_a_failing_notebook_cell_fails_the_build_and_keeps_the_site(editable_build: Build, monkeypatch) -> None:
    from generator.report import notebook

    before = tree_digest(editable_build.site)
    real = notebook.code_cells
    monkeypatch.setattr(notebook, "code_cells",
                        lambda config, language: [*real(config, language)[:-1], "raise ValueError('cell broke')"])
    with pytest.raises(SiteBuildError, match="notebook cell failed: ValueError: cell broke"):
        site.build(replace(editable_build.config, reuse_published=False), site.Progress(quiet=True))
    assert tree_digest(editable_build.site) == before
