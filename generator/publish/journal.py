"""One generation, one commit point: a journal written before the first rename, rolled forward after a kill.

The journal names the generation, the staged site and docs files, where each
goes, and which files of the previous generation go away. Every step of
carrying it out checks whether it is already done, so the next build or
check can repeat it from the start after a kill at any instant. The docs
manifest it ends with records the generation, the site it was published
with, and the sha256 of every file it made.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..core import atomic
from ..core.config import PACKAGE, PROJECT_ROOT
from ..core.errors import OutputError, ReportError, UsageError
from ..core.names import printable_name
from .ownership import (
    GENERATION,
    MANIFEST,
    TOOL,
    is_legacy_site,
    open_published,
    read_json,
    real,
    safe_generated_path,
    sha256,
    site_generation,
    unpublished_entry,
)

JOURNAL = ".publish-journal.json"
STAGING_PREFIX = ".site-build-"
LOCK_TIMEOUT_S = 30.0


class Unrecoverable(Exception):
    """A journal's staged files are gone: its publication cannot be finished."""


@dataclass(frozen=True)
class Manifest:
    """What docs/ holds: the generation, the site it was published with, and every file it made."""

    generation: str | None = None
    complete: bool = True
    site: str | None = None
    files: dict[str, str | None] = field(default_factory=dict)
    inputs: dict[str, str] | None = None  # stamp.InputKeys of the build that made it; None: unknown, rebuild
    site_files: dict[str, str] = field(default_factory=dict)  # every file of the site it was published with


@dataclass(frozen=True)
class Journal:
    """What a publication moves, from where to where: enough to finish it after a kill."""

    generation: str
    out: str
    staged_site: str
    previous_site: str | None  # generation of the site being replaced; None when it had no marker
    docs: str
    staged_docs: str
    site_link: str  # --out relative to docs, recorded in the manifest
    files: dict[str, str]  # the new generation's docs files and their sha256
    stale: list[str]  # the previous generation's docs files that the new one does not make
    inputs: dict[str, str] | None = None  # for the manifest: what the build read
    site_files: dict[str, str] = field(default_factory=dict)  # for the manifest: the staged site's files


def published_bytes(path: Path) -> bytes | None:
    """A published file's bytes, or None when it is missing or cannot be one (see ownership.sha256)."""
    try:
        with open_published(path) as opened:
            return opened.read_all()
    except ReportError:
        return None


