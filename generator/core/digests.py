"""SHA-256 digests of files, folders and values, each file read under a limit; and the code's own version.

The build's input keys (pipeline/stamp.py) and the caches keyed by the code
(core/memo.py) both name "this version of the generator" by the same
digest, computed here without importing torch.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

from .errors import ReportError, UsageError
from .input_file import open_input
from .limits import TREE_FILE_LIMIT

PROSE_FOLDERS = ("templates", "translations")  # the words around the facts: not code


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def json_digest(value: object) -> str:
    return digest(json.dumps(value, sort_keys=True).encode())


def file_digest(path: Path, limit: int, error: type[ReportError], exact: bool = False, allow_empty: bool = False) -> str:
    """The file's sha256, read under its limit; a file the build would refuse is named so, and never matches.

    The build itself refuses such a file later, with its own message (what
    the file is and what to do); a digest is no place to explain that.
    """
    try:
        with open_input(path, limit=limit, exact=exact, error=error, noun="input file", advice="",
                        allow_empty=allow_empty) as opened:
            return opened.sha256()
    except ReportError as refused:
        return f"refused: {refused}"


def tree_digest(root: Path, exclude: tuple[str, ...] = ()) -> str:
    """Every file below root, by relative path and content (each read under a limit); caches left out.

    Anything but a folder counts, a pipe or a device too (the build refuses it when it copies the folder).
    """
    hashed = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_dir() or relative.parts[0] in exclude or "__pycache__" in relative.parts:
            continue
        content = file_digest(path, TREE_FILE_LIMIT, UsageError, allow_empty=True)
        hashed.update(relative.as_posix().encode() + b"\0" + content.encode() + b"\n")
    return hashed.hexdigest()


def code_digest(package: Path) -> str:
    """The generator's code and data (sources.json, the report), without the prose folders."""
    return tree_digest(package, exclude=PROSE_FOLDERS)


def package_version(name: str) -> str:
    """An installed package's version, or "not installed"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
