"""Data flows one way: each stage imports only what comes before it."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from .conftest import ROOT


@cache
def modules_after_import(module: str) -> frozenset[str]:
    """The modules a fresh interpreter holds after importing module (asked once per module per worker)."""
    probe = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return frozenset(json.loads(result.stdout))


@pytest.mark.process
@pytest.mark.parametrize("module", ["generator.model.resnet", "generator.report.facts", "generator.report.figures"])
def test_model_facts_and_figures_never_load_the_weights_or_download_code(module: str) -> None:
    loaded = modules_after_import(module)
    assert module in loaded
    assert not {"generator.inputs.download", "generator.inputs.weights"} & loaded


@pytest.mark.process
def test_pages_do_not_draw(tmp_path) -> None:
    loaded = modules_after_import("generator.report.pages")
    assert "generator.report.pages" in loaded and not any(name.split(".")[0] == "matplotlib" for name in loaded)


@pytest.mark.process
def test_the_command_line_refuses_before_importing_torch() -> None:
    loaded = modules_after_import("generator.cli")
    assert "generator.cli" in loaded and "torch" not in loaded and "generator.pipeline.site" not in loaded


@pytest.mark.process
def test_facts_and_pages_need_no_torch() -> None:
    """A build that only changed prose writes pages from stored facts without importing torch."""
    loaded = modules_after_import("generator.report.pages")
    assert "generator.report.facts" in loaded and "torch" not in loaded


def test_the_sample_image_is_matplotlibs_own() -> None:
    import matplotlib.cbook

    from generator.core.config import sample_image

    assert sample_image() == Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    assert sample_image().is_file()
