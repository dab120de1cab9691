"""Run the stages in order and publish only a site that passed every gate.

Pages, figures and the site are built in staging folders beside their
targets (see publish). The check and the strict MkDocs build run there, and
only then is the new generation published, site and docs together, through
a journal that the next run finishes if a kill cuts it short.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import atomic, check, figures, notebook, pages, publish
from .config import LANGUAGES, Config
from .facts import Facts
from .mkdocs_build import build_site
from .ownership import STATIC
from .pipeline import compute_facts


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


def build(config: Config, progress: Callable[[str], None]) -> Facts:
    """Everything in staging first; site and docs are published together only after every gate passed."""
    with publish.staging(config) as stage:
        facts = compute(config, stage.docs / figures.FIGURE_FOLDER, progress)
        atomic.copy_tree(config.docs / STATIC, stage.docs / STATIC)
        generated = write_docs(config, facts, stage.docs, progress)
        progress("check: re-deriving every number and reading the pages")
        check.verify(stage.docs, config, reproduce_outputs=False)
        progress("site: mkdocs build --strict")
        build_site(config.mkdocs_yml, stage.docs, stage.site, stage.root)
        progress("publish: site and docs, one generation")
        generation = publish.publish(stage, config, generated)
    progress(f"done: {config.out} (generation {generation[:12]})")
    return facts
