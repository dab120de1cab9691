"""The reproducibility page's recipe: the exact command that repeats this run, and what it names.

The command is printed from facts and read back by the check, which derives
it on its own from the weights it loaded and the image it read. The last
test runs the command the built page prints, in a fresh copy of the
project, and compares facts.json byte for byte.
"""

from __future__ import annotations

import html
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from generator.core.config import LANGUAGES, Config, sample_image
from generator.core.software import PACKAGES, PYTHON
from generator.report import pages
from generator.report.derive import weights_facts
from generator.report.figure_names import figure_files
from generator.report.provenance import describe_provenance, installed_software
from generator.verify import gate as check
from generator.verify.recipe import recipe_values
from generator.verify.visible import Element, parse_html

from .conftest import ROOT, Build, Derived
from .site_edits import edit, markdown_html
from .test_check import span

SHA = "ab" * 32


def facts_with(built: Build, *, kind: str = "random", seed: int = 0, file_name: str | None = None,
               origin: str = "sample", image_name: str = "grace_hopper.jpg", execute_notebook: bool = True):
    """The shared build's facts with other weights, seed, image or notebook option: what such a run would record."""
    given = built.facts.provenance
    weights = replace(given.weights, kind=kind, trained=kind == "imagenet", file_name=file_name, seed=seed,
                      sha256=SHA if kind != "random" else None, size_bytes=1 if kind != "random" else None)
    image = replace(given.image, origin=origin, name=image_name)
    provenance = describe_provenance(weights, image, seed, execute_notebook)
    claims = {**built.facts.claims, "weights_used": kind, "image_origin": origin,
              "weights_trained": kind, "weights_banner": kind}
    return replace(built.facts, provenance=provenance, claims=claims)


def page_root(facts, language: str = "en") -> Element:
    """The page a run with these facts would show: its template rendered, then its Markdown as the site renders it."""
    env = pages.environment(language, facts, figure_files(facts, language))
    text = env.get_template("reproducibility.md.j2").render()
    return parse_html(markdown_html(text.split("\n---\n", 1)[1]))


def built_root(built: Build, language: str) -> Element:
    """The shared build's reproducibility page as the built site shows it: its content, the theme's frame left out."""
    root = parse_html(built.page("reproducibility", language).read_text(encoding="utf-8")).find("article")
    assert root is not None, language
    return root


def printed(root: Element, key: str) -> str:
    spans = [e for e in root.walk() if e.attrs.get("data-fact") == key]
    assert len(spans) == 1, f"{key} printed {len(spans)} times"
    assert any(a.tag == "pre" for a in spans[0].ancestors()), f"{key} is not in a code block"
    return spans[0].text()


# ---------------------------------------------------------------- what the command names


def test_the_shared_builds_page_prints_random_weights_with_their_seed(built: Build) -> None:
    for language in LANGUAGES:
        root = built_root(built, language)
        assert printed(root, "provenance.recipe.build") == "python -m generator build --weights random --seed 0"
        assert printed(root, "provenance.recipe.check") == "python -m generator check --weights random --seed 0"


def test_random_weights_are_named_with_their_seed_whatever_was_asked_for(built: Build) -> None:
    """--weights auto that found no ImageNet weights used random ones: the recipe says so, never 'auto'."""
    from generator.inputs.weights import WeightsProvenance

    fallen_back = WeightsProvenance(choice="auto", source="random", path=None, sha256=None, size_bytes=None, seed=7,
                                    trained=False, fallback_reason="no ImageNet weights in the cache, offline")
    weights = weights_facts(fallen_back)
    recipe = describe_provenance(weights, built.facts.provenance.image, 7, True).recipe
    assert recipe.build == "python -m generator build --weights random --seed 7"
    assert "auto" not in recipe.build + recipe.check


def test_a_users_weights_file_and_image_are_named_and_their_sha256_given(built: Build) -> None:
    facts = facts_with(built, kind="file", file_name="my weights.pth", origin="file", image_name="cat.png")
    for language in LANGUAGES:
        root = page_root(facts, language)
        command = printed(root, "provenance.recipe.build")
        assert command == "python -m generator build --image cat.png --weights 'my weights.pth'"
        assert shlex.split(command)[-1] == "my weights.pth"
        said = {e.attrs["data-claim"]: e.text() for e in root.walk() if e.has_class("claim")}
        assert "my weights.pth" in said["weights_used"] and SHA in said["weights_used"]
        assert "cat.png" in said["image_origin"] and built.facts.provenance.image.sha256 in said["image_origin"]


def test_imagenet_weights_are_asked_for_as_imagenet_and_only_a_seed_they_record_is_named(built: Build) -> None:
    assert facts_with(built, kind="imagenet").provenance.recipe.build == "python -m generator build --weights imagenet"
    assert (facts_with(built, kind="imagenet", seed=3).provenance.recipe.build
            == "python -m generator build --weights imagenet --seed 3")


def test_a_run_without_notebook_execution_says_so_in_both_commands(built: Build) -> None:
    recipe = facts_with(built, execute_notebook=False).provenance.recipe
    assert recipe.build.endswith(" --no-notebook-execution") and recipe.check.endswith(" --no-notebook-execution")


