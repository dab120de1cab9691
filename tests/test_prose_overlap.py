"""The prose-only rebuild's order: the check's values are derived from the build's start, the pages rendered meanwhile.

How long it takes, benchmarks/bench_build.py measures; this pins the order
that makes it short, and that a wrong guess about the plan costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.pipeline import reuse, site
from generator.core.config import Config
from generator.verify import gate

from .conftest import Build, RecordingProgress, edited_package


def recorded_build(config: Config, monkeypatch: pytest.MonkeyPatch) -> tuple[site.Outcome, list[str]]:
    """A build that notes when the derivation starts, the plan is made, pages are rendered and values awaited."""
    events: list[str] = []
    real_started, real_plan, real_render = site.check_values_started, reuse.plan, gate.render_pages

    @contextmanager
    def started(config: Config) -> Iterator[Callable[[], object]]:
        events.append("derivation started")
        with real_started(config) as result:
            yield lambda: (events.append("values awaited"), result())[1]

    def plan(*args: object) -> reuse.Plan:
        events.append("plan")
        return real_plan(*args)  # type: ignore[arg-type]

    def render(docs: Path, config: Config) -> None:
        events.append("pages rendered")
        real_render(docs, config)

    monkeypatch.setattr(site, "check_values_started", started)
    monkeypatch.setattr(reuse, "plan", plan)
    monkeypatch.setattr(gate, "render_pages", render)
    return site.build(config, RecordingProgress()), events


def edit_a_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = edited_package(tmp_path, monkeypatch) / "templates" / "en" / "maps.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nA new sentence.\n", encoding="utf-8")


@pytest.mark.build
def test_a_prose_rebuild_derives_the_values_first_and_renders_the_pages_while_it_waits(
        editable_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit_a_template(tmp_path, monkeypatch)
    outcome, events = recorded_build(editable_build.config, monkeypatch)
    assert outcome.work == reuse.PROSE
    assert events == ["derivation started", "plan", "pages rendered", "values awaited"]
    assert "A new sentence." in (editable_build.site / "en" / "maps" / "index.html").read_text(encoding="utf-8")


@pytest.mark.build
def test_a_wrong_guess_stops_the_early_derivation_and_computes_everything(
        editable_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit_a_template(tmp_path, monkeypatch)
    (editable_build.docs / "img" / "scheme.png").write_bytes(b"edited")  # the manifest cannot tell: the plan can
    outcome, events = recorded_build(editable_build.config, monkeypatch)
    assert outcome.work == reuse.EVERYTHING
    assert events == ["derivation started", "plan"]  # its values were never awaited: the full build derives its own
    assert (editable_build.docs / "img" / "scheme.png").read_bytes().startswith(b"\x89PNG")
