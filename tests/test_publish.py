"""Publication as one generation: kill -9 at every step of it, then recover as build and check do.

Each child process publishes a small fake generation through generator.publish.generation
(which imports no torch), counting its renames, exchanges, unlinks, folder
removals and file creations, and kills itself with SIGKILL at the N-th. For
every N the parent then runs what `check` runs first and asserts that the site
and docs/ hold one complete generation, the same one, with nothing left over.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from generator.core import atomic, limits
from generator.core.config import DATA_FOLDER, FIGURE_FOLDER, Config
from generator.core.errors import OutputError, UsageError
from generator.publish import generation as publish
from generator.publish import ownership
from generator.publish.journal import JOURNAL, STAGING_PREFIX, read_manifest, write_manifest
from generator.publish.ownership import MANIFEST, MARKER, site_generation

from .conftest import ROOT

CHILD = r"""
import json, os, signal, sys
from pathlib import Path
from generator.core import atomic
from generator.publish import generation as publish
from generator.runtime import interrupts
from generator.core.config import Config
from generator.core.errors import Interrupted

root, label, kill_at, fallback, signum = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[6])
config = Config(image=root / "photo.png", weights="random", out=root / "site", docs=root / "docs",
                mkdocs_yml=Path(sys.argv[5]))
generation = json.loads((root / f"{label}.json").read_text())
if fallback:
    atomic._renameat2 = None
steps = 0
counting = False

def counted(function, destructive=lambda *args, **kwargs: True):
    def step(*args, **kwargs):
        global steps
        if counting and destructive(*args, **kwargs):
            steps += 1
            if steps == kill_at:
                os.kill(os.getpid(), signum)
        return function(*args, **kwargs)
    return step

os.replace = counted(os.replace)
os.rename = counted(os.rename)
os.unlink = counted(os.unlink)
os.rmdir = counted(os.rmdir)
os.open = counted(os.open, lambda path, flags, *args, **kwargs: bool(flags & os.O_CREAT))
atomic.exchange = counted(atomic.exchange)
with interrupts.installed():
    try:
        with publish.staging(config) as stage:
            for part, folder in (("docs", stage.docs), ("site", stage.site)):
                for relative, text in generation[part].items():
                    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
                    (folder / relative).write_text(text)
            counting = True
            publish.publish(stage, config, sorted(generation["docs"]))
    except Interrupted as stop:
        sys.exit(stop.exit_code)
    print(steps, interrupts.pending())
