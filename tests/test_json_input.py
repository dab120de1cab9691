"""JSON read back from disk is measured for depth before it is parsed: a deep file is refused, never a crash."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.pipeline import reuse, stamp
from generator.core.errors import EXIT_CODES
from generator.core.json_input import FACTS_MAX_BYTES, loads_bounded, nesting_depth
from generator.publish.journal import read_manifest
from generator.publish.ownership import MANIFEST, STATIC
from generator.report import facts
from generator.verify.artifacts import check_facts_file
from generator.verify.mismatch import Mismatch
from generator.verify.values import Expected

from .conftest import ROOT, Build


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert nesting_depth('{"a": "[[[{", "b": [1, {"c": "\\"]]["}]}') == 3
    assert nesting_depth('"no brackets [ here"') == 0


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 10_000 + "1" + "}" * 10_000, "[" * 100_000])
def test_json_deeper_than_allowed_is_a_value_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(ValueError, match="levels deep, more than the 8 allowed"):
        loads_bounded(text, 8)


def test_json_within_the_depth_parses_as_json_loads_does() -> None:
    assert loads_bounded('{"files": {"a.md": null}, "s": "[["}', 2) == {"files": {"a.md": None}, "s": "[["}
    with pytest.raises(ValueError):
        loads_bounded("{not json}", 8)


# ---------------------------------------------------------------- facts.json, read back like every record

DEEP_FACTS = ("[" * 100_000 + "]" * 100_000).encode()
# Valid JSON just over the size limit: read whole it would still parse, so only the limit refuses it.
OVERSIZED_FACTS = b'{"pad": "' + b"x" * (FACTS_MAX_BYTES + 1) + b'"}'


@pytest.mark.parametrize(("data", "reason"), [(DEEP_FACTS, "levels deep, more than the 16 allowed"),
                                              (OVERSIZED_FACTS, "bytes, more than the 16,777,216 allowed")])
def test_facts_json_too_deep_or_too_large_is_one_value_error(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as refused:
        facts.from_json(data)
    assert "\n" not in str(refused.value)


def test_facts_json_of_another_shape_is_a_value_error_not_a_key_error() -> None:
    with pytest.raises(ValueError, match="not the facts this generator writes"):
        facts.from_json(b'{"provenance": {}}')


@pytest.mark.parametrize(("data", "reason"), [(DEEP_FACTS, "levels deep"), (OVERSIZED_FACTS, "bytes, more than")])
def test_the_check_refuses_a_deep_or_oversized_facts_json_in_one_line(tmp_path: Path, data: bytes, reason: str) -> None:
    (tmp_path / "facts.json").write_bytes(data)
    found: list[Mismatch] = []
    check_facts_file(tmp_path, Expected({"seed": 0}, (), frozenset(), (), (), "random", (), None), found)
    assert [(m.page, m.place) for m in found] == [("facts.json", "file")]
    assert reason in str(found[0]) and "\n" not in str(found[0])


@pytest.mark.parametrize("data", [DEEP_FACTS, OVERSIZED_FACTS])
def test_a_rebuild_computes_everything_rather_than_parse_a_forged_facts_json(editable_build: Build,
                                                                            data: bytes) -> None:
    """facts.json and the manifest's digest of it both forged: the digest matches, the reader still refuses."""
    docs = editable_build.docs
    (docs / "facts.json").write_bytes(data)
    manifest = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"]["facts.json"] = hashlib.sha256(data).hexdigest()
    (docs / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    config = editable_build.config
    chosen = reuse.plan(config, stamp.input_keys(config, docs / STATIC), read_manifest(docs))
    assert chosen.work == reuse.EVERYTHING and "facts.json is refused" in chosen.reason, chosen.reason


@pytest.mark.process
def test_the_check_command_refuses_a_deep_facts_json_with_exit_5_and_no_traceback(editable_build: Build) -> None:
    (editable_build.docs / "facts.json").write_bytes(DEEP_FACTS)
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check", "--weights", "random", "--offline", "--docs",
         str(editable_build.docs), "--out", str(editable_build.site), "--mkdocs-yml", str(ROOT / "mkdocs.yml")],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == EXIT_CODES["mismatch"], result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if "facts.json: file:" in line]
    assert len(lines) == 1 and "nested 100000 levels deep" in lines[0], result.stderr


def test_the_check_refuses_a_deep_explorer_index_in_one_line(tmp_path: Path) -> None:
    from generator.verify.explorer import INDEX, compare

    (tmp_path / INDEX).write_bytes(DEEP_FACTS)
    found = compare(tmp_path, None)  # type: ignore[arg-type]  # refused before any tensor is compared
    assert len(found) == 1 and "levels deep" in str(found[0]), found
