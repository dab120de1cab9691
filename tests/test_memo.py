"""The cache of values that depend only on the code and packages: read back when good, computed again otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.core import memo, sources
from generator.core.cache import cache_folder
from generator.report import figures  # torch and matplotlib: imported at collection, not inside a test


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"value": len(calls)}

    def remember(name: str = "numbers") -> dict[str, int]:
        return memo.remembered(name, compute, json.dumps, lambda text: dict(json.loads(text)))

    return remember, calls


def test_a_value_is_computed_once_and_read_back(counted) -> None:
    remember, calls = counted
    assert remember() == {"value": 1}
    assert remember() == {"value": 1}
    assert len(calls) == 1


@pytest.mark.parametrize("damage", ["not json", "[1, 2", ""])
def test_a_malformed_entry_is_computed_again(counted, damage: str) -> None:
    remember, calls = counted
    remember()
    entry = cache_folder() / f"numbers-{memo.code_key()}.json"
    entry.write_text(damage, encoding="utf-8")
    assert remember() == {"value": 2}
    assert json.loads(entry.read_text(encoding="utf-8")) == {"value": 2}


def test_an_unwritable_cache_still_gives_the_value(counted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remember, calls = counted
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert remember() == {"value": 1}
    assert remember() == {"value": 2}  # nothing could be kept


def test_old_entries_are_pruned_and_another_names_are_kept(counted, monkeypatch: pytest.MonkeyPatch) -> None:
    remember, _ = counted
    remember("numbers-more")  # a name that starts like the other one
    for version in range(memo.KEPT + 2):
        monkeypatch.setattr(memo, "code_key", lambda version=version: f"{version:064x}")
        remember()
    names = sorted(path.name for path in cache_folder().iterdir())
    assert len([name for name in names if name.startswith("numbers-more-")]) == 1
    assert len([name for name in names if not name.startswith("numbers-more-")]) == memo.KEPT


def test_a_figure_that_no_image_or_weights_change_is_drawn_once_per_input(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cited = dict(sources.cited_numbers())
    drawn: list[bytes] = []

    def draw(numbers: dict) -> bytes:
        drawn.append(figures.draw_degradation(numbers, figures.words_in("en")))
        return drawn[-1]

    first = figures.remembered_figure("degradation", cited, lambda: draw(cited))
    again = figures.remembered_figure("degradation", cited, lambda: draw(cited))
    assert first == again == figures.draw_degradation(cited, figures.words_in("en")) and len(drawn) == 1
    other = {**cited, "plain34_top1_error": cited["plain34_top1_error"] + 0.01}
    assert figures.remembered_figure("degradation", other, lambda: draw(other)) != first and len(drawn) == 2
