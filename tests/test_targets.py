"""Where a build may write: it never replaces what it did not make, and says so in one line before any work.

Commands that a regression could turn destructive (`--out .`) run inside a
throwaway copy of the project, never in this checkout. Unwritable places are
real: the child obeys permission bits (as root it first drops the capabilities
that let root ignore them).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.core.config import Config
from generator.core.errors import EXIT_CODES, UsageError
from generator.publish import generation as publish
from generator.publish.journal import STAGING_PREFIX, Manifest, write_manifest
from generator.publish.ownership import MANIFEST, MARKER, check_out, site_generation

from .conftest import ROOT, mkdocs_yml_in


def tree_digest(folder: Path) -> dict[str, str]:
    """Every entry under folder, links included (unfollowed), with its content or target."""
    digest = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            digest[str(path.relative_to(folder))] = "-> " + os.readlink(path)
        elif path.is_file():
            digest[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest[str(path.relative_to(folder))] = "dir"
    return digest


def project_copy(root: Path) -> Path:
    """A throwaway checkout: the package, mkdocs.yml, static assets, a tests folder, a README and a .git."""
    shutil.copytree(ROOT / "generator", root / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "docs" / "assets" / "static", root / "docs" / "assets" / "static")
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    (root / "README.md").write_text("readme\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return root


def generator_cli(cwd: Path, *args: str, env: dict[str, str] | None = None,
                  preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True, check=False,
        env={**os.environ, **(env or {})}, preexec_fn=preexec_fn, timeout=600,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.process
@pytest.mark.parametrize(
    ("out", "needle"),
    [
        (".", "is the project folder"),
        ("..", "contains the project folder"),
        ("docs", "is the docs folder"),
        ("docs/assets", "is inside the docs folder"),
        ("docs/new", "is inside the docs folder"),
        ("generator", "is the generator package"),
        ("generator/site", "is inside the generator package"),
        ("tests", "holds files this tool did not make"),
        ("README.md", "is not a folder"),
        ("other", "holds files this tool did not make"),
        ("link-to-empty", "is a symbolic link"),
    ],
)
def test_an_out_this_tool_did_not_make_is_refused_before_any_work(tmp_path: Path, out: str, needle: str) -> None:
    project = project_copy(tmp_path / "project")
    (project / "other").mkdir()
    (project / "other" / "precious.txt").write_text("mine")
    (project / "empty").mkdir()
    (project / "link-to-empty").symlink_to(project / "empty")
    before = tree_digest(tmp_path)
    result = generator_cli(project, "build", "--offline", "--weights", "random", "--out", out)
    assert result.returncode == EXIT_CODES["usage"], result.stderr
    line = one_error_line(result)
    assert line.startswith("error: --out ") and needle in line, line
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize(("out", "needle"), [("/", "is the filesystem root"), ("/proc", "is a mount point")])
def test_system_folders_are_refused_by_the_check_itself(tmp_path: Path, out: str, needle: str) -> None:
    """Checked without running a build: a regression here must not get as far as touching them."""
    config = config_in(tmp_path, Path(out))
    with pytest.raises(UsageError, match=f"--out {out} {needle}"):
        check_out(config)


@pytest.mark.process
def test_an_out_holding_the_mkdocs_config_or_the_docs_folder_is_refused(tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    (project / "conf").mkdir()
    shutil.copy(project / "mkdocs.yml", project / "conf" / "mkdocs.yml")
    shutil.copytree(project / "docs", project / "work" / "docs")
    before = tree_digest(tmp_path)
    cases = [(["--mkdocs-yml", "conf/mkdocs.yml", "--out", "conf"], "is the folder of --mkdocs-yml"),
             (["--docs", "work/docs", "--out", "work"], "contains the docs folder (--docs)")]
    for args, needle in cases:
        result = generator_cli(project, "build", "--offline", *args)
        assert result.returncode == EXIT_CODES["usage"] and needle in one_error_line(result), result.stderr
    assert tree_digest(tmp_path) == before


def published_site(config: Config, out: Path, files: dict[str, str]) -> str:
    """A site as publication leaves it: its files and marker in out, each with its digest in docs/' manifest."""
    generation = uuid.uuid4().hex
    for relative, text in {**files, MARKER: json.dumps({"tool": "resnet18-report", "generation": generation})}.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(text)
    write_manifest(config.docs, Manifest(generation=generation, site=os.path.relpath(out, config.docs),
                                         site_files=publish.tree_digests(out)))
    return generation


