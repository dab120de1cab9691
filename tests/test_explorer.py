"""The explorer's data: deterministic, reused like figures, and every kind of damage to it fails the check.

The mutations break a private copy of the shared build's data files and read
them against the check's own tensors, derived once for the module; one test
goes through the whole check to show that it reads the data too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest

from generator.pipeline import reuse
from generator.core.config import DATA_FOLDER
from generator.report import explorer_data
from generator.report.compute import compute_facts
from generator.verify import explorer as check_explorer
from generator.verify.gate import CheckInputs, check_docs

from .conftest import Build, Derived
from .test_reuse import build, plan_for, tree


def data_files(config) -> dict[str, bytes]:
    """The data files these inputs give, computed afresh."""
    facts, capture, model = compute_facts(config, lambda _: None)
    return explorer_data.explorer_files(capture, model.conv1.weight.detach())


@pytest.fixture(scope="module")
def reference(derived: Derived) -> check_explorer.Reference:
    return derived.reference


@pytest.fixture
def gate(reference):
    def run(build: Build) -> list[str]:
        return [str(m) for m in check_explorer.compare(build.docs / DATA_FOLDER, reference)]

    return run


def read_index(build: Build) -> dict:
    return json.loads((build.docs / DATA_FOLDER / explorer_data.INDEX).read_text(encoding="utf-8"))


def write_index(build: Build, index: dict) -> None:
    (build.docs / DATA_FOLDER / explorer_data.INDEX).write_text(json.dumps(index), encoding="utf-8")


def entry_of(index: dict, name: str) -> dict:
    groups = [*index["stages"], *index["blocks"], index["filters"]]
    return next(entry for group in groups for entry in group["files"] if entry["file"] == name)


def rewrite(build: Build, name: str, data: bytes, index_follows: bool) -> None:
    """Replace a data file; with ``index_follows`` the index gets its new size and digest, as a forger would."""
    (build.docs / DATA_FOLDER / name).write_bytes(data)
    if index_follows:
        index = read_index(build)
        entry_of(index, name).update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        write_index(build, index)


def one_line_naming(found: list[str], name: str, *needles: str) -> None:
    assert found, "the check passed damaged data"
    assert all("\n" not in line for line in found)
    assert any(f"{DATA_FOLDER}/{name}" in line and all(n in line for n in needles) for line in found), found


# ---------------------------------------------------------------- the files


def test_the_data_files_are_byte_identical_for_the_same_inputs(built: Build) -> None:
    first, second = data_files(built.config), data_files(built.config)
    assert first == second
    published = {path.name: path.read_bytes() for path in (built.docs / DATA_FOLDER).iterdir()}
    assert published == first


def test_every_selection_is_one_file_under_the_budget_and_the_facts_state_the_total(built: Build) -> None:
    files = {path.name: path.stat().st_size for path in (built.docs / DATA_FOLDER).iterdir()}
    assert max(files.values()) <= explorer_data.FILE_BYTES
    index = json.loads((built.docs / DATA_FOLDER / explorer_data.INDEX).read_text(encoding="utf-8"))
    listed = [entry for group in [*index["stages"], *index["blocks"], index["filters"]] for entry in group["files"]]
    assert sorted(entry["file"] for entry in listed) == sorted(set(files) - {explorer_data.INDEX})
    assert built.facts.explorer.data_bytes == sum(files.values()) - files[explorer_data.INDEX]
    assert [stage["name"] for stage in index["stages"]] == ["conv1", "maxpool", "layer1", "layer2", "layer3", "layer4"]
    assert len(index["blocks"]) == 8


def test_decoded_values_are_the_models_within_the_stated_precision(built: Build, reference) -> None:
    """The writer's promise, read the way the page reads it: float16, little-endian, times 2**scale."""
    index = read_index(built)
    stage = index["stages"][2]
    entry = stage["files"][0]
    raw = np.frombuffer((built.docs / DATA_FOLDER / entry["file"]).read_bytes(), dtype="<f2").astype(np.float64)
    decoded = raw.reshape(-1, *stage["shape"][1:]) * 2.0 ** entry["scale"]
    wanted = reference.stages[stage["name"]][entry["channels"][0]:entry["channels"][1]]
    error = np.abs(decoded - wanted)
    assert error.max() > 0  # rounded, so not trivially equal
    assert (error <= built.facts.explorer.relative_error * np.abs(wanted) + built.facts.explorer.absolute_error).all()


def test_the_scale_keeps_large_values_finite() -> None:
    values = np.array([1e6, -3.0, 1e-3])
    exponent = explorer_data.scale_exponent(values)
    decoded = np.frombuffer(explorer_data.encode(values, exponent), dtype="<f2").astype(np.float64) * 2.0**exponent
    assert exponent > 0 and np.isfinite(decoded).all()
    assert exponent == check_explorer.scale_exponent(values)
    assert np.abs(decoded - values).max() <= explorer_data.RELATIVE_ERROR * 1e6 + explorer_data.ABSOLUTE_ERROR * 2**exponent


# ---------------------------------------------------------------- the gate


