"""The notebook's kernel is a fork of the build (runtime/kernel_fork.py): nothing imported twice, nothing leaked."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager

from generator.core.config import LANGUAGES
from generator.report import notebook
from generator.runtime import kernel_fork
from generator.runtime.kernel_fork import ForkedKernelManager, KernelSeed

from .conftest import make_config

pytestmark = pytest.mark.process

PROBE = (
    "import os, sys, torch\n"
    "print('forked:', 'generator.runtime.kernel_fork' in sys.modules)\n"  # only the build process imported it
    "print('own session:', os.getsid(0) == os.getpid())\n"
    "print('threads:', torch.get_num_threads())\n"
    "print('stdin:', os.path.realpath('/proc/self/fd/0'))"
)


def printed(cells: list[dict]) -> str:
    return "".join(output["text"] for cell in cells for output in cell["outputs"] if output["output_type"] == "stream")


def test_the_kernel_is_a_fork_in_a_session_of_its_own_with_one_torch_thread(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(notebook, "code_cells", lambda config, language: [PROBE])
    run = notebook.Run(make_config(tmp_path))
    try:
        executed = run.result()
    finally:
        run.stop()
    for language in LANGUAGES:
        assert printed(executed[language].cells) == "forked: True\nown session: True\nthreads: 1\nstdin: /dev/null\n"


def test_a_seed_that_never_became_a_kernel_ends_when_closed() -> None:
    seed = KernelSeed()
    seed.close()
    seed.close()  # twice: nothing more happens
    with pytest.raises(ChildProcessError):
        os.waitpid(seed.pid, os.WNOHANG)  # ended and waited for: no zombie left


def test_a_kernelspec_that_is_not_ipykernel_is_launched_as_jupyter_client_launches_it(monkeypatch) -> None:
    launched: list[list[str]] = []

    async def launch(self: AsyncKernelManager, kernel_cmd: list[str], **kw: object) -> None:
        launched.append(kernel_cmd)

    monkeypatch.setattr(AsyncKernelManager, "_async_launch_kernel", launch)
    manager = ForkedKernelManager()
    manager.seed = seed = KernelSeed()
    command = ["R", "--slave", "-e", "IRkernel::main()", "{connection_file}"]
    asyncio.run(manager._async_launch_kernel(command))
    assert launched == [command]
    with pytest.raises(ChildProcessError):  # the seed it did not need ended
        os.waitpid(seed.pid, os.WNOHANG)
    assert manager.seed is None
    assert kernel_fork.LAUNCHER not in command


def test_the_kernel_prints_nothing_on_the_builds_terminal(tmp_path: Path, monkeypatch, capfd) -> None:
    """ipykernel prints its connection banner unless it knows its parent (JPY_PARENT_PID, read at its import)."""
    monkeypatch.setattr(notebook, "code_cells", lambda config, language: ["print('from the cell')"])
    run = notebook.Run(make_config(tmp_path))
    try:
        executed = run.result()
    finally:
        run.stop()
    assert printed(executed[LANGUAGES[0]].cells) == "from the cell\n"
    out, err = capfd.readouterr()
    assert out == "" and err == "", (out, err)
