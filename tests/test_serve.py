"""`python -m generator serve`: the live preview. Watching and settling are tested on small folders and fakes."""

from __future__ import annotations

import os
from pathlib import Path

from generator.config import PACKAGE, Config
from generator.ownership import STATIC
from generator.watch import POLL_S, changed_files, next_change, take_snapshot, watched_inputs


# -- watching -------------------------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_snapshot_holds_the_inputs_and_not_the_side_files_of_editors_and_python(tmp_path: Path) -> None:
    inputs = [write(tmp_path / "pkg" / "module.py", "x"), write(tmp_path / "pkg" / "templates" / "page.md.j2", "y")]
    single = write(tmp_path / "mkdocs.yml", "site_name: x")
    for side in ("pkg/.module.py.swp", "pkg/#page.md.j2#", "pkg/module.py~", "pkg/__pycache__/module.pyc",
                 "pkg/.hidden/inside.py", "pkg/other.pyc"):
        write(tmp_path / side, "z")
    snapshot = take_snapshot([tmp_path / "pkg", single, tmp_path / "missing.jpg"])
    assert sorted(snapshot) == sorted([*inputs, single])


def test_every_kind_of_change_to_an_input_is_seen(tmp_path: Path) -> None:
    module = write(tmp_path / "pkg" / "module.py", "same size")
    template = write(tmp_path / "pkg" / "page.md.j2", "template")
    gone = write(tmp_path / "pkg" / "gone.json", "{}")
    roots = [tmp_path / "pkg"]
    before = take_snapshot(roots)
    # A rewrite that keeps size and modification time, as an editor's write-and-rename can: a new inode.
    stat = module.stat()
    replacement = write(tmp_path / "pkg" / "module.py.new", "SAME SIZE")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, module)
    os.utime(template, ns=(template.stat().st_atime_ns, template.stat().st_mtime_ns + 1_000_000))
    gone.unlink()
    added = write(tmp_path / "pkg" / "data" / "new.json", "[]")
    write(tmp_path / "pkg" / ".page.md.j2.swp", "an editor's swap file")
    assert changed_files(before, take_snapshot(roots)) == sorted([module, template, gone, added])


def test_serve_watches_what_a_build_reads(tmp_path: Path) -> None:
    weights = write(tmp_path / "weights.pth", "w")
    image = write(tmp_path / "photo.png", "p")
    config = Config(image=image, weights=str(weights), docs=tmp_path / "docs", out=tmp_path / "site")
    assert watched_inputs(config) == [PACKAGE, config.mkdocs_yml, tmp_path / "docs" / STATIC, image, weights]
    assert weights not in watched_inputs(Config(image=image, weights="random", docs=tmp_path / "docs"))


class Inputs:
    """Input states over time: each snapshot (one poll) moves one step on, and stays on the last one."""

    def __init__(self, *states: str) -> None:
        self.states = list(states)
        self.taken = 0

    def __call__(self) -> dict[Path, tuple[int, int, int]]:
        state = self.states[min(self.taken, len(self.states) - 1)]
        self.taken += 1
        return {Path(state): (0, 0, 0)}


def test_a_change_is_built_once_it_has_settled() -> None:
    """An editor writing a file twice (or a checkout of many) is one build of the final state, never one per write."""
    built = Inputs("built")()
    inputs = Inputs("built", "first write", "second write", "second write", "third write")
    assert next_change(inputs, built, sleep=lambda _: None) == Inputs("second write")()
    assert inputs.taken == 4
    unchanged = Inputs("built", "built", "built", "edited", "edited")
    assert next_change(unchanged, built, sleep=lambda _: None) == Inputs("edited")()


def test_the_sleep_between_two_looks_is_one_poll() -> None:
    slept: list[float] = []
    next_change(Inputs("edited"), Inputs("built")(), sleep=slept.append)
    assert slept == [POLL_S]
