"""Shared fixtures: one real build on random weights, made once per run and reused by every test that only reads it.

Tests that change a build copy it first (``editable_build``), so the shared
one stays good. With several pytest workers (xdist), the first worker that
needs a shared value makes it under a file lock and the others read it back,
the pattern pytest-xdist documents for session fixtures.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import pytest
from filelock import FileLock

from generator.core import lazy_dynamo

lazy_dynamo.install()  # before the imports below load torchvision, as the command line does (core/lazy_dynamo.py)

from generator.pipeline import ort_files, site, stamp
from generator.core.cache import cache_folder
from generator.core.config import MODEL_FOLDER, RUNTIME_FOLDER, Config
from generator.report import pages
from generator.report.compute import reproduce
from generator.report.facts import Facts
from generator.verify import site_pages
from generator.verify.artifacts import Reproduction, check_notebooks, notebook_picture
from generator.verify.expected import derive_expected_and_reference
from generator.verify.explorer_reference import Reference
from generator.verify.gate import CheckInputs, check_docs
from generator.verify.values import Expected

# matplotlib's font manager runs fc-list the first time a process imports it: done here, at collection, so that
# the first test in a worker to draw a figure is not taken for one that starts a process (tests/tiers.py)
import matplotlib.font_manager  # noqa: E402,F401

ROOT = Path(__file__).resolve().parent.parent
# The browser fixtures, for every module that drives Chromium; the tiers' guard, for every test.
pytest_plugins = ["tests.browser_support", "tests.tiers"]
T = TypeVar("T")


@pytest.fixture(autouse=True, scope="session")
def isolated_torch_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test may see (or write) the developer's real hub cache, or the build's cache of the check's values."""
    os.environ["TORCH_HOME"] = str(tmp_path_factory.mktemp("torch-home"))
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    # Copies of the project (test_recipe, test_reuse, test_serve...) take this checkout's onnxruntime-web
    os.environ.setdefault(ort_files.NODE_MODULES, str(ROOT / "node_modules"))


@dataclass(frozen=True)
class Build:
    config: Config
    facts: Facts
    progress: tuple[str, ...] = ()

    @property
    def docs(self) -> Path:
        return self.config.docs

    @property
    def site(self) -> Path:
        return self.config.out

    def page(self, name: str, language: str) -> Path:
        """The built HTML of a page (``index``, ``maps``...) in a language: what the check reads."""
        return site_pages.page_file(self.site, name, language)


def make_config(root: Path, **overrides: object) -> Config:
    """A Config that writes under root, with docs/ seeded with the committed static assets."""
    docs = root / "docs"
    shutil.copytree(ROOT / "docs" / "assets" / "static", docs / "assets" / "static", dirs_exist_ok=True)
    settings = {
        "weights": "random",
        "seed": 0,
        "out": root / "site",
        "docs": docs,
        "mkdocs_yml": ROOT / "mkdocs.yml",
        "allow_download": False,
    }
    settings.update(overrides)
    return Config(**settings)  # type: ignore[arg-type]


def edited_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the generator package that the input digests read, and pages render from, instead of the real one.

    An edit to its templates is then what a prose-only rebuild sees and publishes.
    """
    package = tmp_path / "package"
    shutil.copytree(ROOT / "generator", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(stamp, "PACKAGE", package)
    monkeypatch.setattr(pages, "TEMPLATES", package / "templates")
    return package


def mkdocs_yml_in(folder: Path, *, hooks: tuple[Path, ...] = (), nav: str = "") -> Path:
    """The project's mkdocs.yml written into folder, its hook's path made absolute, with more hooks and nav lines."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = "".join(f"\n  - {hook}" for hook in (ROOT / "generator" / "pipeline/mkdocs_hooks.py", *hooks))
    path = folder / "mkdocs.yml"
    path.write_text(text.replace("\n  - generator/pipeline/mkdocs_hooks.py", listed) + nav, encoding="utf-8")
    return path


def mkdocs_yml_with_missing_page(folder: Path) -> Path:
    """mkdocs.yml whose nav names a page that does not exist: the strict build must fail."""
    return mkdocs_yml_in(folder, nav="  - Missing: missing.md\n")


def stalling_mkdocs_hook(folder: Path) -> Path:
    """A MkDocs hook that never lets the build finish: a test that stops a build while MkDocs builds needs it to."""
    hook = folder / "stall.py"
    hook.write_text("import time\n\n\ndef on_pre_build(config):\n    time.sleep(3600)\n", encoding="utf-8")
    return hook


