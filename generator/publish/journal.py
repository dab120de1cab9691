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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core import atomic
from ..core.errors import OutputError, ReportError, UsageError
from ..core.input_file import InputFile, open_input
from .ownership import MANIFEST, TOOL, read_json, safe_generated_path, site_generation

JOURNAL = ".publish-journal.json"
PUBLISHED_FILE_LIMIT = 64 * 1024**2  # far above anything a build publishes (its largest files are under 2 MB)
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


def sha256(path: Path) -> str:
    """A published file's SHA-256, read in chunks; anything that cannot be one of ours gets a reason that never matches.

    Published files are read back to tell whether they are still as
    published, so they are inputs too (core/input_file.py): a 30 GB file put in
    their place is not read (no file a build publishes is near
    PUBLISHED_FILE_LIMIT), and a pipe is not waited on.
    """
    try:
        with _open_published(path) as opened:
            return opened.sha256()
    except ReportError as refused:
        return f"unreadable: {refused}"


def published_bytes(path: Path) -> bytes | None:
    """A published file's bytes, or None when it is missing or cannot be one (see sha256)."""
    try:
        with _open_published(path) as opened:
            return opened.read_all()
    except ReportError:
        return None


def _open_published(path: Path) -> InputFile:
    return open_input(path, limit=PUBLISHED_FILE_LIMIT, error=OutputError, noun="published file", advice="",
                      allow_empty=True)


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
    path = docs / MANIFEST
    if not os.path.lexists(path):
        return Manifest()
    data = read_json(path)
    if isinstance(data, list) and all(isinstance(name, str) for name in data):
        files: dict[str, str | None] = {name: None for name in data}  # the version before generations
        manifest = Manifest(files=files)
    elif isinstance(data, dict) and data.get("tool") == TOOL and isinstance(data.get("files"), dict):
        manifest = Manifest(generation=data.get("generation"), complete=bool(data.get("complete")),
                            site=data.get("site"), files=data["files"], inputs=_digests(data.get("inputs")),
                            site_files=_digests(data.get("site_files")) or {})
    else:
        raise UsageError(f"{path} is not a manifest this tool wrote: delete it and the pages it lists, then build again")
    for relative in manifest.files:
        safe_generated_path(docs, relative)
    return manifest


def _digests(value: object) -> dict[str, str] | None:
    """A mapping of names to digests as recorded, or None for anything else (a rebuild, never an error)."""
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return value
    return None


def write_manifest(docs: Path, manifest: Manifest) -> None:
    atomic.write_text(docs / MANIFEST, json.dumps({"tool": TOOL, **asdict(manifest)}, indent=1, sort_keys=True) + "\n")


def read_journal(docs: Path) -> Journal | None:
    path = docs / JOURNAL
    if not os.path.lexists(path):
        return None
    data = read_json(path)
    try:
        journal = Journal(**{key: value for key, value in data.items() if key != "tool"})
        valid = (
            data.get("tool") == TOOL and Path(journal.docs) == docs
            and isinstance(journal.files, dict) and isinstance(journal.stale, list)
            and Path(journal.staged_docs).parent == docs and Path(journal.staged_docs).name.startswith(STAGING_PREFIX)
            and Path(journal.staged_site).name == "site"
            and Path(journal.staged_site).parent.name.startswith(STAGING_PREFIX)
            and Path(journal.staged_site).parent.parent == Path(journal.out).parent
        )
    except (AttributeError, TypeError):
        valid = False
    if not valid:
        raise OutputError(f"{path} is not a journal this tool wrote: delete it, then run `python -m generator build`")
    for relative in [*journal.files, *journal.stale]:
        safe_generated_path(docs, relative)
    return journal


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


def roll_forward(journal: Journal) -> None:
    """Carry a journaled publication to its end; each step checks whether it is already done."""
    out, staged_site = Path(journal.out), Path(journal.staged_site)
    docs, staged_docs = Path(journal.docs), Path(journal.staged_docs)
    exists = os.path.lexists(out)
    current = site_generation(out) if exists else None
    # Due unless done; a site of a third generation means another build published since: it is left alone.
    site_due = not exists or (current != journal.generation and current == journal.previous_site)
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
        write_manifest(docs, Manifest(generation=None, complete=False, site=journal.site_link, files=files))
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
