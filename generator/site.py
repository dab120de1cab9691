"""Run the stages in order and publish only a site that passed every gate.

Pages, figures and the site are built in staging folders beside their
targets (see publish). The check and the strict MkDocs build run there, and
only then is the new generation published, site and docs together, through
a journal that the next run finishes if a kill cuts it short.

Two helper processes run beside the build. The notebook's kernel starts
first and imports torch while the build imports it too; the MkDocs child
starts once that is done (three imports at once on two cores slowed the
build's own by a second or more) and imports MkDocs and its plugins while
the model runs. Once the staged docs are complete, MkDocs builds them while
the check reads them; both must pass before anything is published.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import atomic, mkdocs_build, notebook, publish
from .config import FIGURE_FOLDER, LANGUAGES, Config
from .ownership import STATIC

if TYPE_CHECKING:
    from .facts import Facts


class Progress:
    """Timestamped progress lines on stderr, so a user waiting knows what runs."""

    def __init__(self, quiet: bool = False) -> None:
        self.start = time.monotonic()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.monotonic() - self.start:5.1f}s] {message}", file=sys.stderr, flush=True)


def compute(config: Config, figure_dir: Path, progress: Callable[[str], None],
            weights_resolved: Callable[[], None] = lambda: None) -> Facts:
    """Model, then facts, then figures (written into figure_dir): everything a page shows."""
    from . import figures
    from .pipeline import compute_facts

    facts, capture, conv1_weight = compute_facts(config, progress, weights_resolved)
    figures.render_figures(facts, capture, conv1_weight, figure_dir, progress)
    return facts


def write_docs(config: Config, facts: Facts, docs: Path, run: notebook.Run | None,
               progress: Callable[[str], None]) -> list[str]:
    """Pages, facts.json and notebooks under docs; returns every generated path, figures included."""
    from . import figures, pages

    figure_roles = figures.figure_files(facts)
    written: dict[str, bytes] = {
        name: markdown.encode("utf-8") for name, markdown in pages.render_pages(facts, figure_roles).items()
    }
    written["facts.json"] = facts.to_json().encode("utf-8")
    if run is not None:
        progress("notebook: waiting for the code cells' outputs")
    executed = run.result() if run is not None else None
    for language in LANGUAGES:
        progress(f"notebook: writing notebook.{language}.ipynb")
        written[f"notebook.{language}.ipynb"] = notebook.render_notebook(
            config, language, facts.provenance.weights.kind, executed).encode("utf-8")
    for relative, data in written.items():
        atomic.write_bytes(docs / relative, data)
    return sorted([*written, *(f"{FIGURE_FOLDER}/{name}" for name in figure_roles.values())])


def build(config: Config, progress: Callable[[str], None]) -> Facts:
    """Everything in staging first; site and docs are published together only after every gate passed."""
    with publish.staging(config) as stage, notebook.running(config) as run:
        if run is not None:
            progress("notebook: executing its code cells once, in a kernel beside the build")
        from . import check  # torch and torchvision: imported while the kernel imports them too

        with mkdocs_build.started(config.mkdocs_yml, stage.docs, stage.site, stage.root) as site_build:
            facts = compute(config, stage.docs / FIGURE_FOLDER, progress, run.weights_resolved if run else lambda: None)
            atomic.copy_tree(config.docs / STATIC, stage.docs / STATIC)
            generated = write_docs(config, facts, stage.docs, run, progress)
            site_build.start()
            progress("check: re-deriving every number and reading the pages")
            check.verify(stage.docs, config, reproduce_outputs=False)
            progress("site: mkdocs build --strict")
            site_build.wait()
            progress("publish: site and docs, one generation")
            generation = publish.publish(stage, config, generated)
    progress(f"done: {config.out} (generation {generation[:12]})")
    return facts
