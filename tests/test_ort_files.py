"""onnxruntime-web's files for the own-image page: the pinned version, copied into docs, or one line naming npm ci."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.core.config import RUNTIME_FOLDER
from generator.core.errors import UsageError
from generator.pipeline import ort_files

from .conftest import ROOT


def fake_package(folder: Path, files: tuple[str, ...] = ort_files.FILES) -> Path:
    package = folder / "onnxruntime-web"
    (package / "dist").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"version": "9.9.9"}), encoding="utf-8")
    for name in files:
        (package / "dist" / name).write_bytes(name.encode())
    return package


def test_the_installed_version_is_the_one_package_json_pins() -> None:
    pinned = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]["onnxruntime-web"]
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/onnxruntime-web"]["version"] == pinned
    assert ort_files.version() == pinned


def test_the_page_files_are_copied_into_docs(tmp_path: Path) -> None:
    package = fake_package(tmp_path / "node_modules")
    written = ort_files.copy_runtime(tmp_path / "docs", package)
    assert written == [f"{RUNTIME_FOLDER}/{name}" for name in ort_files.FILES]
    assert all((tmp_path / "docs" / path).read_bytes() == path.rsplit("/", 1)[1].encode() for path in written)


@pytest.mark.parametrize("damage", ["no package", "a file missing"])
def test_a_missing_runtime_stops_the_build_in_one_line_naming_npm_ci(tmp_path: Path, damage: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    if damage == "a file missing":
        fake_package(tmp_path / "node_modules", ort_files.FILES[1:])
    monkeypatch.setenv(ort_files.NODE_MODULES, str(tmp_path / "node_modules"))
    with pytest.raises(UsageError) as raised:
        ort_files.copy_runtime(tmp_path / "docs")
    assert "npm ci" in str(raised.value) and "\n" not in str(raised.value) and raised.value.exit_code == 2