"""

OLD = {
    "docs": {"index.es.md": "old es", "index.en.md": "old en", "img/a.png": "old a", "img/old-only.png": "old only"},
    "site": {"index.html": "old site", "en/index.html": "old en site", "img/a.png": "old a"},
}
NEW = {
    "docs": {"index.es.md": "new es", "index.en.md": "new en", "img/a.png": "new a", "img/new-only.png": "new only",
             "facts.json": "{}"},
    "site": {"index.html": "new site", "en/index.html": "new en site", "maps/index.html": "new maps"},
}


def digests(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not str(path.relative_to(folder)).startswith(skip)
    }


def expected(generation: dict[str, dict[str, str]], part: str) -> dict[str, str]:
    return {name: hashlib.sha256(text.encode()).hexdigest() for name, text in generation[part].items()}


def publish_in_child(root: Path, label: str, kill_at: int = 0, fallback: bool = False,
                     signum: int = signal.SIGKILL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(root), label, str(kill_at), "1" if fallback else "0", str(ROOT / "mkdocs.yml"),
         str(signum)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=60,
    )


def make_project(root: Path) -> Config:
    """docs/ with the committed static assets, and the old generation published by the real code."""
    shutil.copytree(ROOT / "docs" / "assets" / "static", root / "docs" / "assets" / "static")
    (root / "photo.png").write_bytes(b"")
    for label, generation in (("old", OLD), ("new", NEW)):
        (root / f"{label}.json").write_text(json.dumps(generation))
    result = publish_in_child(root, "old")
    assert result.returncode == 0, result.stderr
    return Config(image=root / "photo.png", weights="random", out=root / "site", docs=root / "docs",
                  mkdocs_yml=ROOT / "mkdocs.yml")


def assert_one_generation(root: Path) -> str:
    """Site and docs hold the same complete generation, old or new, and nothing else is left."""
    site, docs = root / "site", root / "docs"
    site_files = digests(site, skip=(MARKER,))
    docs_files = digests(docs, skip=("assets/", MANIFEST))
    manifest = json.loads((docs / MANIFEST).read_text())
    label = "old" if site_files == expected(OLD, "site") else "new"
    generation = OLD if label == "old" else NEW
    assert site_files == expected(generation, "site"), site_files
    assert docs_files == expected(generation, "docs"), docs_files
    assert manifest["complete"] and manifest["generation"] == site_generation(site)
    assert manifest["files"] == expected(generation, "docs")
    leftovers = [p.name for folder in (root, docs) for p in folder.iterdir() if p.name.startswith(".")]
    assert leftovers in ([], [MANIFEST]), leftovers
    return label


@pytest.mark.process
@pytest.mark.parametrize("fallback", [False, True], ids=["exchange", "two-renames"])
def test_kill_9_at_every_publication_step_leaves_one_generation(tmp_path: Path, fallback: bool) -> None:
    base = tmp_path / "base"
    make_project(base)
    seen: dict[str, list[int]] = {"old": [], "new": []}
    kill_at = 0
    while True:
        kill_at += 1
        root = tmp_path / f"kill-{kill_at}"
        shutil.copytree(base, root, symlinks=True)
        result = publish_in_child(root, "new", kill_at, fallback)
        if result.returncode == 0:
            total = int(result.stdout.split()[0])
            break
        assert result.returncode == -signal.SIGKILL, result.stderr
        publish.check_pairing(root / "docs", None)
        seen[assert_one_generation(root)].append(kill_at)
        shutil.rmtree(root)
    assert total == kill_at - 1 >= 20, total
    assert seen["old"] and seen["new"], seen  # instants before and after the commit point were both hit


@pytest.mark.process
def test_sigterm_at_every_publication_step_aborts_before_the_commit_point_or_completes_it(tmp_path: Path) -> None:
    base = tmp_path / "base"
    make_project(base)
    outcomes = set()
    for kill_at in range(1, 200):
        root = tmp_path / f"term-{kill_at}"
        shutil.copytree(base, root, symlinks=True)
        result = publish_in_child(root, "new", kill_at, signum=signal.SIGTERM)
        assert result.returncode in (0, 128 + signal.SIGTERM), result.stderr
        assert "Traceback" not in result.stderr and not (root / "docs" / JOURNAL).exists()
        steps, pending = result.stdout.split() if result.returncode == 0 else ("", "")
        label = assert_one_generation(root)  # before any recovery: nothing is left for the next run to finish
        assert (label, pending) in {("old", ""), ("new", str(int(signal.SIGTERM))), ("new", "None")}, (label, pending)
        outcomes.add((label, pending))
        shutil.rmtree(root)
        if pending == "None":
            break
    assert outcomes == {("old", ""), ("new", str(int(signal.SIGTERM))), ("new", "None")}, outcomes


@pytest.mark.process
def test_a_completed_publication_replaces_old_files_and_removes_stale_ones(tmp_path: Path) -> None:
    make_project(tmp_path)
    assert assert_one_generation(tmp_path) == "old"
    result = publish_in_child(tmp_path, "new")
    assert result.returncode == 0, result.stderr
    assert assert_one_generation(tmp_path) == "new"
    assert not (tmp_path / "docs" / "img" / "old-only.png").exists()


def kill_between_site_and_docs(tmp_path: Path) -> Path:
    """A run killed after the site swap, before the docs files moved: the split the issue saw."""
    base = tmp_path / "base"
    make_project(base)
    for kill_at in range(1, 100):
        root = tmp_path / f"split-{kill_at}"
        shutil.copytree(base, root, symlinks=True)
        assert publish_in_child(root, "new", kill_at).returncode == -signal.SIGKILL
        docs_old = json.loads((root / "docs" / MANIFEST).read_text())["files"] == expected(OLD, "docs")
        if site_generation(root / "site") != site_generation(base / "site") and docs_old:
            return root
        shutil.rmtree(root)
    raise AssertionError("no instant between the site swap and the docs moves")


@pytest.mark.process
def test_check_refuses_a_split_whose_staged_files_are_gone_and_build_starts_over(tmp_path: Path) -> None:
    root = kill_between_site_and_docs(tmp_path)
    for staged in (root / "docs").glob(STAGING_PREFIX + "*"):
        shutil.rmtree(staged)
    with pytest.raises(OutputError, match="cut short and cannot be finished.*python -m generator build"):
        publish.check_pairing(root / "docs", None)
    config = Config(image=root / "photo.png", weights="random", out=root / "site", docs=root / "docs",
                    mkdocs_yml=ROOT / "mkdocs.yml")
    with publish.staging(config):
        pass
    assert not (root / "docs" / JOURNAL).exists()
    with pytest.raises(OutputError, match="files of two builds"):
        publish.check_pairing(root / "docs", None)
    assert publish_in_child(root, "new").returncode == 0
    publish.check_pairing(root / "docs", None)
    assert assert_one_generation(root) == "new"


@pytest.mark.process
def test_check_finds_docs_and_site_of_different_generations(tmp_path: Path) -> None:
    make_project(tmp_path)
    other = tmp_path / "other"
    shutil.copytree(tmp_path, other, ignore=shutil.ignore_patterns("other"))
    assert publish_in_child(other, "new").returncode == 0
    shutil.rmtree(tmp_path / "site")
    shutil.copytree(other / "site", tmp_path / "site")
    with pytest.raises(OutputError, match="are not from the same build"):
        publish.check_pairing(tmp_path / "docs", None)
    publish.check_pairing(other / "docs", None)
    with pytest.raises(OutputError, match="are not from the same build"):
        publish.check_pairing(other / "docs", tmp_path / "other-site-that-does-not-exist")


@pytest.mark.process
def test_check_finds_a_docs_file_changed_after_publication(tmp_path: Path) -> None:
    make_project(tmp_path)
    publish.check_published_files(tmp_path / "docs", tmp_path / "site")
    (tmp_path / "docs" / "img" / "a.png").write_text("edited")
    with pytest.raises(OutputError, match=r"img/a.png is not the file published with the site"):
        publish.check_published_files(tmp_path / "docs", tmp_path / "site")


@pytest.mark.process
@pytest.mark.parametrize(("how", "damage"), [
    ("added", lambda site: (site / "extra.html").write_text("<p>7 layers</p>")),
    ("added", lambda site: os.mkfifo(site / "pipe.html")),
    ("missing", lambda site: next(p for p in sorted(site.rglob("*")) if p.is_file() and p.name != MARKER).unlink()),
    ("changed", lambda site: next(p for p in sorted(site.rglob("*")) if p.is_file() and p.name != MARKER).write_text("x")),
    ("changed", lambda site: os.truncate(next(p for p in sorted(site.rglob("*")) if p.is_file() and p.name != MARKER),
                                         ownership.PUBLISHED_FILE_LIMIT + 1)),
], ids=["added-file", "added-fifo", "missing", "changed", "grown-past-the-limit"])
def test_check_finds_a_site_file_added_removed_or_changed_after_publication(tmp_path: Path, how: str, damage) -> None:
    """The site the check vouches for is exactly the one published: a file added beside it counts too."""
    make_project(tmp_path)
    site = publish.check_pairing(tmp_path / "docs", None)
    assert site == tmp_path / "site"
    publish.check_published_files(tmp_path / "docs", site)
    damage(site)
    with pytest.raises(OutputError, match=rf"{re.escape(str(site))}/\S+ is not as published with .*\({how}\)"):
        publish.check_published_files(tmp_path / "docs", site)


def test_a_published_file_is_read_back_in_chunks_and_never_past_its_limit(tmp_path: Path) -> None:
    """A huge file, or a pipe nobody writes to, in a published file's place is neither read nor waited on."""
    def bytes_read() -> int:
        return int(re.search(r"rchar: (\d+)", Path("/proc/self/io").read_text()).group(1))

    huge, pipe, small = tmp_path / "huge.html", tmp_path / "pipe.html", tmp_path / "small.html"
    huge.write_bytes(b"<")
    os.truncate(huge, 3 * 1024**3)
    os.mkfifo(pipe)
    small.write_bytes(b"<p>a page</p>" * 100_000)
    before = bytes_read()
    assert ownership.sha256(huge).startswith("unreadable: published file too large")
    assert "is a FIFO (named pipe), not a regular file" in ownership.sha256(pipe)
    assert bytes_read() - before < 1024**2
    assert ownership.sha256(small) == hashlib.sha256(small.read_bytes()).hexdigest()


