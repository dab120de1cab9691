"""A build makes only what changed, and never trusts a published file that is not what it published.

Correctness only: how fast each path is, benchmarks/bench_build.py measures.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from generator.pipeline import reuse, site, stamp
from generator.core import cache
from generator.core.config import Config
from generator.core.errors import UsageError
from generator.core.translations import translations
from generator.publish import generation as publish
from generator.publish.journal import read_manifest
from generator.publish.ownership import MARKER, STATIC

from .conftest import ROOT, Build, RecordingProgress, edited_package


def tree(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name not in skip}


def plan_for(config: Config) -> reuse.Plan:
    return reuse.plan(config, stamp.input_keys(config, config.docs / STATIC), read_manifest(config.docs))


def build(config: Config) -> tuple[site.Outcome, list[str]]:
    progress = RecordingProgress()
    return site.build(config, progress), progress.lines


@pytest.mark.build
def test_nothing_changed_means_nothing_is_made(editable_build: Build) -> None:
    docs, out = tree(editable_build.docs), tree(editable_build.site)
    generation = read_manifest(editable_build.docs).generation
    outcome, lines = build(editable_build.config)
    assert outcome.work == reuse.NOTHING_TO_DO and outcome.generation == generation
    assert outcome.facts == editable_build.facts
    assert lines == [f"up to date: {plan_for(editable_build.config).reason} (generation {generation[:12]})"]
    assert tree(editable_build.docs) == docs and tree(editable_build.site) == out
    pdfs = {translations(language)["pdf_file"] for language in ("es", "en")}
    assert pdfs <= set(read_manifest(editable_build.docs).site_files) and pdfs <= set(out)  # guarded, not remade


@pytest.mark.process
def test_a_build_with_nothing_to_do_imports_no_torch(editable_build: Build) -> None:
    config = editable_build.config
    probe = (
        "import sys\nfrom generator.cli import main\n"
        f"code = main(['build', '--weights', 'random', '--offline', '--quiet', '--out', {str(config.out)!r}, "
        f"'--docs', {str(config.docs)!r}, '--mkdocs-yml', {str(config.mkdocs_yml)!r}])\n"
        "print(code, 'torch' in sys.modules, 'matplotlib' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["0", "False", "False"], result.stderr


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "work"),
    [
        ("seed", reuse.EVERYTHING), ("weights", reuse.EVERYTHING), ("image", reuse.EVERYTHING),
        ("notebook execution", reuse.EVERYTHING), ("downloads", reuse.EVERYTHING),
        ("generator code", reuse.EVERYTHING), ("cited data", reuse.EVERYTHING), ("package version", reuse.EVERYTHING),
        ("template", reuse.PROSE), ("translation", reuse.PROSE),
        ("mkdocs.yml", reuse.PROSE), ("static asset", reuse.PROSE),
    ],
)
def test_every_kind_of_input_change_makes_what_it_needs(editable_build: Build, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, change: str,
                                                        work: str) -> None:
    config = editable_build.config
    assert plan_for(config).work == reuse.NOTHING_TO_DO
    package = edited_package(tmp_path, monkeypatch)
    assert plan_for(config).work == reuse.NOTHING_TO_DO  # the copy alone changes nothing
    if change == "seed":
        config = replace(config, seed=1)
    elif change == "weights":
        config = replace(config, weights="auto")
    elif change == "image":  # its bytes and its name each count: see test_stamp
        image = tmp_path / "photo.png"
        with Image.open(config.image) as opened:
            opened.convert("RGB").rotate(90).save(image)
        config = replace(config, image=image)
    elif change == "notebook execution":
        config = replace(config, execute_notebook=False)
    elif change == "downloads":
        config = replace(config, allow_download=True)
    elif change == "generator code":
        append(package / "report/figures.py", "\n")
    elif change == "cited data":
        append(package / "data" / "sources.json", " ")
    elif change == "package version":
        real = stamp.installed_distributions()
        upgraded = [name.replace("matplotlib-", "matplotlib-99.") if name.startswith("matplotlib-") else name
                    for name in real]
        assert upgraded != real
        monkeypatch.setattr(stamp, "installed_distributions", lambda: upgraded)
    elif change == "template":
        append(package / "templates" / "en" / "index.md.j2", "\n")
    elif change == "translation":
        strings = json.loads((package / "translations" / "es.json").read_text(encoding="utf-8"))
        strings["notebook_intro"] += " "
        (package / "translations" / "es.json").write_text(json.dumps(strings), encoding="utf-8")
    elif change == "mkdocs.yml":
        copy = tmp_path / "config" / "mkdocs.yml"
        copy.parent.mkdir()
        shutil.copy2(config.mkdocs_yml, copy)
        append(copy, "\n# edited\n")
        config = replace(config, mkdocs_yml=copy)
    else:
        append(config.docs / STATIC / "report.css", "\n")
    assert plan_for(config).work == work


@pytest.mark.build
def test_a_site_missing_a_file_is_made_again_from_the_published_facts(editable_build: Build) -> None:
    """The reuse path writes the same pages and site as the full build that published them, byte for byte."""
    docs, out = tree(editable_build.docs, skip=(".generated.json",)), tree(editable_build.site, skip=(MARKER,))
    (editable_build.site / "en" / "index.html").unlink()
    assert plan_for(editable_build.config).work == reuse.PROSE
    outcome, lines = build(editable_build.config)
    assert outcome.work == reuse.PROSE and any("site was changed" in line for line in lines)
    assert tree(editable_build.docs, skip=(".generated.json",)) == docs
    assert tree(editable_build.site, skip=(MARKER,)) == out
    assert plan_for(editable_build.config).work == reuse.NOTHING_TO_DO


@pytest.mark.parametrize("tampering", ["edited", "added", "marker"])
def test_a_site_with_files_it_was_not_published_with_is_not_replaced(editable_build: Build, tampering: str) -> None:
    """An edited or added file may be someone's work: the build refuses (exit 2) and leaves it, see test_targets."""
    page = editable_build.site / "en" / "index.html"
    if tampering == "edited":
        page.write_text(page.read_text(encoding="utf-8").replace("ResNet18", "ResNet19"), encoding="utf-8")
    elif tampering == "added":
        (editable_build.site / "extra.html").write_text("<p>not ours</p>", encoding="utf-8")
    else:  # a marker of another generation than the one docs/ records
        marker = json.loads((editable_build.site / MARKER).read_text(encoding="utf-8"))
        (editable_build.site / MARKER).write_text(json.dumps({**marker, "generation": "0" * 32}), encoding="utf-8")
    out = tree(editable_build.site)
    with pytest.raises(UsageError, match="holds files this tool did not make"):
        publish.preflight(editable_build.config)
    assert tree(editable_build.site) == out


