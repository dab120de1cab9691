"""`mkdocs build --strict` of staged docs into a staged site, writing nothing anywhere else.

MkDocs runs through its Python API with docs_dir and site_dir overridden, so
no staged config file is written beside mkdocs.yml (one was left there by
every killed run). It runs in a child process, in the staging folder: the
parent can stop it, mkdocs-jupyter's render cache lands in staging instead
of the user's working directory, and the child dies with its parent.

The child starts early in the build (pipeline/site.py says when): it imports MkDocs,
its theme and plugins and loads the config while the model runs or the pages
are written, then waits for one line on its
standard input. ``GO`` builds; anything else, or the end of input (the build
failed or stopped before its docs were ready), ends it having written
nothing.

MkDocs makes a new Jinja environment for the theme eleven times in one
build (once per language, and Material's search plugin more), and each
compiled the same templates again: about a fifth of the build. In the child
they share one in-memory cache of compiled templates. The environments are
made alike (``Theme.get_env``), and Jinja checks each template's source
against its cached code, so a template is compiled once per child.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jinja2

from ..core import cache, python_child
from ..core.errors import OutputError, SiteBuildError
from ..runtime import interrupts
from ..runtime.lifeline import die_with_parent

GO = "build\n"
READ, WRITE_ONLY = "read-cache", "write-only-cache"  # whether the child may read its renderings (not with --force)
OUTPUT_FAILED = 3  # the child's exit status when a write failed (full disk, permissions)
NOT_TOLD = 4  # the child's exit status when its input ended without GO
PROBLEM_PREFIXES = ("WARNING", "ERROR", "Aborted")


class SiteBuild:
    """The MkDocs child of one build: launched early, told to build when the staged docs are complete."""

    def __init__(self, mkdocs_yml: Path, docs: Path, site: Path, workdir: Path) -> None:
        self._command = [sys.executable, "-m", "generator.pipeline.mkdocs_child", str(mkdocs_yml), str(docs), str(site),
                         str(os.getpid()), READ if cache.reading() else WRITE_ONLY]
        self._workdir = workdir
        self._child: subprocess.Popen[str] | None = None

    def launch(self) -> None:
        """Start the child, which imports MkDocs and loads the config meanwhile; once only."""
        if self._child is None:
            self._child = subprocess.Popen(
                self._command, cwd=self._workdir, env=python_child.environment(),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )

    @property
    def _process(self) -> subprocess.Popen[str]:
        self.launch()
        assert self._child is not None
        return self._child

    def start(self) -> None:
        """The staged docs are complete: build them (the child may already have failed on its config)."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(GO)
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # it ended early; wait() reports why

    def wait(self) -> None:
        """Raise SiteBuildError with MkDocs' own warnings, on one line, if the strict build failed."""
        assert self._process.stderr is not None
        stderr = self._process.stderr.read()
        self._process.wait()
        if self._process.returncode == 0:
            return
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        problems = list(dict.fromkeys(line for line in lines if line.startswith(PROBLEM_PREFIXES)))  # once per language
        detail = "; ".join(problems[:5] or lines[-1:]) or f"exit status {self._process.returncode}"
        if self._process.returncode == OUTPUT_FAILED:
            raise OutputError(f"mkdocs could not write the site: {detail}; check free space and permissions")
        raise SiteBuildError(f"mkdocs build --strict failed: {detail}")

    def stop(self) -> None:
        """End the child if it still runs: the build failed or stopped, or is done with it."""
        if self._child is None:
            return
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for pipe in (self._process.stdin, self._process.stderr):
            if pipe is not None:
                pipe.close()


@contextmanager
def child_for(mkdocs_yml: Path, docs: Path, site: Path, workdir: Path) -> Iterator[SiteBuild]:
    """A MkDocs child for the block, launched when the block asks; it never outlives the block, whatever happens."""
    child = SiteBuild(mkdocs_yml, docs, site, workdir)
    try:
        yield child
    finally:
        with interrupts.held():
            child.stop()


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory, for the life of the child."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


def share_compiled_templates() -> None:
    """Every theme environment of this process loads its templates through one CompiledTemplates."""
    from mkdocs.theme import Theme

    cache = CompiledTemplates()
    make_environment = Theme.get_env

    def get_env(theme: Theme) -> jinja2.Environment:
        environment = make_environment(theme)
        environment.bytecode_cache = cache
        return environment

    Theme.get_env = get_env  # type: ignore[method-assign]


NOTEBOOK_RENDERERS = ("nb2html", "nb2md")
RENDERING_PACKAGES = ("mkdocs-jupyter", "nbconvert", "nbformat", "jupytext", "mistune", "pygments")
RENDERINGS_KEPT = 16


def remember_notebook_renderings() -> None:
    """mkdocs-jupyter's conversions of a notebook, kept in the user's cache across builds.

    Converting the two notebooks with nbconvert is about a second of every
    build, and most builds (a prose edit, a no-change --force) publish the
    same notebook bytes again. A conversion depends only on those bytes, the
    plugin's options and the rendering packages' versions, which make its
    key. (mkdocs-jupyter's own cache lives in the working folder, which here
    is the build's staging, and evicts the other language's notebook.)
    """
    from importlib import metadata

    from mkdocs_jupyter import convert

    shelf = cache.Shelf("", RENDERINGS_KEPT, suffix=".txt", folder_name="notebook-renderings")
    versions = repr([metadata.version(name) for name in RENDERING_PACKAGES])
    for name in NOTEBOOK_RENDERERS:
        render = getattr(convert, name)

        def remembered(nb_path: str, *args: object, _render=render, _name=name, **kwargs: object) -> str:
            digest = hashlib.sha256(f"{_name} {versions} {args!r} {sorted(kwargs.items())!r}\n".encode())
            digest.update(Path(nb_path).read_bytes())
            return shelf.remember(digest.hexdigest(), lambda: _render(nb_path, *args, **kwargs), str, str)

        setattr(convert, name, remembered)


def main(argv: list[str]) -> int:
    """The child: one strict build of the staged docs once told GO; reading no cache entry when told not to."""
    config_file, docs, site, parent, reads = argv
    die_with_parent(int(parent))
    with cache.write_only() if reads == WRITE_ONLY else contextlib.nullcontext():
        return build_when_told(config_file, docs, site)


def build_when_told(config_file: str, docs: str, site: str) -> int:
    """Load the config, wait for GO, build; MkDocs' own errors become one line and an exit status."""
    share_compiled_templates()
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        config = load_config(config_file=config_file, docs_dir=docs, site_dir=site, strict=True)
        if "mkdocs-jupyter" in config.plugins:
            remember_notebook_renderings()
        if sys.stdin.readline() != GO:
            return NOT_TOLD
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as error:
        print(f"ERROR - {error.format_message()}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"ERROR - {error}", file=sys.stderr)
        return OUTPUT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
