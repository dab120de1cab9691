"""The command line as a user meets it: one-line errors, distinct exit codes, nothing lost, nothing run."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pathlib
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import torch
from torchvision.models import resnet18

from generator.pipeline import site
from generator.cli import main
from generator.core.errors import EXIT_CODES
from generator.report.pages import user_text

from .conftest import ROOT, Build, mkdocs_yml_with_missing_page
from .test_build import tree_digest


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m generator ARGS` run in this process: the same main(), without importing torch again per case.

    test_the_real_command_behaves_the_same runs a few of these cases as a separate process too.
    """
    out, err = io.StringIO(), io.StringIO()
    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as done:  # argparse's --help
                code = done.code or 0
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return subprocess.CompletedProcess(["python", "-m", "generator", *args], code, out.getvalue(), err.getvalue())


def process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=ROOT, capture_output=True, text=True, check=False)


class Payload:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_help_explains_each_option_and_lists_the_exit_codes() -> None:
    result = cli("build", "--help")
    assert result.returncode == 0
    for option in ("--image", "--weights", "--seed", "--offline", "--out", "--download-timeout"):
        assert option in result.stdout
    for name, code in EXIT_CODES.items():
        assert f"{code} {name}" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["build", "--colour", "red"], "--colour"),
        (["build", "--seed", "-1"], "--seed"),
        (["build", "--seed", "many"], "--seed"),
        (["build", "--download-timeout", "0"], "--download-timeout"),
        (["frobnicate"], "frobnicate"),
    ],
    ids=["unknown-option", "negative-seed", "non-integer-seed", "zero-timeout", "unknown-command"],
)
def test_bad_options_fail_at_load_with_the_options_name(args: list[str], needle: str) -> None:
    result = cli(*args)
    assert result.returncode == EXIT_CODES["usage"]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], result.stderr


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "٣", ""], ids=["word", "negative", "decimal", "arabic-digit",
                                                                    "empty"])
def test_a_bad_source_date_epoch_is_a_usage_error_before_any_work(value: str) -> None:
    """MkDocs and matplotlib both read it; a value they cannot read crashed the build with a traceback."""
    result = cli("build", "--weights", "random", "--offline", env={"SOURCE_DATE_EPOCH": value})
    assert result.returncode == EXIT_CODES["usage"]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SOURCE_DATE_EPOCH" in lines[0], result.stderr


@pytest.fixture(scope="module")
def previous(built: Build, tmp_path_factory) -> tuple[Path, Path, dict[str, str], dict[str, str]]:
    """An earlier good site and docs that every failing run below must leave as they were."""
    root = tmp_path_factory.mktemp("previous")
    import shutil

    shutil.copytree(built.site, root / "site")
    shutil.copytree(built.docs, root / "docs")
    return root / "site", root / "docs", tree_digest(root / "site"), tree_digest(root / "docs")


def bad_weights(tmp: Path) -> dict[str, tuple[Path, str]]:
    marker = tmp / "payload-ran"
    cases = {}
    malicious = tmp / "evil.pth"
    torch.save({"conv1.weight": Payload(marker)}, malicious)
    cases["malicious-pickle"] = (malicious, "not executed")
    wrong = tmp / "resnet34.pth"
    from torchvision.models import resnet34

    torch.save(resnet34(weights=None).state_dict(), wrong)
    cases["wrong-architecture"] = (wrong, "resnet18")
    html = tmp / "page.pth"
    html.write_text("<!DOCTYPE html><html><body>404</body></html>", encoding="utf-8")
    cases["html-page"] = (html, "HTML")
    truncated = tmp / "truncated.pth"
    buffer = io.BytesIO()
    torch.save(resnet18(weights=None).state_dict(), buffer)
    truncated.write_bytes(buffer.getvalue()[:100_000])
    cases["truncated"] = (truncated, "truncated")
    cases["missing"] = (tmp / "nope.pth", "not found")
    return cases


@pytest.mark.build
@pytest.mark.parametrize("case", ["malicious-pickle", "wrong-architecture", "html-page", "truncated", "missing"])
def test_bad_weights_exit_3_with_one_line_and_change_nothing(case: str, previous, tmp_path: Path) -> None:
    site_dir, docs_dir, site_before, docs_before = previous
    path, needle = bad_weights(tmp_path)[case]
    result = cli("build", "--weights", str(path), "--out", str(site_dir), "--docs", str(docs_dir), "--offline")
    assert result.returncode == EXIT_CODES["weights"], result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and needle.lower() in errors[0].lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "payload-ran").exists()
    assert tree_digest(site_dir) == site_before and tree_digest(docs_dir) == docs_before


