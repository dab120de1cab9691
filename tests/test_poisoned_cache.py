"""The cache in ~/.cache/resnet18-report is anyone's to edit: --force reads none of it, and the gate never trusts it.

The report's sample: family entries edited so that resnet152 has 153 weighted
layers (the build's and the check's alike) made `build --force` publish it.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from generator.pipeline import site
from generator.pipeline.mkdocs_child import READ, WRITE_ONLY, SiteBuild
from generator.core import cache
from generator.core.errors import MismatchError

from .conftest import Build, RecordingProgress
from .test_reuse import tree


def one_pixel_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    return buffer.getvalue()


POISON_PNG = base64.b64encode(one_pixel_png())  # a figure entry as the cache stores it, of another picture


def poisoned_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this worker's cache with every entry the report edited edited the same way; it is the cache now."""
    folder = tmp_path / "xdg" / "resnet18-report"
    shutil.copytree(cache.cache_folder(), folder)
    families = list(folder.glob("family-*.json"))
    figures = list(folder.glob("figure-*.json"))
    assert families and figures  # the shared build left them: without them this test would prove nothing
    for entry in families:
        family = json.loads(entry.read_text(encoding="utf-8"))
        family["models"][4]["weighted_layers"] = 153
        entry.write_text(json.dumps(family), encoding="utf-8")
    for entry in folder.glob("check-family-*.json"):  # what the check read before it stopped reading the cache
        values, failures = json.loads(entry.read_text(encoding="utf-8"))
        values["family.models.4.weighted_layers"] = 153
        entry.write_text(json.dumps([values, failures]), encoding="utf-8")
    for entry in figures:
        entry.write_bytes(POISON_PNG)
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder.parent))
    return folder


def published_depth(build: Build) -> int:
    return json.loads((build.docs / "facts.json").read_text(encoding="utf-8"))["family"]["models"][4]["weighted_layers"]


@pytest.mark.build
def test_force_reads_no_cache_entry_however_it_was_edited(editable_build: Build, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    poisoned_cache(tmp_path, monkeypatch)
    config = replace(editable_build.config, reuse_published=False, execute_notebook=False)
    site.build(config, RecordingProgress())
    assert published_depth(editable_build) == 152
    figures = {path.name: path.read_bytes() for path in (editable_build.docs / "img").glob("*.png")}
    assert base64.b64decode(POISON_PNG) not in figures.values()


@pytest.mark.build
def test_the_gate_derives_its_own_values_when_the_writer_reads_an_edited_entry(
        editable_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --force the writer may reuse an entry; the gate before publication re-derives and refuses it."""
    poisoned_cache(tmp_path, monkeypatch)
    docs, out = tree(editable_build.docs), tree(editable_build.site)
    config = replace(editable_build.config, seed=editable_build.config.seed + 1, execute_notebook=False)
    with pytest.raises(MismatchError, match="resnet152|family.models.4.weighted_layers"):
        site.build(config, RecordingProgress())
    assert tree(editable_build.docs) == docs and tree(editable_build.site) == out


def test_inside_write_only_no_shelf_reads_and_every_shelf_still_writes(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    shelf, key = cache.Shelf("probe-", 2), "0" * 64
    shelf.write(key, "edited by someone")
    with cache.write_only():
        assert shelf.read(key) is None and not cache.reading()
        assert shelf.remember(key, lambda: "computed", str, str) == "computed"
    assert cache.reading() and shelf.read(key) == "computed"  # written for later builds, read again outside


def test_the_mkdocs_child_of_a_forced_build_reads_no_rendering(tmp_path: Path) -> None:
    def told() -> str:
        return SiteBuild(tmp_path / "mkdocs.yml", tmp_path / "docs", tmp_path / "site", tmp_path)._command[-1]

    assert told() == READ
    with cache.write_only():
        assert told() == WRITE_ONLY