def config_in(root: Path, out: Path) -> Config:
    shutil.copytree(ROOT / "docs" / "assets" / "static", root / "docs" / "assets" / "static", dirs_exist_ok=True)
    return Config(image=root / "photo.png", weights="random", out=out, docs=root / "docs", mkdocs_yml=ROOT / "mkdocs.yml")


@pytest.mark.parametrize("kind", ["missing", "missing-parents", "empty", "ours", "ours-less-a-file", "legacy"])
def test_an_out_this_tool_may_replace_is_accepted(tmp_path: Path, kind: str) -> None:
    out = tmp_path / ("a/b/site" if kind == "missing-parents" else "site")
    config = config_in(tmp_path, out)
    if kind == "empty":
        out.mkdir()
    if kind in ("ours", "ours-less-a-file"):
        published_site(config, out, {"index.html": "old", "en/index.html": "old en"})
    if kind == "ours-less-a-file":
        (out / "en" / "index.html").unlink()
    if kind == "legacy":
        out.mkdir()
        (out / "index.html").write_text("old")
        (out / "facts.json").write_text('{"a": 1}')
        (config.docs / "facts.json").write_text('{"a": 1}')
        (config.docs / MANIFEST).write_text(json.dumps(["facts.json", "index.es.md"]))
    publish.preflight(config)
    assert not [p for p in tmp_path.rglob(STAGING_PREFIX + "*")]


@pytest.mark.parametrize("kind", ["facts-differ", "no-list-manifest", "foreign-marker", "marker-is-a-folder"])
def test_a_site_without_proof_of_ownership_is_refused(tmp_path: Path, kind: str) -> None:
    config = config_in(tmp_path, tmp_path / "site")
    config.out.mkdir()
    (config.out / "index.html").write_text("old")
    (config.out / "facts.json").write_text('{"a": 1}')
    (config.docs / "facts.json").write_text('{"a": 2}' if kind == "facts-differ" else '{"a": 1}')
    if kind != "no-list-manifest":
        (config.docs / MANIFEST).write_text(json.dumps(["facts.json"]))
    if kind == "foreign-marker":
        (config.docs / "facts.json").write_text('{"a": 2}')
        (config.out / MARKER).write_text(json.dumps({"tool": "someone-else", "generation": "abc"}))
    if kind == "marker-is-a-folder":
        (config.docs / "facts.json").write_text('{"a": 2}')
        (config.out / MARKER).mkdir()
    before = tree_digest(tmp_path)
    with pytest.raises(UsageError, match="holds files this tool did not make"):
        publish.preflight(config)
    assert tree_digest(tmp_path) == before


PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def without_permission_override() -> None:
    """Run the child as a user whom permission bits bind: root drops the capabilities that let it ignore them.

    (Switching to "nobody" is not enough here: the interpreter lives under /root, which nobody cannot read.)
    """
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop the capability to override permissions")


@pytest.mark.process
@pytest.mark.parametrize(
    ("place", "code", "needle"),
    [
        ("out-parent", "output", "cannot write in the folder of --out"),
        ("docs", "output", "cannot write in --docs"),
        ("mkdocs-yml", "usage", "--mkdocs-yml: cannot read"),
    ],
)
def test_an_unwritable_or_unreadable_place_is_named_in_one_line(tmp_path: Path, place: str, code: str,
                                                                   needle: str) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs" / "assets" / "static", docs / "assets" / "static")
    (tmp_path / "parent").mkdir()
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    locked = {"out-parent": tmp_path / "parent", "docs": docs, "mkdocs-yml": tmp_path / "mkdocs.yml"}[place]
    locked.chmod(0o000 if place == "mkdocs-yml" else 0o555)
    before = tree_digest(tmp_path)
    try:
        result = generator_cli(ROOT, "build", "--offline", "--weights", "random",
                               "--out", str(tmp_path / "parent" / "site"), "--docs", str(docs),
                               "--mkdocs-yml", str(tmp_path / "mkdocs.yml"), preexec_fn=without_permission_override)
    finally:
        locked.chmod(0o755)
    assert result.returncode == EXIT_CODES[code], result.stderr
    line = one_error_line(result)
    assert needle in line and "Permission denied" in line, line
    assert tree_digest(tmp_path) == before