@pytest.mark.parametrize(("weights", "kind", "image"), [
    ("random", "random", None), ("auto", "random", None), ("auto", "imagenet", None), ("imagenet", "imagenet", None),
    ("/somewhere/my weights.pth", "file", None), ("random", "random", "/photos/cat.png"),
])
@pytest.mark.parametrize("seed", [0, 5])
@pytest.mark.parametrize("execute", [True, False])
def test_the_check_derives_the_same_recipe_on_its_own(built: Build, tmp_path: Path, weights: str, kind: str,
                                                      image: str | None, seed: int, execute: bool) -> None:
    config = replace(built.config, weights=weights, seed=seed, execute_notebook=execute,
                     image=Path(image) if image else sample_image())
    name = "cat.png" if image else "grace_hopper.jpg"
    file_name = "my weights.pth" if kind == "file" else None
    facts = facts_with(built, kind=kind, seed=seed, file_name=file_name, origin="file" if image else "sample",
                       image_name=name, execute_notebook=execute)
    wanted = recipe_values(config, kind, file_name, name)
    assert wanted["provenance.recipe.build"] == facts.provenance.recipe.build
    assert wanted["provenance.recipe.check"] == facts.provenance.recipe.check
    assert wanted["provenance.image.origin"] == facts.provenance.image.origin


def test_the_software_is_python_and_every_named_package_with_its_installed_version(built: Build) -> None:
    from importlib import metadata

    assert [s.name for s in built.facts.provenance.software] == [PYTHON, *PACKAGES]
    assert {"mkdocs", "mkdocs-material", "torch", "torchvision"} <= set(PACKAGES)
    assert built.facts.provenance.software == installed_software()
    wanted = recipe_values(built.config, "random", None, "grace_hopper.jpg")
    for index, item in enumerate(built.facts.provenance.software[1:], start=1):
        assert wanted[f"provenance.software.{index}.version"] == item.version == metadata.version(item.name)


# ---------------------------------------------------------------- the check reads it back


@pytest.mark.parametrize(("old", "new"), [
    ("python -m generator build --weights random --seed 0", "python -m generator build --weights auto --seed 0"),
    ("python -m generator build --weights random --seed 0", "python -m generator build --weights random"),
])
def test_a_page_printing_another_command_for_this_run_fails_the_check(editable_build: Build, derived: Derived,
                                                                     old: str, new: str) -> None:
    for language in LANGUAGES:
        edit(editable_build.page("reproducibility", language), span("provenance.recipe.build", "plain") + old,
             span("provenance.recipe.build", "plain") + new)
    found = [str(m) for m in check.check_page_pair(editable_build.docs, editable_build.site, "reproducibility",
                                                   editable_build.config, derived.expected)]
    for language in LANGUAGES:
        assert any(f"(reproducibility.{language})" in line and "provenance.recipe.build" in line and new in line
                   for line in found), found


def test_a_facts_json_recording_auto_for_this_run_fails_the_check(editable_build: Build, derived: Derived) -> None:
    from generator.verify.artifacts import check_facts_file

    path = editable_build.docs / "facts.json"
    path.write_text(path.read_text(encoding="utf-8").replace("--weights random", "--weights auto"), encoding="utf-8")
    found: list = []
    check_facts_file(editable_build.docs, derived.expected, found)
    assert {m.place for m in found} == {"provenance.recipe.build", "provenance.recipe.check"}, found


def test_notebooks_executed_against_a_recipe_without_execution_fail_the_check(editable_build: Build,
                                                                             derived: Derived) -> None:
    config = replace(editable_build.config, execute_notebook=False)
    given = check.CheckInputs(expected=derived.expected, reference=derived.reference, reproduction=derived.reproduction)
    found = [str(m) for m in check.check_docs(editable_build.docs, editable_build.site, config, given)]
    for language in LANGUAGES:
        assert any(line.startswith(f"notebook.{language}.ipynb: outputs: expected no outputs") for line in found), found


def test_the_reproducibility_tables_have_headers_in_the_pages_language(built: Build) -> None:
    """Issue 29: no empty header row; each table's headers come from the translations."""
    for language in LANGUAGES:
        root = built_root(built, language)
        tables = [e for e in root.walk() if e.tag == "table"]
        assert len(tables) == 3
        strings = pages.translations(language)
        allowed = {strings[key] for key in ("repro_item", "repro_value", "repro_software", "repro_version")}
        for table in tables:
            headers = [e.text().strip() for e in table.walk() if e.tag == "th"]
            assert headers and all(headers) and set(headers) <= allowed, headers


# ---------------------------------------------------------------- the command, run


def built_command(site: Path, language: str, key: str) -> str:
    """The command as the built site shows it to a reader (its HTML), not as facts hold it."""
    folder = site / ("" if language == LANGUAGES[0] else language) / "reproducibility"
    root = parse_html((folder / "index.html").read_text(encoding="utf-8"))
    return printed(root, key)


def fresh_copy(tmp_path: Path) -> Path:
    """The project's files as a checkout would have them (tracked, or new and not ignored): no docs/ output, no
    site, no cache."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True).stdout
    copy = tmp_path / "project"
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.mark.build
@pytest.mark.process
def test_the_printed_command_run_in_a_fresh_copy_gives_the_same_facts_byte_for_byte(built: Build,
                                                                                   tmp_path: Path) -> None:
    commands = {key: {built_command(built.site, language, key) for language in LANGUAGES}
                for key in ("provenance.recipe.build", "provenance.recipe.check")}
    assert all(len(shown) == 1 for shown in commands.values()), commands  # both languages print the same
    copy = fresh_copy(tmp_path)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "fresh-cache")  # nothing computed by an earlier build
    for key in ("provenance.recipe.build", "provenance.recipe.check"):
        words = shlex.split(html.unescape(commands[key].pop()))
        assert words[:3] == ["python", "-m", "generator"], words
        started = time.monotonic()
        result = subprocess.run([sys.executable, *words[1:]], cwd=copy, env=env, capture_output=True, text=True,
                                timeout=600)
        print(f"{shlex.join(words)}: {time.monotonic() - started:.1f} s")
        assert result.returncode == 0, result.stderr[-3000:]
    assert (copy / "docs" / "facts.json").read_bytes() == (built.docs / "facts.json").read_bytes()
