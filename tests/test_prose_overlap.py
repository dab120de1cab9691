"""The prose-only rebuild's order: the check's values are derived from the build's start, the site built meanwhile.

The check reads the built site, so it needs both: its values, derived in a
fork, and the site, built by the MkDocs child. How long it takes,
benchmarks/bench_build.py measures; this pins the order that makes it short
(the values are awaited only once MkDocs has built the site), and that a
wrong guess about the plan costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.pipeline import mkdocs_child, reuse, site
from generator.core.config import Config
from generator.verify import gate

from .conftest import Build, RecordingProgress, edited_package


def recorded_build(config: Config, monkeypatch: pytest.MonkeyPatch) -> tuple[site.Outcome, list[str]]:
    """A build that notes when the derivation starts, the plan is made, the site is built, the values are awaited
    and the check reads the site."""
    events: list[str] = []
    real_started, real_plan = site.check_values_started, reuse.plan
    real_wait, real_verify = mkdocs_child.SiteBuild.wait, gate.verify

    @contextmanager
    def started(config: Config) -> Iterator[Callable[[], object]]:
        events.append("derivation started")
        with real_started(config) as result:
            yield lambda: (events.append("values awaited"), result())[1]

    def plan(*args: object) -> reuse.Plan:
        events.append("plan")
        return real_plan(*args)  # type: ignore[arg-type]

    def wait(self: mkdocs_child.SiteBuild) -> None:
        real_wait(self)
        events.append("site built")

    def verify(docs: Path, built: Path, config: Config, given: gate.CheckInputs) -> None:
        events.append("pages read")
        real_verify(docs, built, config, given)

    monkeypatch.setattr(site, "check_values_started", started)
    monkeypatch.setattr(reuse, "plan", plan)
    monkeypatch.setattr(mkdocs_child.SiteBuild, "wait", wait)
    monkeypatch.setattr(gate, "verify", verify)
    return site.build(config, RecordingProgress()), events


def edit_a_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = edited_package(tmp_path, monkeypatch) / "templates" / "en" / "maps.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nA new sentence.\n", encoding="utf-8")


@pytest.mark.build
def test_a_prose_rebuild_derives_the_values_first_and_builds_the_site_while_it_waits(
        editable_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit_a_template(tmp_path, monkeypatch)
    outcome, events = recorded_build(editable_build.config, monkeypatch)
    assert outcome.work == reuse.PROSE
    assert events == ["derivation started", "plan", "site built", "values awaited", "pages read"]
    assert "A new sentence." in (editable_build.site / "en" / "maps" / "index.html").read_text(encoding="utf-8")


@pytest.mark.build
def test_a_wrong_guess_stops_the_early_derivation_and_computes_everything(
        editable_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit_a_template(tmp_path, monkeypatch)
    (editable_build.docs / "img" / "scheme.svg").write_bytes(b"edited")  # the manifest cannot tell: the plan can
    outcome, events = recorded_build(editable_build.config, monkeypatch)
    assert outcome.work == reuse.EVERYTHING
    # its values were never awaited: the full build derives its own
    assert events == ["derivation started", "plan", "site built", "pages read"]
    assert (editable_build.docs / "img" / "scheme.svg").read_bytes().startswith(b"<?xml")