@pytest.mark.process
def test_a_build_across_filesystems_follows_the_umask_and_writes_nothing_beside_mkdocs_yml(tmp_path: Path) -> None:
    """--out on a tmpfs, docs on disk, mkdocs.yml in a folder the build cannot write: two builds, one generation each."""
    shm = Path(tempfile.mkdtemp(prefix="h2-xdev-", dir="/dev/shm"))
    config_dir = tmp_path / "config"
    try:
        assert shm.stat().st_dev != tmp_path.stat().st_dev, "/dev/shm is not another filesystem here"
        out = shm / "site"
        docs = tmp_path / "docs"
        shutil.copytree(ROOT / "docs" / "assets" / "static", docs / "assets" / "static")
        config_dir.mkdir()
        mkdocs_yml_in(config_dir)
        config_dir.chmod(0o555)

        def child() -> None:
            os.umask(0o027)
            without_permission_override()

        generations = []
        for seed in ("0", "1"):
            result = generator_cli(tmp_path, "build", "--offline", "--weights", "random", "--seed", seed,
                                   "--no-notebook-execution", "--no-pdf", "--quiet", "--out", str(out), "--docs", "docs",
                                   "--mkdocs-yml", str(config_dir / "mkdocs.yml"), env={"PYTHONPATH": str(ROOT)},
                                   preexec_fn=child)
            assert result.returncode == 0, result.stderr
            generations.append(site_generation(out))
            manifest = json.loads((docs / MANIFEST).read_text())
            assert manifest["generation"] == generations[-1] and manifest["complete"]
        assert generations[0] != generations[1]
        assert os.listdir(config_dir) == ["mkdocs.yml"]
        assert sorted(p.name for p in shm.iterdir()) == ["site"]
        assert sorted(p.name for p in docs.iterdir() if p.name.startswith(".")) == [MANIFEST]
        made = [out, *out.rglob("*"), *(p for p in docs.rglob("*") if p.relative_to(docs).parts[0] != "assets")]
        modes = {(stat.S_IMODE(p.lstat().st_mode), p.is_dir()) for p in made}
        assert modes == {(0o640, False), (0o750, True)}, modes
        for folder in (out, docs):
            assert json.loads((folder / "facts.json").read_text())["provenance"]["weights"]["seed"] == 1
    finally:
        config_dir.chmod(0o755)
        shutil.rmtree(shm, ignore_errors=True)


