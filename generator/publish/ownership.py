"""Prove a folder is ours before replacing it, and a docs file ours before overwriting or deleting it.

A build replaces --out as a whole. It does so only when --out does not
exist, is an empty folder, or holds nothing but the files of the site that
docs/ records it published (the manifest's digest of every site file), the
way `git clean` wants -f and `rsync --delete` an explicit target. A marker
proves nothing by itself: anyone can write one beside their own files.
Folders the project needs (its root, docs, the folder of mkdocs.yml, the
generator package) and everything above them are refused however they look.
A site made before markers existed is recognised only by proof: its
facts.json is byte for byte the one in the docs it was built from.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ..core.config import PACKAGE, PROJECT_ROOT, Config
from ..core.errors import OutputError, ReportError, UsageError
from ..core.input_file import InputFile, open_input
from ..core.json_input import loads_bounded
from ..core.names import printable_name

TOOL = "resnet18-report"
MARKER = ".resnet18-site.json"
MANIFEST = ".generated.json"
OUR_FILE_LIMIT = 16 * 1024**2  # a manifest, journal, marker or facts.json: each well under 1 MiB
OUR_JSON_DEPTH = 8  # a manifest or journal nests 2 levels deep, a marker 1
PUBLISHED_FILE_LIMIT = 64 * 1024**2  # above anything a build publishes (its largest, the ONNX model, is about 45 MiB)
GENERATION = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
STATIC = PurePosixPath("assets") / "static"


def real(path: Path) -> Path:
    """The path with its parent's links resolved; the last part as named."""
    return path.parent.resolve() / path.name if path.name else path


def read_json(path: Path) -> Any:
    """A small JSON file of ours, or None when it is absent, not a regular file, larger or deeper than any of ours,
    or not JSON: a hand-made one nested 100,000 deep must be refused, not crash the parser."""
    data = our_file_bytes(path)
    try:
        return loads_bounded(data.decode("utf-8"), OUR_JSON_DEPTH) if data is not None else None
    except ValueError:  # UnicodeDecodeError included
        return None


def our_file_bytes(path: Path) -> bytes | None:
    """A small file this tool wrote, or None for a link, anything but a regular file, or one over OUR_FILE_LIMIT."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        with open_input(path, limit=OUR_FILE_LIMIT, error=ReportError, noun="file", advice="") as opened:
            return opened.read_all()
    except (OSError, ReportError):
        return None


def site_generation(folder: Path) -> str | None:
    """The generation named by a site's marker, or None when it has no valid marker."""
    marker = read_json(folder / MARKER)
    generation = marker.get("generation") if isinstance(marker, dict) and marker.get("tool") == TOOL else None
    return generation if isinstance(generation, str) and GENERATION.fullmatch(generation) else None


def sha256(path: Path) -> str:
    """A published file's SHA-256, read in chunks; anything that cannot be one of ours gets a reason that never matches.

    Published files are read back to tell whether they are still as
    published, so they are inputs too (core/input_file.py): a 30 GB file put in
    their place is not read (no file a build publishes is near
    PUBLISHED_FILE_LIMIT), and a pipe is not waited on.
    """
    try:
        with open_published(path) as opened:
            return opened.sha256()
    except ReportError as refused:
        return f"unreadable: {refused}"


def open_published(path: Path) -> InputFile:
    """A file this tool published, opened under PUBLISHED_FILE_LIMIT (see sha256)."""
    return open_input(path, limit=PUBLISHED_FILE_LIMIT, error=OutputError, noun="published file", advice="",
                      allow_empty=True)


def unpublished_entry(folder: Path, site_files: Mapping[str, str]) -> str | None:
    """The first entry of folder that is not a file of the published site with its recorded digest, and why.

    None when every entry is one: folders only as the folders of listed
    files, files only as regular files whose SHA-256 is the one recorded.
    """
    parents = {parent.as_posix() for name in site_files for parent in PurePosixPath(name).parents}
    for root, folders, files in os.walk(folder):  # links are listed, never followed
        for name in sorted([*folders, *files], key=lambda name: (name == MARKER, name)):  # a user's file first
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if relative in parents and path.is_dir() and not path.is_symlink():
                continue
            recorded = site_files.get(relative)
            if recorded is None or not re.fullmatch(r"[0-9a-f]{64}", recorded):
                return f"{printable_name(relative)} is not a file of the site {MANIFEST} records"
            if path.is_symlink() or not path.is_file() or sha256(path) != recorded:
                return f"{printable_name(relative)} changed since this tool published it"
    return None