class RecordingProgress(site.Progress):
    """Quiet progress that keeps every line, so tests can read what a build said it was doing."""

    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.lines: list[str] = []

    def __call__(self, message: str) -> None:
        self.lines.append(message)
        super().__call__(message)


def run_build(config: Config) -> Build:
    progress = RecordingProgress()
    return Build(config=config, facts=site.build(config, progress).facts, progress=tuple(progress.lines))


def shared(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]) -> T:
    """``make(folder)`` once per run, whatever the number of workers; every worker gets the same value.

    The maker's cache entries (the check's values, the family's numbers) are
    copied into each reader's own cache, as if it had made the value itself.
    """
    from .tiers import outside_the_tiers  # the plugin, imported by pytest first: its asserts are rewritten

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    record = root / f"{name}.pickle"
    with FileLock(root / f"{name}.lock"):
        if record.is_file():
            value, cache = pickle.loads(record.read_bytes())
            if cache.is_dir():
                shutil.copytree(cache, cache_folder(), dirs_exist_ok=True)
            return value
        with outside_the_tiers():
            value = make(root / name)
        record.write_bytes(pickle.dumps((value, cache_folder())))
        return value


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, isolated_torch_home: None) -> Build:
    """The default build (random weights, notebook executed): read-only for tests."""
    return shared(tmp_path_factory, "built", lambda folder: run_build(make_config(folder)))


@dataclass(frozen=True)
class Derived:
    """What the check derives from the shared build's inputs, its own way: computed once per run."""

    expected: Expected
    reference: Reference
    reproduction: Reproduction


@pytest.fixture(scope="session")
def derived(tmp_path_factory: pytest.TempPathFactory, built: Build) -> Derived:
    def derive(_folder: Path) -> Derived:
        values, reference = derive_expected_and_reference(built.config)
        return Derived(values, reference, Reproduction(*reproduce(built.config)))

    return shared(tmp_path_factory, "derived", derive)


@pytest.fixture
def editable_build(built: Build, tmp_path: Path) -> Build:
    """A private copy of the shared build that a test may break."""
    return private_copy(built, tmp_path)


def private_copy(built: Build, folder: Path) -> Build:
    """The shared build's docs and site copied into folder.

    The model and onnxruntime-web's files (about 90 MB in docs and again in the site) are hard links, not
    copies: hundreds of tests take a copy, and copies filled the disk. No test writes into them in place; one
    that changes them replaces the file (``replace_file``), which leaves the shared build's untouched.
    """
    shutil.copytree(built.docs, folder / "docs", copy_function=copy_or_link)
    shutil.copytree(built.site, folder / "site", copy_function=copy_or_link)
    return replace(built, config=replace(built.config, docs=folder / "docs", out=folder / "site"))


def whole_check(build: Build, derived: Derived) -> list[str]:
    """The whole check of build, on the shared build's values (which its inputs give), one line per mismatch."""
    return [str(m) for m in check_docs(build.docs, build.site, build.config, CheckInputs(
        expected=derived.expected, reference=derived.reference, reproduction=derived.reproduction))]


def notebook_files_checked(build: Build, derived: Derived) -> list[str]:
    """The notebook files of build read as the whole check reads them (verify/artifacts.py), one line per mismatch."""
    found: list = []
    check_notebooks(build.docs, build.config, derived.expected, found,
                    notebook_picture(derived.expected, lambda: derived.reproduction))
    return [str(m) for m in found]


def checked_with_every_fault(tmp_path_factory: pytest.TempPathFactory, built: Build, derived: Derived,
                             faults: Iterable[Callable[[Build], object]]) -> list[str]:
    """The whole check of one copy of the shared build with every fault planted in it at once.

    For a family of faults in different files (or different keys of one file), each named by its own
    mismatch: one whole check finds them all, where one check per fault read every page again for each
    (2.5 s a check). Each fault's test then asserts its own line; a fault that hid another, or that the
    check missed because of another, fails that test.
    """
    build = private_copy(built, tmp_path_factory.mktemp("faults"))
    for plant in faults:
        plant(build)
    return whole_check(build, derived)


def copy_or_link(source: str, target: str) -> object:
    """copytree's copy: a hard link for the model's and the runtime's large files, a copy for everything else."""
    if f"/{MODEL_FOLDER}/" in source or f"/{RUNTIME_FOLDER}/" in source:
        os.link(source, target)
        return target
    return shutil.copy2(source, target)


def replace_file(path: Path, data: bytes) -> None:
    """A new file at path (never writing through a hard link into the shared build)."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)
