"""The notebook's code runs once per build, in a kernel started with the build, and waits for the build's weights."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbclient
import pytest
from nbclient import NotebookClient

from generator.pipeline import site
from generator.core.config import LANGUAGES
from generator.core.errors import SiteBuildError
from generator.report import notebook
from generator.runtime import kernel_fork

from .conftest import Build, make_config


def code_cells_of(path: Path) -> list[dict[str, Any]]:
    published = json.loads(path.read_text(encoding="utf-8"))
    return [cell for cell in published["cells"] if cell["cell_type"] == "code"]


@pytest.mark.build
def test_a_build_starts_one_kernel_and_each_notebook_carries_its_own_cells_outputs(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    starts = []
    real_start = NotebookClient.async_start_new_kernel

    async def counted_start(self: NotebookClient, **kwargs: Any) -> None:
        starts.append(kwargs.get("cwd"))
        await real_start(self, **kwargs)

    monkeypatch.setattr(NotebookClient, "async_start_new_kernel", counted_start)
    config = make_config(tmp_path)
    site.build(config, site.Progress(quiet=True))
    assert len(starts) == 1
    cells = {language: code_cells_of(config.docs / f"notebook.{language}.ipynb") for language in LANGUAGES}
    for language in LANGUAGES:
        assert ["".join(cell["source"]) for cell in cells[language]] == notebook.code_cells(config, language)
        assert all(cell["outputs"] for cell in cells[language])
        assert [cell["execution_count"] for cell in cells[language]] == list(range(1, len(cells[language]) + 1))
    printed = {language: [[o for o in cell["outputs"] if o["output_type"] == "stream"] for cell in cells[language]]
               for language in LANGUAGES}
    first, *others = LANGUAGES
    for language in others:  # the same pictures, and lines that differ in their words
        assert [[o for o in c["outputs"] if o["output_type"] != "stream"] for c in cells[language]] == \
            [[o for o in c["outputs"] if o["output_type"] != "stream"] for c in cells[first]]
        assert printed[language] != printed[first]
    metadata = {language: json.loads((config.docs / f"notebook.{language}.ipynb").read_text(encoding="utf-8"))["metadata"]
                for language in LANGUAGES}
    assert metadata[first]["language_info"]["name"] == "python"
    assert all(metadata[language] == metadata[first] for language in others)


def test_the_kernel_imports_what_the_cells_import_and_binds_none_of_it(built: Build) -> None:
    cells = [cell for language in LANGUAGES for cell in notebook.code_cells(built.config, language)]
    modules = notebook.imported_modules(cells)
    assert {"generator.model.resnet", "generator.inputs.weights", "generator.report.channel_picture", "torch"} \
        <= set(modules)
    lifeline, *imports = notebook.kernel_startup(cells)
    assert "die_with_parent" in lifeline
    namespace: dict[str, Any] = {}
    for line in imports:
        exec(line, namespace)  # noqa: S102 - the kernel's own startup lines
    assert set(namespace) == {"__builtins__"}


@pytest.mark.process
def test_a_cell_that_forgets_an_import_fails_although_the_kernel_imported_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(notebook, "code_cells", lambda config, language: ["print(torch.__version__)", "import torch"])
    run = notebook.Run(make_config(tmp_path))
    try:
        with pytest.raises(SiteBuildError, match="notebook cell failed: NameError: name 'torch' is not defined"):
            run.result()
    finally:
        run.stop()


@pytest.mark.process
def test_a_languages_cells_cannot_use_the_names_another_languages_cells_left(tmp_path: Path, monkeypatch) -> None:
    first, second = LANGUAGES
    sources = {first: ["import torch\nleft_behind = torch.zeros(1)"], second: ["print(left_behind)"]}
    monkeypatch.setattr(notebook, "code_cells", lambda config, language: sources[language])
    run = notebook.Run(make_config(tmp_path))
    try:
        with pytest.raises(SiteBuildError, match="NameError: name 'left_behind' is not defined"):
            run.result()
    finally:
        run.stop()


class KernelFreeClient:
    """Stands in for nbclient: records what the run asks of it, with no kernel and no suspension."""

    made: list[KernelFreeClient] = []

    def __init__(self, notebook: Any, **options: Any) -> None:
        self.calls: list[str] = []
        self.ready = threading.Event()
        self.km = None
        self.shutdown_kernel = "graceful"
        KernelFreeClient.made.append(self)

    def create_kernel_manager(self) -> SimpleNamespace:
        self.calls.append("create")
        return SimpleNamespace(seed=None)  # the run hands it the seed, which this stand-in never starts

    async def async_start_new_kernel(self, **kwargs: Any) -> None:
        self.calls.append("start")

    async def async_start_new_kernel_client(self) -> None:
        self.calls.append("client")
        self.ready.set()

    async def async_execute(self, **kwargs: Any) -> None:
        self.calls.append("execute")

    @property
    def kc(self) -> KernelFreeClient:
        return self  # the kernel client, for the silent request that empties the namespace between languages

    def execute(self, code: str, **options: Any) -> str:
        self.calls.append("forget")
        return "request"

    async def async_wait_for_reply(self, message: str) -> dict[str, Any]:
        return {"content": {"status": "ok"}}

    def _cleanup_kernel(self) -> None:
        pass

    async def _async_cleanup_kernel(self) -> None:
        self.calls.append("cleanup")


class ForkFreeSeed:
    """Stands in for the kernel's fork: these tests are about the run's thread, not about a process."""

    closed: list[ForkFreeSeed] = []

    def close(self) -> None:
        ForkFreeSeed.closed.append(self)


@pytest.fixture
def kernel_free(monkeypatch) -> list[KernelFreeClient]:
    monkeypatch.setattr(nbclient, "NotebookClient", KernelFreeClient)  # what Run imports when it starts
    monkeypatch.setattr(kernel_fork, "KernelSeed", ForkFreeSeed)
    KernelFreeClient.made.clear()
    ForkFreeSeed.closed.clear()
    return KernelFreeClient.made


def stop(run: notebook.Run) -> None:
    """stop() must return: a run it failed to cancel would wait for the weights forever."""
    stopper = threading.Thread(target=run.stop)
    stopper.start()
    stopper.join(60)
    assert not stopper.is_alive(), "stop() did not return"


def test_the_cells_wait_for_the_builds_weights(built: Build, kernel_free: list[KernelFreeClient]) -> None:
    """A kernel that is up must not run the cells before the build has its weights.

    The stand-in never suspends, so a run that did not wait would reach
    execute in the same step that made the kernel ready, before stop()
    could cancel it.
    """
    run = notebook.Run(built.config)
    kernel_free[-1].ready.wait()
    stop(run)
    assert kernel_free[-1].calls == ["create", "start", "client", "cleanup"]  # its kernel shut down, no cell run

    run = notebook.Run(built.config)
    kernel_free[-1].ready.wait()
    run.weights_resolved()
    assert run.result() is not None
    assert kernel_free[-1].calls == ["create", "start", "client", "execute", "forget", "execute"]
    stop(run)


def test_a_run_stopped_at_once_ends_its_thread_without_running_the_cells(built: Build,
                                                                         kernel_free: list[KernelFreeClient]) -> None:
    run = notebook.Run(built.config)
    stop(run)
    stop(run)
    assert "execute" not in kernel_free[-1].calls
    assert not [thread for thread in threading.enumerate() if thread.name == "notebook-run"]
    assert ForkFreeSeed.closed  # the fork it made for the kernel ends with it
