"""`mkdocs build --strict` of staged docs into a staged site, writing nothing anywhere else.

MkDocs runs through its Python API with docs_dir and site_dir overridden, so
no staged config file is written beside mkdocs.yml (one was left there by
every killed run). It runs in a child process, in the staging folder: the
parent can stop it, mkdocs-jupyter's render cache lands in staging instead
of the user's working directory, and the child dies with its parent.

The child starts with the build: it imports MkDocs, its theme and plugins
and loads the config while the model runs, then waits for one line on its
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

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jinja2

from . import interrupts
from .config import PROJECT_ROOT
from .errors import OutputError, SiteBuildError
from .lifeline import die_with_parent

GO = "build\n"
OUTPUT_FAILED = 3  # the child's exit status when a write failed (full disk, permissions)
NOT_TOLD = 4  # the child's exit status when its input ended without GO
PROBLEM_PREFIXES = ("WARNING", "ERROR", "Aborted")


class SiteBuild:
    """The MkDocs child of one build: started at once, told to build when the staged docs are complete."""

    def __init__(self, mkdocs_yml: Path, docs: Path, site: Path, workdir: Path) -> None:
        python_path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "generator.mkdocs_build", str(mkdocs_yml), str(docs), str(site), str(os.getpid())],
            cwd=workdir, env={**os.environ, "PYTHONPATH": python_path}, stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )

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
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for pipe in (self._process.stdin, self._process.stderr):
            if pipe is not None:
                pipe.close()


@contextmanager
def started(mkdocs_yml: Path, docs: Path, site: Path, workdir: Path) -> Iterator[SiteBuild]:
    """A MkDocs child for the duration of the block; it never outlives the block, whatever happens."""
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


def main(argv: list[str]) -> int:
    config_file, docs, site, parent = argv
    die_with_parent(int(parent))
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
