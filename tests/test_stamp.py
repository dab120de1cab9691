"""The build's input digests: any change to any input changes them, and the right one of the three."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from PIL import Image

from generator.pipeline import stamp
from generator.core import imagenet

from .conftest import ROOT, make_config


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of the package and of mkdocs.yml that a test may edit, and a config that reads them."""
    package = tmp_path / "generator"
    shutil.copytree(ROOT / "generator", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(stamp, "PACKAGE", package)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    shutil.copy2(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    image = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(image)
    config = make_config(tmp_path / "run", image=image, mkdocs_yml=tmp_path / "mkdocs.yml")
    return tmp_path, config


def keys(config, tmp_path: Path) -> stamp.InputKeys:
    return stamp.input_keys(config, tmp_path / "run" / "docs" / "assets" / "static")


def test_the_same_inputs_give_the_same_digests(project) -> None:
    tmp_path, config = project
    assert keys(config, tmp_path) == keys(config, tmp_path)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "part"),
    [
        ("seed", "compute"), ("notebook-option", "compute"), ("download-option", "compute"),
        ("installed-package", "compute"), ("image-bytes", "compute"), ("image-name", "compute"),
        ("weights-choice", "compute"), ("generator-code", "compute"), ("cited-data", "compute"),
        ("template", "prose"), ("translation", "prose"),
        ("mkdocs-yml", "site"), ("static-asset", "site"),
    ],
)
def test_each_kind_of_input_changes_its_own_digest(project, monkeypatch: pytest.MonkeyPatch, change: str,
                                                   part: str) -> None:
    tmp_path, config = project
    before = keys(config, tmp_path)
    package = stamp.PACKAGE
    if change == "seed":
        config = replace(config, seed=1)
    elif change == "notebook-option":
        config = replace(config, execute_notebook=False)
    elif change == "download-option":
        config = replace(config, allow_download=True)
    elif change == "installed-package":  # any package, not only those we know shape an output
        site = tmp_path / "site-packages"
        (site / "pygments-99.0.dist-info").mkdir(parents=True)
        monkeypatch.syspath_prepend(str(site))
    elif change == "image-bytes":
        Image.new("RGB", (40, 30), (200, 10, 11)).save(config.image)
    elif change == "image-name":
        config = replace(config, image=config.image.rename(config.image.with_name("other.png")))
    elif change == "weights-choice":
        config = replace(config, weights="auto", allow_download=False)
    elif change == "generator-code":
        append(package / "report/figures.py", "\n")
    elif change == "cited-data":
        append(package / "data" / "report.md", " ")
    elif change == "template":
        append(package / "templates" / "es" / "maps.md.j2", "\n")
    elif change == "translation":
        text = (package / "translations" / "en.json").read_text(encoding="utf-8")
        (package / "translations" / "en.json").write_text(text.replace("Yes", "Yes!"), encoding="utf-8")
    elif change == "mkdocs-yml":
        append(tmp_path / "mkdocs.yml", "\n# edited\n")
    else:
        append(tmp_path / "run" / "docs" / "assets" / "static" / "report.css", "\n")
    after = keys(config, tmp_path)
    changed = {name for name in ("compute", "prose", "site") if getattr(before, name) != getattr(after, name)}
    assert changed == {part}


def test_a_users_weights_file_is_its_name_and_bytes(project) -> None:
    tmp_path, config = project
    weights = tmp_path / "w.pth"
    torch.save({"x": torch.zeros(2)}, weights)
    first = keys(replace(config, weights=str(weights)), tmp_path)
    torch.save({"x": torch.ones(2)}, weights)
    assert keys(replace(config, weights=str(weights)), tmp_path).compute != first.compute


def test_the_cached_imagenet_file_counts_and_so_does_allowing_a_download(project) -> None:
    tmp_path, config = project
    offline = replace(config, weights="auto", allow_download=False)
    absent = keys(offline, tmp_path)
    cached = imagenet.imagenet_cache_path()
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the real file, but a file")
    assert keys(offline, tmp_path).compute != absent.compute
    cached.unlink()
    online = replace(offline, allow_download=True)
    assert keys(online, tmp_path).compute != absent.compute
    assert keys(online, tmp_path) == keys(online, tmp_path)  # a failed download is not retried until --force


@pytest.mark.process
def test_the_digests_need_no_torch() -> None:
    import subprocess

    probe = "import sys, generator.pipeline.stamp; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