@pytest.mark.parametrize("file", ["facts.json", "img/scheme.svg", "notebook.en.ipynb", "index.es.md"])
def test_a_published_docs_file_that_was_edited_is_never_reused(editable_build: Build, file: str) -> None:
    path = editable_build.docs / file
    original = path.read_bytes()
    path.write_bytes(original.replace(b"1", b"2", 1) if file.endswith((".json", ".md", ".ipynb")) else original + b"x")
    assert path.read_bytes() != original
    assert plan_for(editable_build.config).work == reuse.EVERYTHING


def test_a_deleted_docs_file_is_never_reused(editable_build: Build) -> None:
    (editable_build.docs / "img" / "input.png").unlink()
    assert plan_for(editable_build.config).work == reuse.EVERYTHING


def test_a_prose_change_needs_no_cached_values(editable_build: Build, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate derives its own values: an empty cache costs a prose change nothing, and none is trusted."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    (editable_build.site / "extra.html").write_text("x", encoding="utf-8")
    assert plan_for(editable_build.config).work == reuse.PROSE


def test_a_manifest_without_recorded_inputs_computes_everything(editable_build: Build) -> None:
    manifest = editable_build.docs / ".generated.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    del data["inputs"]
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert plan_for(editable_build.config).work == reuse.EVERYTHING


def test_another_out_folder_is_built_not_assumed(editable_build: Build, tmp_path: Path) -> None:
    config = replace(editable_build.config, out=tmp_path / "elsewhere")
    assert plan_for(config).work == reuse.PROSE


@pytest.mark.build
def test_force_computes_everything(editable_build: Build) -> None:
    outcome, lines = build(replace(editable_build.config, reuse_published=False, execute_notebook=False))
    assert outcome.work == reuse.EVERYTHING and "inputs: --force" in lines


def scratch_project(tmp_path: Path, built: Build) -> tuple[Path, list[str]]:
    """A copy of the project whose templates a test may edit, beside a copy of the shared build."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "generator", project / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(built.docs, project / "docs")
    shutil.copytree(built.site, project / "site")
    command = [sys.executable, "-m", "generator", "build", "--weights", "random", "--offline"]
    return project, command


@pytest.mark.process
def test_a_template_edit_reaches_the_site_and_is_checked(built: Build, tmp_path: Path) -> None:
    project, command = scratch_project(tmp_path, built)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    first = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and "up to date" in first.stderr, first.stderr
    for language, sentence in (("es", "Una frase nueva."), ("en", "A brand new sentence.")):
        append(project / "generator" / "templates" / language / "maps.md.j2", f"\n{sentence}\n")
    edited = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert edited.returncode == 0, edited.stderr
    assert "only templates or translations changed" in edited.stderr
    assert "A brand new sentence." in (project / "site" / "en" / "maps" / "index.html").read_text(encoding="utf-8")
    assert "Una frase nueva." in (project / "site" / "maps" / "index.html").read_text(encoding="utf-8")
    for language, sentence in (("es", "Unafrasenueva."), ("en", "Abrandnewsentence.")):  # the PDFs made again
        reader = pypdf.PdfReader(project / "site" / translations(language)["pdf_file"])
        assert sentence in "".join("".join(page.extract_text().split()) for page in reader.pages)
    check = [sys.executable, "-m", "generator", "check", "--weights", "random", "--offline"]
    checked = subprocess.run(check, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stderr  # the independent check agrees with what the prose path published
    published = tree(project / "site")
    append(project / "generator" / "templates" / "en" / "maps.md.j2", "\nA number typed by hand: 42.\n")
    wrong = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert wrong.returncode == 5 and "untagged number '42" in wrong.stderr, wrong.stderr
    assert tree(project / "site") == published


@pytest.mark.build
def test_a_cache_that_cannot_be_written_costs_time_only(editable_build: Build, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    shelf, key = cache.Shelf("probe-", 1), "0" * 64
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    shelf.write(key, "a value")
    assert shelf.read(key) is None
    outcome, _ = build(replace(editable_build.config, reuse_published=False, execute_notebook=False))  # MkDocs' cache too
    assert outcome.work == reuse.EVERYTHING and not_a_folder.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("entry", ["fifo", "directory", "oversized"])
def test_a_cache_entry_that_is_not_a_small_regular_file_is_computed_again(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         entry: str) -> None:
    """Cache files are read like every input: a pipe there would otherwise hang the build for ever."""
    shelf, key, good = cache.Shelf("probe-", 1), "0" * 64, "a value"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = shelf.path(key)
    path.parent.mkdir(parents=True)
    if entry == "fifo":
        os.mkfifo(path)
    elif entry == "directory":
        path.mkdir()
    else:
        path.write_text(good, encoding="utf-8")
        assert shelf.read(key) == good  # the same entry, under the limit, is read
        monkeypatch.setattr(cache, "CACHE_FILE_LIMIT", len(good) - 1)
    assert shelf.read(key) is None


@pytest.mark.parametrize("value", ["cache", "./cache", ""])
def test_a_relative_or_empty_xdg_cache_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       value: str) -> None:
    """The build writes nothing in the working directory: a relative cache folder would be there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", value)
    assert cache.cache_folder() == tmp_path / "home" / ".cache" / "resnet18-report"


@pytest.mark.process
def test_a_build_with_a_relative_xdg_cache_home_writes_nothing_in_the_working_directory(editable_build: Build,
                                                                                       tmp_path: Path) -> None:
    here = tmp_path / "working-directory"
    here.mkdir()
    config = editable_build.config
    command = [sys.executable, "-m", "generator", "build", "--force", "--quiet", "--weights", "random", "--offline",
               "--no-notebook-execution", "--no-pdf", "--out", str(config.out), "--docs", str(config.docs),
               "--mkdocs-yml", str(config.mkdocs_yml)]
    env = {**os.environ, "XDG_CACHE_HOME": "cache", "HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, cwd=here, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert list(here.iterdir()) == []
    assert (tmp_path / "home" / ".cache" / "resnet18-report").is_dir()