@pytest.mark.build
def test_a_tampered_cache_file_is_refused_with_both_hashes(previous, tmp_path: Path) -> None:
    site_dir, docs_dir, site_before, _ = previous
    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    marker = tmp_path / "payload-ran"
    torch.save({"conv1.weight": Payload(marker)}, checkpoints / "resnet18-f37072fd.pth")
    os.truncate(checkpoints / "resnet18-f37072fd.pth", 46_830_571)  # torchvision's size, other bytes: it is hashed
    digest = hashlib.sha256((checkpoints / "resnet18-f37072fd.pth").read_bytes()).hexdigest()
    result = cli("build", "--out", str(site_dir), "--docs", str(docs_dir), "--offline",
                 env={"TORCH_HOME": str(tmp_path / "torch")})
    assert result.returncode == EXIT_CODES["weights"], result.stderr
    assert digest in result.stderr and "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec" in result.stderr
    assert not marker.exists() and tree_digest(site_dir) == site_before


@pytest.mark.build
def test_imagenet_without_cache_offline_says_where_to_put_the_file(previous, tmp_path: Path) -> None:
    site_dir, docs_dir, site_before, _ = previous
    result = cli("build", "--weights", "imagenet", "--offline", "--out", str(site_dir), "--docs", str(docs_dir),
                 env={"TORCH_HOME": str(tmp_path)})
    assert result.returncode == EXIT_CODES["weights"]
    assert str(tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth") in result.stderr
    assert tree_digest(site_dir) == site_before


@pytest.mark.build
@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"", "empty"), (b"just some text\n", "not an image"), (None, "not found")],
    ids=["zero-byte", "text", "missing"],
)
def test_bad_images_exit_4_with_one_line_and_change_nothing(content, needle, previous, tmp_path: Path) -> None:
    site_dir, docs_dir, site_before, docs_before = previous
    image = tmp_path / "photo.jpg"
    if content is not None:
        image.write_bytes(content)
    result = cli("build", "--image", str(image), "--out", str(site_dir), "--docs", str(docs_dir), "--offline")
    assert result.returncode == EXIT_CODES["image"], result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and needle in errors[0].lower(), result.stderr
    assert tree_digest(site_dir) == site_before and tree_digest(docs_dir) == docs_before


@pytest.mark.build
def test_a_failing_site_build_exits_6(previous, tmp_path: Path) -> None:
    site_dir, docs_dir, site_before, _ = previous
    yml = mkdocs_yml_with_missing_page(tmp_path)
    result = cli("build", "--offline", "--no-notebook-execution", "--out", str(site_dir), "--docs", str(docs_dir),
                 "--mkdocs-yml", str(yml))
    assert result.returncode == EXIT_CODES["site"], result.stderr
    assert "mkdocs build --strict failed" in result.stderr
    assert tree_digest(site_dir) == site_before


def test_templates_refuse_missing_values(built: Build) -> None:
    from generator.report.figure_names import figure_files
    from generator.report.pages import environment

    env = environment("es", built.facts, figure_files(built.facts, "es"))
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ no_such_value }}").render()
    with pytest.raises(KeyError, match="no_such_key"):
        env.from_string("{{ t('no_such_key') }}").render()


def test_user_text_cannot_inject_html_or_links() -> None:
    hostile = '<img src=x onerror=alert(1)>[click](javascript:alert(1))'
    escaped = str(user_text(hostile))
    assert "<" not in escaped and "](" not in escaped