def is_legacy_site(folder: Path, docs: Path) -> bool:
    """A site from the version before markers: docs' old list manifest, and its facts.json in the site unchanged."""
    manifest = read_json(docs / MANIFEST)
    if not isinstance(manifest, list) or "facts.json" not in manifest:
        return False
    site_facts = our_file_bytes(folder / "facts.json")
    return (folder / "index.html").is_file() and site_facts is not None and site_facts == our_file_bytes(docs / "facts.json")


def refuse(out: Path, why: str) -> UsageError:
    return UsageError(f"--out {printable_name(str(out))} {why}")


def check_out(config: Config, site_files: Mapping[str, str] | None = None) -> None:
    """Refuse, before any work, an --out that this tool did not make or must never replace.

    ``site_files`` is what docs/' manifest records of the site it was
    published with: an existing --out is replaced only if it holds nothing else.
    """
    out = config.out
    if out.parent == out:
        raise refuse(out, "is the filesystem root; pass a new or empty folder, e.g. --out site")
    try:
        mode = out.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise refuse(out, f"cannot be examined ({error.strerror}); pass a new or empty folder") from error
    if mode is not None and stat.S_ISLNK(mode):
        raise refuse(out, "is a symbolic link; pass the folder it points to, or a new folder")
    where = real(out)
    protected = {
        "the project folder": PROJECT_ROOT,
        "the generator package": PACKAGE,
        "the docs folder (--docs)": config.docs.resolve(),
        "the folder of --mkdocs-yml": config.mkdocs_yml.resolve().parent,
    }
    for name, folder in protected.items():
        if where == folder:
            raise refuse(out, f"is {name}; pass a folder of its own, e.g. --out site")
        if folder.is_relative_to(where):
            raise refuse(out, f"contains {name} ({folder}); pass a folder of its own, e.g. --out site")
    for name, folder in (("the docs folder (--docs)", config.docs.resolve()), ("the generator package", PACKAGE)):
        if where.is_relative_to(folder):
            raise refuse(out, f"is inside {name}; pass a folder outside it")
    if mode is None:
        return
    if not stat.S_ISDIR(mode):
        raise refuse(out, "is not a folder; pass a new or empty folder, or a site this tool built")
    if os.path.ismount(out):
        raise refuse(out, "is a mount point and cannot be replaced in one step; pass a folder inside it")
    if not any(out.iterdir()) or (not site_files and is_legacy_site(out, config.docs)):
        return
    why = unpublished_entry(out, site_files or {})
    if why is None:
        return
    raise refuse(out, f"holds files this tool did not make ({why}); pass a new or empty folder, "
                 "or delete it yourself if it is an old site")


def check_generated_folders(docs: Path, relatives: Iterable[str], folders: Iterable[str] = ()) -> None:
    """Every folder between docs and a file the build writes or removes is a real folder inside docs, or absent.

    A symbolic link there (docs/img pointing at /etc, say) would make each
    rename and unlink of publication act wherever it points.
    """
    parents = {parent for relative in relatives for parent in PurePosixPath(relative).parents}
    for folder in sorted((parents | {PurePosixPath(name) for name in folders}) - {PurePosixPath(".")}):
        path = docs / folder
        if path.is_symlink():
            raise UsageError(f"{path} is a symbolic link (to {os.readlink(path)}), not a folder this tool made: "
                             "publishing would write through it; remove the link and build again")
        if os.path.lexists(path) and not path.is_dir():
            raise UsageError(f"{path} is not a folder, but this tool writes files in it: move it away and build again")


def safe_generated_path(docs: Path, relative: str) -> Path:
    """A path a manifest or journal names: inside docs, never in the committed static assets."""
    path = PurePosixPath(relative)
    if (not relative or path.is_absolute() or ".." in path.parts or path.parts[0].startswith(".")
            or path.is_relative_to(STATIC)):
        raise UsageError(f"{docs / MANIFEST} names {relative!r}, which this tool never generates; "
                         "it was not written by this tool: delete it and build again")
    return docs / path
