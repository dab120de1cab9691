"""`mkdocs build --strict` of staged docs into a staged site, writing nothing anywhere else.

MkDocs runs through its Python API with docs_dir and site_dir overridden, so
no staged config file is written beside mkdocs.yml (one was left there by
every killed run). It runs in a child process, in the staging folder: the
parent can stop it, mkdocs-jupyter's render cache lands in staging instead
of the user's working directory, and the child dies with its parent.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from .config import PROJECT_ROOT
from .errors import OutputError, SiteBuildError

OUTPUT_FAILED = 3  # the child's exit status when a write failed (full disk, permissions)
PR_SET_PDEATHSIG = 1
PROBLEM_PREFIXES = ("WARNING", "ERROR", "Aborted")


def build_site(mkdocs_yml: Path, docs: Path, site: Path, workdir: Path) -> None:
    """Raise SiteBuildError with MkDocs' own warnings, on one line, if the strict build fails."""
    python_path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "generator.mkdocs_build", str(mkdocs_yml), str(docs), str(site), str(os.getpid())],
        cwd=workdir, env={**os.environ, "PYTHONPATH": python_path}, capture_output=True, text=True, check=False,
    )
    if result.returncode == 0:
        return
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    problems = list(dict.fromkeys(line for line in lines if line.startswith(PROBLEM_PREFIXES)))  # once per language
    detail = "; ".join(problems[:5] or lines[-1:]) or f"exit status {result.returncode}"
    if result.returncode == OUTPUT_FAILED:
        raise OutputError(f"mkdocs could not write the site: {detail}; check free space and permissions")
    raise SiteBuildError(f"mkdocs build --strict failed: {detail}")


def die_with_parent(parent: int) -> None:
    """A kill -9 of the build must not leave MkDocs writing on (Linux; elsewhere the build's process group does)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except AttributeError:
        return
    if os.getppid() != parent:
        os._exit(1)


def main(argv: list[str]) -> int:
    config_file, docs, site, parent = argv
    die_with_parent(int(parent))
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