@pytest.mark.process
def test_staging_a_live_journal_needs_is_kept_and_abandoned_staging_is_removed(tmp_path: Path) -> None:
    root = kill_between_site_and_docs(tmp_path)
    docs = root / "docs"
    staged = sorted(p for folder in (root, docs) for p in folder.glob(STAGING_PREFIX + "*"))
    assert len(staged) == 2 and (docs / JOURNAL).exists()
    publish.remove_abandoned(root, docs)
    assert all(p.exists() for p in staged)  # the journal needs them to finish the publication
    abandoned = root / f"{STAGING_PREFIX}999999999-abcd"
    abandoned.mkdir()
    stray = docs / ".generated.json.999999999.abcd1234.tmp"
    stray.write_text("half")
    publish.check_pairing(docs, None)
    assert not abandoned.exists() and not stray.exists()
    assert assert_one_generation(root) == "new"


@pytest.mark.process
def test_a_site_replaced_during_the_build_is_not_overwritten(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    with publish.staging(config) as stage:
        shutil.rmtree(config.out)
        config.out.mkdir()
        (config.out / "precious.txt").write_text("someone else's")
        (stage.site).mkdir()
        with pytest.raises(UsageError, match="holds files this tool did not make"):
            publish.publish(stage, config, [])
    assert (config.out / "precious.txt").read_text() == "someone else's"
    assert not list(tmp_path.glob(STAGING_PREFIX + "*")) and not (config.docs / JOURNAL).exists()


@pytest.mark.process
def test_a_generation_another_build_published_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    """The build reads docs/' manifest once, before any work; under the lock it reads it again and compares."""
    config = make_project(tmp_path)
    before = {path: path.read_bytes() for path in sorted(config.docs.rglob("*")) if path.is_file()}
    site_before = site_generation(config.out)
    with publish.staging(config) as stage:
        assert stage.published == read_manifest(config.docs)
        other = replace(stage.published, generation="f" * 32)  # what a second build published in the meantime
        write_manifest(config.docs, other)
        (stage.site).mkdir()
        (stage.docs / "facts.json").write_text("{}")
        with pytest.raises(OutputError, match="another build published into .* while this one ran"):
            publish.publish(stage, config, ["facts.json"])
    assert read_manifest(config.docs) == other and site_generation(config.out) == site_before
    assert {path: path.read_bytes() for path in sorted(config.docs.rglob("*")) if path.is_file()
            if path.name != MANIFEST} == {path: data for path, data in before.items() if path.name != MANIFEST}
    assert not (config.docs / JOURNAL).exists()


@pytest.mark.process
def test_a_docs_file_this_tool_did_not_make_is_not_overwritten(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    (config.docs / "facts.json").write_text("my own")
    with publish.staging(config) as stage:
        (stage.site).mkdir()
        (stage.docs / "facts.json").write_text("{}")
        with pytest.raises(UsageError, match="facts.json exists and was not generated by this tool"):
            publish.publish(stage, config, ["facts.json"])
    assert (config.docs / "facts.json").read_text() == "my own"


@pytest.mark.process
@pytest.mark.parametrize("named", ["../README.md", "/etc/passwd", "assets/static/report.css", ".publish-journal.json", ""])
def test_a_manifest_naming_files_outside_what_we_generate_is_refused_before_any_work(tmp_path: Path, named: str) -> None:
    config = make_project(tmp_path)
    manifest = json.loads((config.docs / MANIFEST).read_text())
    manifest["files"][named] = None
    (config.docs / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(UsageError, match="never generates"):
        publish.preflight(config)
    assert (ROOT / "README.md").is_file() and (config.docs / "assets" / "static" / "report.css").is_file()


@pytest.mark.process
def test_a_journal_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    (config.docs / JOURNAL).write_text(json.dumps({"tool": "resnet18-report", "out": "/", "docs": "/"}))
    with pytest.raises(OutputError, match="not a journal this tool wrote"):
        publish.check_pairing(config.docs, None)


@pytest.mark.process
def test_published_files_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        config = make_project(tmp_path)
    finally:
        os.umask(previous)
    modes = {oct(path.stat().st_mode & 0o777) for path in [*config.docs.rglob("*"), *config.out.rglob("*")]
             if "assets" not in path.parts}
    assert modes == {"0o640", "0o750"}, modes


def test_a_temporary_name_carries_its_owner() -> None:
    name = atomic.temp_path(Path("docs") / ".generated.json").name
    assert atomic.temp_owner(name) == os.getpid()
    assert atomic.temp_owner(".generated.json") is None and atomic.temp_owner("x.1.2.tmp") is None


def replace_folder(docs: Path, folder: str, kind: str, elsewhere: Path) -> None:
    """docs/folder becomes a link to elsewhere, or a plain file."""
    shutil.rmtree(docs / folder, ignore_errors=True)
    if kind == "link":
        (docs / folder).symlink_to(elsewhere)
    else:
        (docs / folder).write_text("a file where a folder was")


@pytest.mark.process
@pytest.mark.parametrize("folder", [FIGURE_FOLDER, DATA_FOLDER])
@pytest.mark.parametrize("kind", ["link", "file"])
def test_a_generated_folder_that_is_a_link_or_a_file_is_refused_before_any_work(tmp_path: Path, folder: str,
                                                                                 kind: str) -> None:
    """Publication renames and unlinks inside img/ and explorer-data/: through a link, it would act elsewhere."""
    config = make_project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.png").write_text("not ours")
    replace_folder(config.docs, folder, kind, elsewhere)
    words = "is a symbolic link" if kind == "link" else "is not a folder"
    with pytest.raises(UsageError, match=rf"{re.escape(str(config.docs / folder))} {words}"):
        publish.preflight(config)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["a.png"] and (elsewhere / "a.png").read_text() == "not ours"


@pytest.mark.process
def test_a_generated_folder_turned_into_a_link_during_the_build_is_not_written_through(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.png").write_text("not ours")
    with publish.staging(config) as stage:
        replace_folder(config.docs, FIGURE_FOLDER, "link", elsewhere)
        (stage.site).mkdir()
        (stage.docs / FIGURE_FOLDER).mkdir()
        (stage.docs / FIGURE_FOLDER / "a.png").write_text("new a")
        with pytest.raises(UsageError, match="is a symbolic link"):
            publish.publish(stage, config, [f"{FIGURE_FOLDER}/a.png"])
    assert sorted(p.name for p in elsewhere.iterdir()) == ["a.png"] and (elsewhere / "a.png").read_text() == "not ours"
    assert not (config.docs / JOURNAL).exists()


@pytest.mark.process
@pytest.mark.parametrize(("make", "words"), [
    (lambda path: path.symlink_to("/dev/zero"), "is a character device, not a regular file, and was not read"),
    (os.mkfifo, "is a FIFO (named pipe), not a regular file, and was not read"),
    (lambda path: path.write_bytes(b"") or os.truncate(path, limits.TREE_FILE_LIMIT + 1), "and was not read"),
], ids=["link-to-dev-zero", "fifo", "over-the-limit"])
def test_a_static_file_that_is_not_a_small_regular_file_is_refused_before_any_work(tmp_path: Path, make,
                                                                                    words: str) -> None:
    """The static assets are copied into every site: /dev/zero there was copied until the disk was full."""
    config = make_project(tmp_path)
    asset = config.docs / "assets" / "static" / "extra" / "asset.css"
    asset.parent.mkdir()
    make(asset)
    with pytest.raises(UsageError, match=rf"static file.*{re.escape(str(asset))}.*{re.escape(words)}"):
        publish.preflight(config)
    with pytest.raises(UsageError, match=re.escape(str(asset))):
        atomic.copy_tree(config.docs / "assets" / "static", tmp_path / "copy", limits.TREE_FILE_LIMIT)


def test_static_files_are_copied_empty_ones_and_links_to_files_included(tmp_path: Path) -> None:
    source = tmp_path / "static"
    (source / "css").mkdir(parents=True)
    (source / "css" / "empty.css").write_bytes(b"")
    (source / "site.js").write_text("let x = 1;")
    (source / "linked.js").symlink_to(source / "site.js")
    atomic.copy_tree(source, tmp_path / "copy", limits.TREE_FILE_LIMIT)
    copied = {p.relative_to(tmp_path / "copy").as_posix(): p.read_bytes() for p in (tmp_path / "copy").rglob("*")
              if p.is_file()}
    assert copied == {"css/empty.css": b"", "site.js": b"let x = 1;", "linked.js": b"let x = 1;"}
    assert not any(p.is_symlink() for p in (tmp_path / "copy").rglob("*"))


def forged_journal(root: Path, victim: Path, **changes: object) -> Path:
    """A journal planted in docs/ that names a folder outside the site, with a staged "site" beside it to swap in."""
    docs = root / "docs"
    generation = "e" * 32
    staged_site = victim.parent / f"{STAGING_PREFIX}999999999-beef" / "site"
    staged_site.mkdir(parents=True)
    (staged_site / MARKER).write_text(json.dumps({"tool": "resnet18-report", "generation": generation}))
    fields = {
        "tool": "resnet18-report", "generation": generation, "out": str(victim), "staged_site": str(staged_site),
        "previous_site": None, "docs": str(docs), "staged_docs": str(docs / f"{STAGING_PREFIX}999999999-beef"),
        "site_link": os.path.relpath(victim, docs), "files": {}, "stale": [], "inputs": None,
        "site_files": {MARKER: hashlib.sha256((staged_site / MARKER).read_bytes()).hexdigest()},
    }
    (docs / JOURNAL).write_text(json.dumps({**fields, **changes}))
    return staged_site


def everything(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): path.read_text() if path.is_file() else "dir"
            for path in sorted(root.rglob("*")) if path.name != JOURNAL}


@pytest.mark.process
@pytest.mark.parametrize("forgery", ["outside-the-site", "staged-docs-elsewhere", "staged-file-not-recorded",
                                     "deletes-a-users-file", "overwrites-a-users-file", "out-is-docs",
                                     "staged-site-not-recorded", "nested-100000-deep"])
def test_a_forged_journal_is_refused_and_nothing_moves(tmp_path: Path, forgery: str) -> None:
    """check and build refuse (exit 7), whatever the journal names: the victim folder and docs/ stay as they were."""
    config = make_project(tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("mine")
    (config.docs / "notes.md").write_text("my notes")
    changes: dict[str, object] = {}
    staged_docs = config.docs / f"{STAGING_PREFIX}999999999-beef"
    if forgery == "staged-docs-elsewhere":
        staged_docs = tmp_path / f"{STAGING_PREFIX}999999999-beef"
        changes = {"out": str(config.out), "site_link": "../site", "staged_docs": str(staged_docs)}
    if forgery in ("staged-file-not-recorded", "overwrites-a-users-file"):
        staged_docs.mkdir()
        (staged_docs / "notes.md").write_text("not what the journal records")
        digest = hashlib.sha256(b"not what the journal records" if forgery != "staged-file-not-recorded" else b"x")
        changes = {"out": str(config.out), "site_link": "../site", "files": {"notes.md": digest.hexdigest()}}
    if forgery == "deletes-a-users-file":
        changes = {"out": str(config.out), "site_link": "../site", "stale": ["notes.md"]}
    staged_site = forged_journal(tmp_path, config.docs if forgery == "out-is-docs" else victim, **changes)
    if forgery == "staged-site-not-recorded":
        (staged_site / "index.html").write_text("<p>34 layers</p>")
    if forgery == "nested-100000-deep":
        (config.docs / JOURNAL).write_text("[" * 100_000 + "]" * 100_000)
    if forgery in ("outside-the-site", "staged-site-not-recorded", "nested-100000-deep"):
        assert site_generation(victim) is None  # the victim holds no marker: today's code would swap it out
    before = everything(tmp_path)
    with pytest.raises(OutputError, match=r"is not a journal this tool wrote \(.+\): nothing was moved"):
        publish.check_pairing(config.docs, None)
    with pytest.raises(OutputError, match="is not a journal this tool wrote"), publish.staging(config):
        pass
    assert everything(tmp_path) == before
    assert (victim / "precious.txt").read_text() == "mine" and (config.docs / "notes.md").read_text() == "my notes"
