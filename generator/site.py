"""Run the stages in order and publish only a site that passed every gate.

Pages, figures and the site are built in a fresh staging folder beside the
output. The old site is replaced in one atomic exchange only after the check
and the strict MkDocs build pass, so a failure or kill -9 at any moment
leaves the previous site complete.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from . import atomic, check, figures, notebook, pages
from .config import LANGUAGES, Config
from .errors import SiteBuildError
from .facts import Facts
from .pipeline import compute_facts

STATIC = Path("assets") / "static"
MANIFEST = ".generated.json"
RENAME_EXCHANGE = 2
AT_FDCWD = -100


class Progress:
    """Timestamped progress lines on stderr, so a user waiting knows what runs."""

    def __init__(self, quiet: bool = False) -> None:
        self.start = time.monotonic()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.monotonic() - self.start:5.1f}s] {message}", file=sys.stderr, flush=True)


def compute(config: Config, figure_dir: Path, progress: Callable[[str], None]) -> Facts:
    """Model, then facts, then figures (written into figure_dir): everything a page shows."""
    facts, capture, conv1_weight = compute_facts(config, progress)
    figures.render_figures(facts, capture, conv1_weight, figure_dir, progress)
    return facts


def write_docs(config: Config, facts: Facts, docs: Path, progress: Callable[[str], None]) -> list[str]:
    """Pages, facts.json and notebooks under docs; returns every generated path, figures included."""
    figure_roles = figures.figure_files(facts)
    written: dict[str, bytes] = {
        name: markdown.encode("utf-8") for name, markdown in pages.render_pages(facts, figure_roles).items()
    }
    written["facts.json"] = facts.to_json().encode("utf-8")
    for language in LANGUAGES:
        progress(f"notebook: {'executing' if config.execute_notebook else 'writing'} notebook.{language}.ipynb")
        written[f"notebook.{language}.ipynb"] = notebook.render_notebook(config, language, facts.provenance.weights.kind).encode("utf-8")
    for relative, data in written.items():
        atomic.write_bytes(docs / relative, data)
    return sorted([*written, *(f"{figures.FIGURE_FOLDER}/{name}" for name in figure_roles.values())])


def mkdocs_build(config: Config, docs: Path, site: Path, progress: Callable[[str], None]) -> None:
    """`mkdocs build --strict` of the staged docs, through a config that inherits mkdocs.yml.

    The staged config sits beside mkdocs.yml so that every relative path in it
    (hooks, docs) resolves exactly as it does for `mkdocs serve`.
    """
    mkdocs_yml = config.mkdocs_yml.resolve()
    handle, name = tempfile.mkstemp(prefix=".mkdocs-staged-", suffix=".yml", dir=mkdocs_yml.parent)
    staged_config = Path(name)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(f"INHERIT: {json.dumps(mkdocs_yml.name)}\ndocs_dir: {json.dumps(str(docs))}\nsite_dir: {json.dumps(str(site))}\n")
    progress("site: mkdocs build --strict")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(staged_config)],
            capture_output=True, text=True, check=False,
        )
    finally:
        staged_config.unlink(missing_ok=True)
    if result.returncode != 0:
        problems = [line for line in result.stderr.splitlines() if line.startswith(("WARNING", "ERROR", "Aborted"))]
        detail = "; ".join(problems[:5]) or result.stderr.strip().splitlines()[-1:]
        raise SiteBuildError(f"mkdocs build --strict failed: {detail}")


def exchange(new: Path, old: Path) -> None:
    """Swap two folders atomically (Linux renameat2); elsewhere, two renames."""
    if not old.exists():
        os.replace(new, old)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(AT_FDCWD, os.fsencode(new), AT_FDCWD, os.fsencode(old), RENAME_EXCHANGE) == 0:
            return
    aside = new.with_name(new.name + ".old")
    os.replace(old, aside)
    os.replace(new, old)
    os.replace(aside, new)


def publish_docs(staged: Path, docs: Path, generated: list[str]) -> None:
    """Replace docs/'s generated files one atomic rename each and drop those no longer generated."""
    manifest = docs / MANIFEST
    previous = set(json.loads(manifest.read_text(encoding="utf-8"))) if manifest.is_file() else set()
    for relative in generated:
        target = docs / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged / relative, target)
    for stale in sorted(previous - set(generated)):
        (docs / stale).unlink(missing_ok=True)
    atomic.write_text(manifest, json.dumps(generated, indent=0) + "\n")


def remove_abandoned_staging(parent: Path) -> None:
    """Staging folders left by a killed build: their owner process is gone."""
    for folder in parent.glob(".site-build-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def build(config: Config, progress: Callable[[str], None]) -> Facts:
    if not (config.docs / STATIC).is_dir():
        raise SiteBuildError(f"{config.docs / STATIC} not found: run from the project root or pass --docs")
    out = config.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_staging(out.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".site-build-{os.getpid()}-", dir=out.parent))
    try:
        staged_docs = staging / "docs"
        facts = compute(config, staged_docs / figures.FIGURE_FOLDER, progress)
        shutil.copytree(config.docs / STATIC, staged_docs / STATIC)
        generated = write_docs(config, facts, staged_docs, progress)
        progress("check: re-deriving every number and reading the pages")
        check.verify(staged_docs, config, reproduce_outputs=False)
        mkdocs_build(config, staged_docs, staging / "site", progress)
        exchange(staging / "site", out)
        publish_docs(staged_docs, config.docs, generated)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(f"done: {out}")
    return facts