def test_the_unchanged_data_passes(built: Build, gate) -> None:
    assert gate(built) == []


def test_a_missing_file_fails(editable_build: Build, gate) -> None:
    (editable_build.docs / DATA_FOLDER / "block-layer3.1-0.bin").unlink()
    one_line_naming(gate(editable_build), "block-layer3.1-0.bin", "missing")


def test_a_truncated_file_fails(editable_build: Build, gate) -> None:
    path = editable_build.docs / DATA_FOLDER / "stage-layer4-0.bin"
    path.write_bytes(path.read_bytes()[:-2])
    one_line_naming(gate(editable_build), "stage-layer4-0.bin", "size")


@pytest.mark.parametrize("index_follows", [False, True], ids=["digest-stale", "digest-forged"])
def test_a_flipped_value_fails(editable_build: Build, gate, index_follows: bool) -> None:
    name = "block-layer1.0-8.bin"
    data = bytearray((editable_build.docs / DATA_FOLDER / name).read_bytes())
    data[1001] ^= 0x40  # a high bit of one float16's exponent: the value changes by far more than the rounding
    rewrite(editable_build, name, bytes(data), index_follows)
    one_line_naming(gate(editable_build), name, "channel" if index_follows else "sha256")


def test_a_file_from_another_seed_fails(editable_build: Build, gate) -> None:
    other = data_files(dataclasses.replace(editable_build.config, seed=1))
    name = "block-layer2.0-0.bin"
    rewrite(editable_build, name, other[name], index_follows=True)
    one_line_naming(gate(editable_build), name, "channel")


def test_two_blocks_files_swapped_fail(editable_build: Build, gate) -> None:
    folder = editable_build.docs / DATA_FOLDER
    first, second = "block-layer1.0-0.bin", "block-layer1.1-0.bin"
    a, b = (folder / first).read_bytes(), (folder / second).read_bytes()
    rewrite(editable_build, first, b, index_follows=True)
    rewrite(editable_build, second, a, index_follows=True)
    found = gate(editable_build)
    one_line_naming(found, first, "channel")
    one_line_naming(found, second, "channel")


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("channels", [0, 4], "channels"),
    ("channels", 8, "channels"),
    ("scale", 3, "scale"),
    ("sha256", "0" * 64, "sha256"),
    ("file", "../facts.json", "plain file name"),
])
def test_an_edited_index_entry_fails(editable_build: Build, gate, field: str, value: object, needle: str) -> None:
    index = read_index(editable_build)
    entry_of(index, "stage-conv1-8.bin")[field] = value
    write_index(editable_build, index)
    found = gate(editable_build)
    assert found and all("\n" not in line for line in found)
    assert any(needle in line and DATA_FOLDER in line for line in found), found


@pytest.mark.parametrize("index", [[], {"stages": [7], "blocks": None}, "not json"])
def test_an_index_of_the_wrong_shape_fails_in_one_line(editable_build: Build, gate, index: object) -> None:
    path = editable_build.docs / DATA_FOLDER / explorer_data.INDEX
    path.write_text(index if isinstance(index, str) else json.dumps(index), encoding="utf-8")
    one_line_naming(gate(editable_build), explorer_data.INDEX)


def test_an_extra_file_fails(editable_build: Build, gate) -> None:
    (editable_build.docs / DATA_FOLDER / "stray.bin").write_bytes(b"\0\0")
    one_line_naming(gate(editable_build), "stray.bin", "extra")


def test_the_whole_check_reads_the_data(editable_build: Build) -> None:
    (editable_build.docs / DATA_FOLDER / "filters-conv1-0.bin").unlink()
    found = [str(m) for m in check_docs(editable_build.docs, editable_build.site, editable_build.config,
                                        CheckInputs(reproduce=False))]
    one_line_naming(found, "filters-conv1-0.bin", "missing")


# ---------------------------------------------------------------- reuse


@pytest.mark.parametrize("tampering", ["edited", "deleted"])
def test_a_data_file_in_docs_that_is_not_as_published_is_never_reused(editable_build: Build, tampering: str) -> None:
    path = editable_build.docs / DATA_FOLDER / "stage-layer3-0.bin"
    if tampering == "edited":
        path.write_bytes(path.read_bytes()[::-1])
    else:
        path.unlink()
    assert plan_for(editable_build.config).work == reuse.EVERYTHING


@pytest.mark.build
def test_a_data_file_deleted_from_the_site_is_restored_from_the_published_one(editable_build: Build) -> None:
    """A deleted site file is rebuilt from docs; an edited one is refused instead (tests/test_targets.py)."""
    docs = tree(editable_build.docs / DATA_FOLDER)
    site = tree(editable_build.site / DATA_FOLDER)
    (editable_build.site / DATA_FOLDER / "stage-layer3-0.bin").unlink()
    outcome, _ = build(editable_build.config)
    assert outcome.work == reuse.PROSE
    assert tree(editable_build.docs / DATA_FOLDER) == docs
    assert tree(editable_build.site / DATA_FOLDER) == site