def test_progress_is_shown_while_building(built: Build, capsys) -> None:
    """Every stage of the shared build said what it was doing, in order, on stderr with a timestamp."""
    stages = ["inputs:", "notebook: executing", "weights:", "image:", "model:", "figure 1/", "notebook: writing",
              "check:", "site: mkdocs build", "publish:", "done:"]
    positions = [next(i for i, line in enumerate(built.progress) if line.startswith(stage)) for stage in stages]
    assert positions == sorted(positions), built.progress
    assert not any("WARNING: ImageNet weights not found" in line for line in built.progress)
    site.Progress()("figure 3/11: scheme.png")
    assert re.fullmatch(r"\[\s*[0-9]+\.[0-9]s\] figure 3/11: scheme\.png\n", capsys.readouterr().err)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("root:x:0:0:root:/root:/bin/bash\n", "not a MkDocs configuration"),
        ("a: [1, 2\n", "not valid YAML"),
        ("markdown_extensions: 5\n", "markdown_extensions that is not a list"),
        ("markdown_extensions:\n  - [toc]\n", "neither a name nor a name with settings"),
        ("", "is empty (0 bytes)"),
        ("# only a comment\n", "has no `theme` with `name: material`"),
        ("- nav\n- plugins\n- theme\n", "not a MkDocs configuration"),
        ("[" * 100_000 + "]" * 100_000, "nests too deeply"),
    ],
    ids=["not-a-mapping", "yaml-error", "extensions-not-a-list", "extension-not-a-name", "empty", "comment-only",
         "a-list", "nested-100000-deep"],
)
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_mkdocs_yml_mkdocs_cannot_use_is_refused_in_one_line(command: str, text: str, needle: str, tmp_path: Path) -> None:
    yml = tmp_path / "mkdocs.yml"
    yml.write_text(text, encoding="utf-8")
    result = cli(command, "--offline", "--mkdocs-yml", str(yml), "--docs", str(tmp_path / "docs"))
    assert result.returncode == EXIT_CODES["usage"], result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr, result.stderr


def project_yml_without(tmp_path: Path, old: str, new: str) -> Path:
    """The project's mkdocs.yml with one edit, written into tmp_path."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert old in text
    yml = tmp_path / "mkdocs.yml"
    yml.write_text(text.replace(old, new), encoding="utf-8")
    return yml


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("\nnav:\n", "\nnot_nav:\n", "has no `nav`"),
        ("  name: material\n", "  name: readthedocs\n", "has no `theme` with `name: material`"),
        ("  - tables\n", "", "lacks the Markdown extensions tables"),
        ("  - mkdocs-jupyter:\n", "  - not-jupyter:\n", "lacks the plugins mkdocs-jupyter"),
        ("hooks:\n", "not_hooks:\n", "does not list generator/pipeline/mkdocs_hooks.py"),
        ('            not_found: "404: page not found"\n', "", "has no `extra.not_found` for the `en` language"),
        ("        - locale: en\n", "        - locale: fr\n", "has no `en` language"),
        ("# Project information\n", "INHERIT: mkdocs.yml\n", "a chain of more than 8"),
    ],
    ids=["no-nav", "other-theme", "no-tables", "no-jupyter", "no-hooks", "no-404-text", "no-english", "inherit-cycle"],
)
def test_a_mkdocs_yml_without_what_the_build_needs_is_refused_before_any_work(old: str, new: str, needle: str,
                                                                              tmp_path: Path) -> None:
    yml = project_yml_without(tmp_path, old, new)
    result = cli("check", "--offline", "--mkdocs-yml", str(yml), "--docs", str(tmp_path / "docs"))
    assert result.returncode == EXIT_CODES["usage"], result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_huge_mkdocs_yml_is_refused_unread(command: str, tmp_path: Path) -> None:
    """400 MB (sparse here: no disk used) is refused by its size, before YAML sees a byte."""
    yml = tmp_path / "mkdocs.yml"
    with yml.open("wb") as handle:
        handle.write(b"site_name: x\n")
        handle.truncate(400 * 1024**2)
    result = cli(command, "--offline", "--mkdocs-yml", str(yml), "--docs", str(tmp_path / "docs"))
    assert result.returncode == EXIT_CODES["usage"], result.stderr
    assert "too large" in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.process
@pytest.mark.parametrize(
    "args",
    [["build", "--help"], ["build", "--seed", "many"], ["frobnicate"], ["check", "--weights", "/no/such/file.pth", "--offline"]],
    ids=["help", "bad-option", "unknown-command", "missing-weights"],
)
def test_the_real_command_behaves_the_same(args: list[str]) -> None:
    """The in-process runner above stands for the real command: same exit code, same output."""
    real, here = process(*args), cli(*args)
    assert (real.returncode, real.stdout, real.stderr) == (here.returncode, here.stdout, here.stderr)
