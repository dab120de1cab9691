"""Run the stages in order and publish only a site that passed every gate.

Pages, figures and the site are built in staging folders beside their
targets (see publish). The check and the strict MkDocs build run there, and
only then is the new generation published, site and docs together, through
a journal that the next run finishes if a kill cuts it short.

A build first compares its inputs with those the published build recorded
(see reuse): when nothing changed it is done at once, without importing
torch; when only prose or the site's settings changed, it writes new pages
from the published facts, figures and notebook outputs, and checks them.

Two helper processes run beside a full build. The MkDocs child starts
first and imports MkDocs and its plugins while the build imports torch; the
notebook's kernel is then forked from the build (runtime/kernel_fork.py),
so it never imports torch at all (a kernel of its own did, on the core the
build's work needed: 1.5 s of a 10 s cold build). A build that will most
likely only rewrite pages also starts the MkDocs child first thing: its
imports were what a prose edit waited for. Once the staged docs are complete, MkDocs builds them while the check
derives its values; the check then reads the built site, as a reader gets
it, and both must pass before anything is published.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import atomic, cache
from ..core.config import DATA_FOLDER, FIGURE_FOLDER, LANGUAGES, MODEL_FOLDER, Config
from ..core.limits import TREE_FILE_LIMIT
from ..core.names import printable_line, printable_name
from ..publish import generation as publish
from ..publish.ownership import STATIC
from ..report.facts import Facts
from ..report.figure_names import every_figure_file
from ..runtime import interrupts
from . import ort_files, reuse, stamp
from .stamp import InputKeys

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from ..verify.values import Expected
    from .mkdocs_child import SiteBuild


class Progress:
    """Timestamped progress lines on stderr, so a user waiting knows what runs; each one line, whatever it names."""

    def __init__(self, quiet: bool = False) -> None:
        self.start = time.monotonic()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        interrupts.deliver_deferred()
        if not self.quiet:
            print(f"[{time.monotonic() - self.start:5.1f}s] {printable_line(message)}", file=sys.stderr, flush=True)


def compute(config: Config, docs: Path, progress: Callable[[str], None],
            weights_resolved: Callable[[], None] = lambda: None) -> tuple[Facts, list[str]]:
    """Model, then facts, the explorer's data, the model as ONNX and figures (written under docs): everything a page
    shows or runs.

    Returns the facts and the data files' paths under docs (the explorer's and the model's).
    """
    from ..report import explorer_data, figures, onnx_export
    from ..report.compute import compute_facts

    facts, capture, model = compute_facts(config, progress, weights_resolved, remember_family=True)
    conv1_weight = model.conv1.weight.detach()
    progress("explorer: writing its data files")
    written = explorer_data.write_files(capture, conv1_weight, docs / DATA_FOLDER)
    progress("model: exporting it as ONNX")
    exported = onnx_export.write_model(model, tuple(capture.input.shape[1:]), docs / MODEL_FOLDER)
    data_files = [*(f"{DATA_FOLDER}/{name}" for name in written), *(f"{MODEL_FOLDER}/{name}" for name in exported)]
    figures.render_figures(facts, capture, conv1_weight, docs / FIGURE_FOLDER, progress)
    return facts, data_files


def write_docs(config: Config, facts: Facts, docs: Path, outputs: Callable[[], dict[str, NotebookNode] | None],
               progress: Callable[[str], None], data_files: list[str]) -> list[str]:
    """Pages, facts.json, notebooks and onnxruntime-web's files under docs; returns every generated path, figures
    and ``data_files`` included.

    ``outputs`` gives each language's executed code cells for its notebook (None: not executed).
    """
    from ..report import notebook, pages

    written: dict[str, bytes] = {name: markdown.encode("utf-8") for name, markdown in pages.render_pages(facts).items()}
    written["facts.json"] = facts.to_json().encode("utf-8")
    executed = outputs()
    for language in LANGUAGES:
        progress(f"notebook: writing notebook.{language}.ipynb")
        written[f"notebook.{language}.ipynb"] = notebook.render_notebook(
            config, language, facts.provenance.weights.kind, executed[language] if executed else None).encode("utf-8")
    for relative, data in written.items():
        atomic.write_bytes(docs / relative, data)
    runtime_files = ort_files.copy_runtime(docs)
    return sorted([*written, *(f"{FIGURE_FOLDER}/{name}" for name in every_figure_file(facts)), *data_files,
                   *runtime_files])


@dataclass(frozen=True)
class Outcome:
    facts: Facts  # what the published site shows
    generation: str  # the published generation
    work: str  # reuse.NOTHING_TO_DO, reuse.PROSE or reuse.EVERYTHING


def build(config: Config, progress: Callable[[str], None]) -> Outcome:
    """Everything in staging first; site and docs are published together only after every gate passed.

    Only what changed is made again (see reuse): nothing, when no input
    changed and the published files are intact; the pages and the site, when
    only prose or the site's settings changed. ``--force`` (reuse_published
    False) reads no cache entry at all (core/cache.write_only).
    """
    from . import mkdocs_child

    keys = stamp.input_keys(config, config.docs / STATIC)
    with cache.write_only() if not config.reuse_published else nullcontext(), publish.staging(config) as stage, \
            mkdocs_child.child_for(config.mkdocs_yml, stage.docs, stage.site, stage.root) as site_build, \
            ExitStack() as early:
        derived: Callable[[], Expected] | None = None
        if config.reuse_published and reuse.only_pages_likely(stage.published, keys):
            derived = early.enter_context(check_values_started(config))  # what a prose edit waits for: first
            site_build.launch()  # its imports, the other thing a prose edit waited for
        plan = (reuse.plan(config, keys, stage.published) if config.reuse_published
                else reuse.Plan(reuse.EVERYTHING, "--force"))
        if plan.work == reuse.NOTHING_TO_DO:
            assert plan.published is not None and plan.generation is not None
            progress(f"up to date: {plan.reason} (generation {plan.generation[:12]})")
            return Outcome(plan.published.facts, plan.generation, plan.work)
        progress(f"inputs: {plan.reason}")
        if plan.work == reuse.PROSE:
            derived = derived or early.enter_context(check_values_started(config))
            facts, generation = rewrite_pages(config, stage, site_build, plan, keys, progress, derived)
        else:
            early.close()  # a guess that missed: its fork would only take the other core
            facts, generation = build_everything(config, stage, site_build, keys, progress)
    progress(f"done: {printable_name(str(config.out))} (generation {generation[:12]})")
    return Outcome(facts, generation, plan.work)


def build_everything(config: Config, stage: publish.Staging, site_build: SiteBuild, keys: InputKeys,
                     progress: Callable[[str], None]) -> tuple[Facts, str]:
    """Model, facts, figures, notebook run, pages, check, site; the check derives its own values, from no cache."""
    from ..pdf import render as pdf_files
    from ..report import notebook
    from ..verify import gate as check
    from ..verify.css_text import parse_known_stylesheets

    site_build.launch()  # MkDocs imports on the other core while this process imports torch
    from ..verify.expected import derive_expected_and_reference  # torch and torchvision, which the kernel inherits

    with notebook.running(config) as run:
        if run is not None:
            progress("notebook: executing its code cells once, in a kernel forked from the build")
        facts, data_files = compute(config, stage.docs, progress, run.weights_resolved if run else lambda: None)
        atomic.copy_tree(config.docs / STATIC, stage.docs / STATIC, TREE_FILE_LIMIT)

        def outputs() -> dict[str, NotebookNode] | None:
            if run is None:
                return None
            progress("notebook: waiting for the code cells' outputs")
            return run.result()

        generated = write_docs(config, facts, stage.docs, outputs, progress, data_files)
        site_build.start()
        progress("check: re-deriving every number while MkDocs builds the site")
        expected, explorer_reference = derive_expected_and_reference(config)
        progress("site: mkdocs build --strict")
        parse_known_stylesheets()  # the check's, while this process would only wait
        site_build.wait()
        with pdf_files.rendering(stage.site, progress, config.make_pdf) as pdfs:  # the PDFs, made from the built pages meanwhile
            progress("check: reading every page of the built site")
            check.verify(stage.docs, stage.site, config, check.CheckInputs(
                expected, explorer_reference, reproduce=False, side_by_side=True, pdf_ready=pdfs))
        progress("publish: site and docs, one generation")
        generation = publish.publish(stage, config, generated, keys.to_dict())
    return facts, generation


def rewrite_pages(config: Config, stage: publish.Staging, site_build: SiteBuild, plan: reuse.Plan,
                  keys: InputKeys, progress: Callable[[str], None], derived: Callable[[], Expected]) -> tuple[Facts, str]:
    """The published facts, figures and notebook outputs with new pages; the check reads every new page.

    The check's values are derived in a fork (``derived``) started with the build, never read from a cache,
    whose entries anyone who can write the user's files could have edited. Meanwhile this process writes the
    pages and MkDocs builds them.
    """
    from ..pdf import render as pdf_files
    from ..verify import gate as check
    from ..verify.css_text import parse_known_stylesheets

    published = plan.published
    assert published is not None
    site_build.launch()
    generated = write_prose(config, stage, published, progress)
    site_build.start()
    progress("site: mkdocs build --strict, while the check re-derives every number")
    parse_known_stylesheets()  # the check's, while this process would only wait
    site_build.wait()
    with pdf_files.rendering(stage.site, progress, config.make_pdf) as pdfs:  # the PDFs, made from the built pages meanwhile
        expected = derived()
        progress("check: reading every page of the built site")
        check.verify(stage.docs, stage.site, config, check.CheckInputs(
            expected, reproduce=False, explorer_data=False, side_by_side=True, pdf_ready=pdfs))
    progress("publish: site and docs, one generation")
    generation = publish.publish(stage, config, generated, keys.to_dict())
    return published.facts, generation


def check_values_started(config: Config) -> AbstractContextManager[Callable[[], Expected]]:
    """The check's own values, derived in a fork (torch imported there, not in the process that writes pages)."""
    from ..runtime import forked

    return forked.started(lambda: check_values(config), "the check's values")


def check_values(config: Config) -> Expected:
    """What the fork runs: every value, from the inputs and the code (verify/expected.py)."""
    from ..verify.expected import derive_expected

    return derive_expected(config)


def write_prose(config: Config, stage: publish.Staging, published: reuse.Published,
                progress: Callable[[str], None]) -> list[str]:
    """The published figures, data and notebook outputs, matched with their digests, under new pages."""
    for name, data in published.figures.items():
        atomic.write_bytes(stage.docs / FIGURE_FOLDER / name, data)
    for relative, data in published.data_files.items():
        atomic.write_bytes(stage.docs / relative, data)
    atomic.copy_tree(config.docs / STATIC, stage.docs / STATIC, TREE_FILE_LIMIT)
    return write_docs(config, published.facts, stage.docs, lambda: published.notebook_outputs, progress,
                      sorted(published.data_files))
