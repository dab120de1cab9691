"""The helper processes (MkDocs, the notebook kernel) start with the build and never outlive a build that failed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.pipeline import mkdocs_child, site
from generator.core.errors import WeightsError
from generator.report import compute

from .conftest import ROOT, Build, make_config
from .test_signals import alive, children


@pytest.mark.process
@pytest.mark.parametrize("said", ["", "stop\n"], ids=["input-ended", "another-word"])
def test_the_child_writes_nothing_unless_told_to_build(built: Build, tmp_path: Path, said: str) -> None:
    workdir = tmp_path / "staging"
    workdir.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "generator.pipeline.mkdocs_child", str(ROOT / "mkdocs.yml"), str(built.docs),
         str(workdir / "site"), str(os.getpid()), mkdocs_child.READ],
        cwd=workdir, env={**os.environ, "PYTHONPATH": str(ROOT)}, input=said, capture_output=True, text=True,
        check=False, timeout=120,
    )
    assert result.returncode == mkdocs_child.NOT_TOLD, result.stderr
    assert list(workdir.iterdir()) == []


def wait_for_child(needle: bytes) -> list[int]:
    deadline = time.monotonic() + 120
    while not (found := children(os.getpid(), needle)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


@pytest.mark.build
def test_helpers_started_early_die_when_the_build_fails_before_using_them(tmp_path: Path, monkeypatch) -> None:
    """The weights fail while both helpers run: the kernel waits for the weights, so it is certainly alive then
    (failed any later, the kernel may have run every cell and ended on its own, and the test would prove nothing)."""
    seen: dict[str, list[int]] = {}

    def fail_while_the_helpers_run(*args: object, **kwargs: object) -> None:
        seen["mkdocs"] = wait_for_child(b"generator.pipeline.mkdocs_child")
        seen["kernel"] = wait_for_child(b"ipykernel")
        raise WeightsError("broken on purpose, before the docs are complete")

    monkeypatch.setattr(compute, "resolve_weights", fail_while_the_helpers_run)
    config = make_config(tmp_path)
    with pytest.raises(WeightsError, match="broken on purpose"):
        site.build(config, site.Progress(quiet=True))
    assert seen["mkdocs"] and seen["kernel"], seen
    assert not [pid for pids in seen.values() for pid in pids if alive(pid)], "a helper outlived the failed build"
    assert not (config.out).exists() and not list(config.out.parent.glob(".site-build-*"))