@pytest.mark.process
def test_a_full_disk_is_one_line_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """A file-size limit makes every write past 20 kB fail as a full disk would (EFBIG instead of ENOSPC)."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs" / "assets" / "static", docs / "assets" / "static")
    before = tree_digest(tmp_path)

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    result = generator_cli(ROOT, "build", "--offline", "--weights", "random", "--no-notebook-execution", "--no-pdf",
                           "--quiet", "--out", str(tmp_path / "site"), "--docs", str(docs), preexec_fn=limited)
    assert result.returncode == EXIT_CODES["output"], result.stderr
    line = one_error_line(result)
    assert "cannot write" in line and "File too large" in line, line
    assert tree_digest(tmp_path) == before


@pytest.mark.process
def test_relative_paths_and_the_project_defaults_work_from_another_directory(tmp_path: Path) -> None:
    """From outside the project (PYTHONPATH names it): relative --image and --weights, the project's docs and site."""
    import torch
    from PIL import Image
    from torchvision.models import resnet18

    project = project_copy(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(elsewhere / "photo.png")
    torch.manual_seed(3)
    torch.save(resnet18(weights=None).state_dict(), elsewhere / "weights.pth")
    result = generator_cli(elsewhere, "build", "--offline", "--weights", "weights.pth", "--image", "photo.png",
                           "--no-pdf", "--quiet", env={"PYTHONPATH": str(project)})
    assert result.returncode == 0, result.stderr
    facts = json.loads((project / "site" / "facts.json").read_text())
    assert facts["provenance"]["image"]["name"] == "photo.png"
    assert facts["provenance"]["weights"]["file_name"] == "weights.pth" and facts["provenance"]["weights"]["kind"] == "file"
    assert str(elsewhere) not in json.dumps(facts)
    notebook = (project / "docs" / "notebook.en.ipynb").read_text()
    assert '"output_type": "error"' not in notebook and "matches the output (torch.allclose): yes" in notebook
    assert sorted(p.name for p in elsewhere.iterdir()) == ["photo.png", "weights.pth"]


@pytest.mark.process
def test_without_a_project_beside_the_package_the_defaults_say_how_to_run(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "generator", tmp_path / "installed" / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    result = generator_cli(tmp_path, "build", "--offline", env={"PYTHONPATH": str(tmp_path / "installed")})
    assert result.returncode == EXIT_CODES["usage"], result.stderr
    line = one_error_line(result)
    assert "no mkdocs.yml beside the generator package" in line and "pass --docs, --mkdocs-yml and --out" in line


def forge(config: Config, kind: str) -> None:
    """An --out whose marker or manifest says "ours" while it holds, or is, something this tool did not publish."""
    out = config.out
    if kind == "hand-made-marker":  # the sample: a thesis and a marker written by hand, no manifest
        out.mkdir()
        (out / "thesis.tex").write_text("my thesis")
        (out / MARKER).write_text(json.dumps({"tool": "resnet18-report", "generation": uuid.uuid4().hex}))
        return
    generation = published_site(config, out, {"index.html": "site", "img/a.png": "png"})
    if kind == "real-generation":  # the marker copied from a real site: the generation docs/ records
        (out / "thesis.tex").write_text("my thesis")
    elif kind == "edited":
        (out / "index.html").write_text("my own page now")
    elif kind == "other-generation":
        (out / MARKER).write_text(json.dumps({"tool": "resnet18-report", "generation": uuid.uuid4().hex}))
    elif kind == "empty-folder":
        (out / "drafts").mkdir()
    elif kind == "link":
        (out / "img" / "b.png").symlink_to(out / "img" / "a.png")
    elif kind == "no-manifest":
        (config.docs / MANIFEST).unlink()
    assert site_generation(out) in (generation, None) or kind == "other-generation"


@pytest.mark.parametrize("kind", ["hand-made-marker", "real-generation", "edited", "other-generation", "empty-folder",
                                  "link", "no-manifest"])
def test_a_marker_proves_nothing_without_every_file_in_the_manifest(tmp_path: Path, kind: str) -> None:
    """Only a folder holding nothing but the site docs/ records, digest for digest, is replaced."""
    config = config_in(tmp_path, tmp_path / "site")
    forge(config, kind)
    before = tree_digest(tmp_path)
    with pytest.raises(UsageError, match=r"^--out \S+ holds files this tool did not make \(.+\); pass a new"):
        publish.preflight(config)
    assert tree_digest(tmp_path) == before


@pytest.mark.process
def test_a_forged_marker_beside_a_users_file_is_refused_by_build(tmp_path: Path) -> None:
    """The issue's sample, end to end: `build --out` exits 2 in one line and thesis.tex is still there."""
    project = project_copy(tmp_path / "project")
    config = config_in(project, project / "thesis")
    forge(config, "hand-made-marker")
    before = tree_digest(tmp_path)
    result = generator_cli(project, "build", "--offline", "--weights", "random", "--out", "thesis")
    assert result.returncode == EXIT_CODES["usage"], result.stderr
    assert "thesis.tex is not a file of the site" in one_error_line(result)
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("what", [MARKER, MANIFEST])
@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_a_deeply_nested_marker_or_manifest_is_refused_in_one_line(tmp_path: Path, what: str, depth: int) -> None:
    config = config_in(tmp_path, tmp_path / "site")
    config.out.mkdir()
    (config.out / "index.html").write_text("mine")
    (config.out if what == MARKER else config.docs).joinpath(what).write_text("[" * depth + "]" * depth)
    assert site_generation(config.out) is None
    with pytest.raises(UsageError, match="holds files this tool did not make|is not a manifest this tool wrote"):
        publish.preflight(config)
