"""The project installs as a package, so a reader can run the notebook page outside this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.mark.process
def test_the_package_installs_with_its_templates_translations_and_sources(tmp_path: Path) -> None:
    source = tmp_path / "project"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "generator", source / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(wheels), str(source)],
        check=True, capture_output=True, text=True,
    )
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    packaged = {path.relative_to(ROOT).as_posix() for path in (ROOT / "generator").rglob("*")
                if path.is_file() and "__pycache__" not in path.parts}
    assert packaged <= names, sorted(packaged - names)
    required = {line.split("==")[0] for line in (ROOT / "requirements.txt").read_text().splitlines()
                if line and not line.startswith("#")}
    assert {line.split(": ", 1)[1].split("==")[0] for line in metadata.splitlines() if line.startswith("Requires-Dist")} == required

    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import generator, generator.report.pages as p, generator.core.sources as s\n"
        "from generator.core.config import sample_image\n"
        "from generator.inputs.image import load_image\n"
        "from generator.model.resnet import build_model, preprocess, run\n"
        "from generator.inputs.weights import resolve_weights\n"
        "assert p.translations('es')['notebook_intro'] and s.all_quotes() and s.report_text()\n"
        "assert (p.TEMPLATES / 'es' / 'index.md.j2').is_file()\n"
        "print(generator.__file__)"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(target)}, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(target))