@contextmanager
def docs_lock(docs: Path) -> Iterator[None]:
    """One publication or recovery at a time per docs folder."""
    fd = os.open(docs, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OutputError(f"another build is publishing into {docs}; try again when it is done") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def read_manifest(docs: Path) -> Manifest:
    """docs/' manifest, checked field by field: it decides what a build may overwrite, delete and replace."""
    path = docs / MANIFEST
    if not os.path.lexists(path):
        return Manifest()
    data = read_json(path)
    if isinstance(data, list) and all(isinstance(name, str) for name in data):
        files: dict[str, str | None] = {name: None for name in data}  # the version before generations
        manifest = Manifest(files=files)
    elif (isinstance(data, dict) and data.get("tool") == TOOL and _generation_or_none(data.get("generation"))
          and isinstance(data.get("complete", False), bool) and isinstance(data.get("site"), (str, type(None)))
          and isinstance(data.get("files"), dict)
          and all(isinstance(name, str) and (digest is None or _is_sha256(digest))
                  for name, digest in data["files"].items())):
        manifest = Manifest(generation=data.get("generation"), complete=data.get("complete", False),
                            site=data.get("site"), files=data["files"], inputs=_digests(data.get("inputs")),
                            site_files=_digests(data.get("site_files")) or {})
    else:
        raise UsageError(f"{path} is not a manifest this tool wrote: delete it and the pages it lists, then build again")
    for relative in manifest.files:
        safe_generated_path(docs, relative)
    return manifest


def _generation_or_none(value: object) -> bool:
    return value is None or (isinstance(value, str) and GENERATION.fullmatch(value) is not None)


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _digests(value: object) -> dict[str, str] | None:
    """A mapping of names to digests as recorded, or None for anything else (a rebuild, never an error)."""
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return value
    return None


def write_manifest(docs: Path, manifest: Manifest) -> None:
    atomic.write_text(docs / MANIFEST, json.dumps({"tool": TOOL, **asdict(manifest)}, indent=1, sort_keys=True) + "\n")


def read_journal(docs: Path) -> Journal | None:
    """The journal a cut-short publication left in docs, refused unless its shape and every path it names are ours."""
    path = docs / JOURNAL
    if not os.path.lexists(path):
        return None
    data = read_json(path)
    problem = _journal_shape(data)
    if problem is None:
        journal = Journal(**{key: value for key, value in data.items() if key != "tool"})
        problem = _journal_places(journal, docs)
    if problem is not None:
        raise _not_ours(docs, problem)
    for relative in [*journal.files, *journal.stale]:
        safe_generated_path(docs, relative)
    return journal


def _not_ours(docs: Path, problem: str) -> OutputError:
    return OutputError(f"{docs / JOURNAL} is not a journal this tool wrote ({problem}): nothing was moved; "
                       "delete it, then run `python -m generator build`")


_JOURNAL_FIELDS = {item.name for item in fields(Journal)}
_JOURNAL_PATHS = ("out", "staged_site", "docs", "staged_docs", "site_link")


def _journal_shape(data: object) -> str | None:
    """What is wrong with the journal's fields, each checked for its type; None when nothing is."""
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        return "not JSON this tool writes, or too large or too deeply nested"
    names = set(data) - {"tool"}
    if not names <= _JOURNAL_FIELDS or not set(_JOURNAL_PATHS) | {"generation", "files", "stale"} <= names:
        return "unknown or missing fields"
    files, stale = data["files"], data["stale"]
    inputs, site_files = data.get("inputs"), data.get("site_files", {})
    checks = [
        (isinstance(data["generation"], str) and GENERATION.fullmatch(data["generation"]) is not None, "generation"),
        (_generation_or_none(data.get("previous_site")), "previous_site"),
        (all(isinstance(data[name], str) for name in _JOURNAL_PATHS), "a path that is not a string"),
        (isinstance(files, dict) and all(isinstance(k, str) and _is_sha256(v) for k, v in files.items()), "files"),
        (isinstance(stale, list) and all(isinstance(name, str) for name in stale), "stale"),
        (inputs is None or _digests(inputs) is not None, "inputs"),
        (_digests(site_files) is not None, "site_files"),
    ]
    return next((f"malformed {what}" for valid, what in checks if not valid), None)


def _journal_places(journal: Journal, docs: Path) -> str | None:
    """Whether the journal names only docs, a staging folder in it, a site and a staging folder beside that site."""
    out, staged_site, staged_docs = Path(journal.out), Path(journal.staged_site), Path(journal.staged_docs)
    if Path(journal.docs) != docs:
        return "it names another docs folder"
    if staged_docs.parent != docs or not staged_docs.name.startswith(STAGING_PREFIX):
        return "its staged docs are not a staging folder inside docs"
    if not out.is_absolute() or os.path.normpath(out) != journal.out or out.parent == out:
        return f"its site {printable_name(journal.out)} is not a plain absolute path"
    if (staged_site.name != "site" or staged_site.parent.parent != out.parent
            or not staged_site.parent.name.startswith(STAGING_PREFIX)):
        return "its staged site is not in a staging folder beside the site"
    where, inside = real(out), docs.resolve()
    if (where.is_relative_to(inside) or where.is_relative_to(PACKAGE)
            or any(folder.is_relative_to(where) for folder in (inside, PROJECT_ROOT, PACKAGE))):
        return f"its site {printable_name(journal.out)} is a folder the project needs"
    if journal.site_link != os.path.relpath(out, docs):
        return "it records another site for the manifest than the one it replaces"
    return None


def check_journal(journal: Journal) -> None:
    """Before anything moves: every file it moves or deletes is as recorded, and the site it replaces is ours."""
    docs, staged_docs = Path(journal.docs), Path(journal.staged_docs)
    manifest = read_manifest(docs)
    finished = manifest.generation == journal.generation  # killed after the manifest, before the journal went
    for relative in journal.stale:
        if relative not in manifest.files and (not finished or os.path.lexists(docs / relative)):
            raise _not_ours(docs, f"it deletes {printable_name(relative)}, which the manifest does not list")
    for relative, digest in journal.files.items():
        staged, target = staged_docs / relative, docs / relative
        if os.path.lexists(staged) and sha256(staged) != digest:
            raise _not_ours(docs, f"its staged {printable_name(relative)} is not the file it records")
        if os.path.lexists(target) and relative not in manifest.files and sha256(target) != digest:
            raise _not_ours(docs, f"it overwrites {printable_name(relative)}, which this tool did not make")
    if _site_due(journal):
        problem = _replaced_site_problem(journal, manifest)
        if problem is not None:
            raise _not_ours(docs, problem)


def _replaced_site_problem(journal: Journal, manifest: Manifest) -> str | None:
    """Why the site the journal would swap out, or the site it would swap in, is not the one it was written for."""
    out, staged_site = Path(journal.out), Path(journal.staged_site)
    if site_generation(staged_site) == journal.generation:  # else Unrecoverable: the staged site is gone
        wrong = unpublished_entry(staged_site, journal.site_files)
        if wrong is not None:
            return f"its staged site is not the one it records: {wrong}"
    if not os.path.lexists(out):
        return None
    if out.is_symlink() or not out.is_dir():
        return f"its site {printable_name(journal.out)} is not a folder"
    if not any(out.iterdir()) or (not manifest.site_files and is_legacy_site(out, Path(journal.docs))):
        return None
    if not manifest.site_files:
        return f"it would replace {printable_name(journal.out)}, a folder the manifest records no site for"
    wrong = unpublished_entry(out, manifest.site_files)
    return None if wrong is None else f"it would replace {printable_name(journal.out)}, where {wrong}"


def write_journal(journal: Journal) -> None:
    docs = Path(journal.docs)
    atomic.write_text(docs / JOURNAL, json.dumps({"tool": TOOL, **asdict(journal)}, indent=1) + "\n")
    atomic.fsync_dir(docs)


def swap_in(staged: Path, out: Path) -> None:
    """The staged site takes out's place: one exchange, or where the system has none, two journaled renames."""
    if os.path.lexists(out):
        if atomic.exchange(staged, out):
            return
        aside = staged.with_name("previous")
        if aside.exists():
            shutil.rmtree(aside)
        os.replace(out, aside)
    os.replace(staged, out)


def _site_due(journal: Journal) -> bool:
    """Whether the site is still to be swapped in: not done, and not a third generation another build published."""
    out = Path(journal.out)
    if not os.path.lexists(out):
        return True
    current = site_generation(out)
    return current != journal.generation and current == journal.previous_site


def roll_forward(journal: Journal) -> None:
    """Carry a journaled publication to its end; each step checks whether it is already done."""
    out, staged_site = Path(journal.out), Path(journal.staged_site)
    docs, staged_docs = Path(journal.docs), Path(journal.staged_docs)
    site_due = _site_due(journal)
    if site_due and site_generation(staged_site) != journal.generation:
        raise Unrecoverable(f"the staged site {staged_site} is gone")
    for relative, digest in journal.files.items():
        staged, target = staged_docs / relative, docs / relative
        if not os.path.lexists(staged) and not (target.is_file() and sha256(target) == digest):
            raise Unrecoverable(f"the staged {relative} is gone")
    if site_due:
        swap_in(staged_site, out)
        atomic.fsync_dir(out.parent)
    touched = {docs}
    for relative in journal.files:
        staged, target = staged_docs / relative, docs / relative
        if os.path.lexists(staged):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
            touched.add(target.parent)
    for relative in journal.stale:
        target = docs / relative
        target.unlink(missing_ok=True)
        touched.add(target.parent)
    for folder in sorted(touched):
        if folder.is_dir():
            atomic.fsync_dir(folder)
    write_manifest(docs, Manifest(generation=journal.generation, site=journal.site_link, files=dict(journal.files),
                                  inputs=journal.inputs, site_files=dict(journal.site_files)))
    (docs / JOURNAL).unlink()
    atomic.fsync_dir(docs)


def discard(journal: Journal) -> None:
    """Give up a publication whose staged files are gone; docs/ is marked incomplete if it may be mixed."""
    docs = Path(journal.docs)
    out = Path(journal.out)
    site_touched = os.path.lexists(out) and site_generation(out) == journal.generation
    if site_touched or any((docs / relative).is_file() and sha256(docs / relative) == digest
                           for relative, digest in journal.files.items()):
        previous = read_manifest(docs)
        files = {**previous.files, **journal.files}
        site_files = dict(journal.site_files) if site_touched else previous.site_files  # proof the site is ours
        write_manifest(docs, Manifest(generation=None, complete=False, site=journal.site_link, files=files,
                                      site_files=site_files))
    (docs / JOURNAL).unlink()
    atomic.fsync_dir(docs)


def recover(docs: Path, *, repair: bool) -> None:
    """Finish the publication a killed run left in docs; when that is impossible, build starts over, check refuses."""
    if not os.path.lexists(docs / JOURNAL):
        return
    try:
        with docs_lock(docs):
            journal = read_journal(docs)
            if journal is None:
                return
            check_journal(journal)
            try:
                roll_forward(journal)
            except Unrecoverable as error:
                if not repair:
                    raise OutputError(
                        f"{docs} holds a publication that was cut short and cannot be finished ({error}): "
                        "run `python -m generator build` to publish the site and docs again"
                    ) from error
                discard(journal)
    except OSError as error:
        raise atomic.output_error(error, docs) from error
