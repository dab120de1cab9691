"""The notebook page: the generator's API in a reader's hands, executed at build time.

Executing it during the build is the test that the code it shows still runs:
a failing cell fails the build. The published code names input files by
their file name only (never a local path): the kernel runs in a scratch
folder where those names lead to the files this build used, and a reader
who downloads the notebook puts their own files beside it.

Each language's notebook prints in its language: its code cells differ from
another language's only in the words they print (translations:
notebook_out.*), and each language's cells run, in one kernel, so that every
output a notebook shows is its own code's. The run starts once the build has
imported torch, in the background (see ``Run``), and its kernel is a fork of
the build (runtime/kernel_fork.py): it inherits torch and torchvision rather
than importing them again, which was most of its cost.
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import copy
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from ..core import python_child
from ..core.config import LANGUAGES, Config, sample_image
from ..core.errors import SiteBuildError
from ..core.names import printable_name
from ..core.translations import notebook_words
from ..runtime import interrupts

if TYPE_CHECKING:  # nbclient (and jupyter_client) only when the notebook runs: a build that reuses outputs skips it
    from nbclient import NotebookClient

ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
NAMED_CHOICES = ("auto", "imagenet", "random")
WEIGHTS_SOURCES = ("imagenet-cache", "imagenet-download", "file", "random")  # inputs/weights.py: WeightsInfo.source
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
TIMEOUT_S = 300  # for the kernel's start (imports included) and for each cell


def code_cells(config: Config, language: str) -> list[str]:
    """The default image is named through the API; any other input by its file name alone.

    What the cells print is in ``language`` (translations: notebook_out.*), written into the code as
    literals so that a reader sees the words the outputs show; numbers go through the pages' formatter.
    """
    words = notebook_words(language)
    default_image = config.image == sample_image()
    image = "sample_image()" if default_image else repr(Path(config.image).name)
    weights = config.weights if config.weights in NAMED_CHOICES else Path(config.weights).name
    sources = "".join(f"    {source!r}: {words[f'source.{source}']!r},\n" for source in WEIGHTS_SOURCES)
    return [
        ("from generator.core.config import sample_image\n" if default_image else "")
        + "from generator.inputs.image import load_image\n"
        "from generator.model.resnet import build_model, preprocess, run\n"
        "from generator.inputs.weights import resolve_weights\n\n"
        f"state_dict, weights_info = resolve_weights(\n"
        f"    {weights!r}, seed={config.seed}, allow_download=False, log=lambda message: None\n)\n"
        f"model = build_model(state_dict, seed={config.seed})\n"
        f"image, image_info = load_image({image})\n"
        "capture = run(model, preprocess(image))\n\n"
        f"sources = {{\n{sources}}}\n"
        f"print({words['weights'] + ':'!r}, sources[weights_info.source])",
        "from IPython.display import Image\n"
        "from generator.report.channel_picture import channel_png\n\n"
        "feature_map = capture.stages['layer1']\n"
        f"print({words['shape'] + ':'!r}, tuple(feature_map.shape))\n"
        "Image(channel_png(feature_map, channel=0))",
        "import torch\n"
        "from generator.report.pages import format_number\n\n"
        "block = capture.blocks[0]\n"
        "manual = torch.relu(block.residual + block.shortcut)\n"
        "difference = float((manual - block.output).abs().max())\n"
        f"yes_no = {{True: {words['yes']!r}, False: {words['no']!r}}}\n"
        f"print({words['block'] + ':'!r}, block.name)\n"
        f"print({words['allclose'] + ':'!r}, yes_no[torch.allclose(manual, block.output)])\n"
        f"print({words['max_difference'] + ':'!r}, format_number(difference, 'sci', {language!r}))\n"
        f"print({words['negative'] + ':'!r}, yes_no[bool((block.residual < 0).any())])",
    ]


def build_notebook(config: Config, language: str, weights_kind: str) -> nbformat.NotebookNode:
    """The notebook's cells; weights that are not the verified ImageNet ones are said so up front."""
    from .pages import translations  # pages imports torch: the run starts before the build imports it

    strings = translations(language)
    intro = [strings["notebook_intro"]]
    if weights_kind != "imagenet":
        intro.append(strings[f"notebook_weights_{weights_kind}"])
    intro.append(strings["notebook_howto"])
    cells = [nbformat.v4.new_markdown_cell(text) for text in intro]
    for i, source in enumerate(code_cells(config, language), start=1):
        cells.append(nbformat.v4.new_markdown_cell(strings[f"notebook_step_{i}"]))
        cells.append(nbformat.v4.new_code_cell(source))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{language}-{index}"
    return notebook


@contextmanager
def input_folder(config: Config) -> Iterator[Path]:
    """A scratch working folder where the notebook's file names lead to this build's input files."""
    inputs = [Path(config.image)] if config.image != sample_image() else []
    if config.weights not in NAMED_CHOICES:
        inputs.append(Path(config.weights))
    names = [path.name for path in inputs]
    if len(set(names)) != len(names):
        raise SiteBuildError(
            f"the image and the weights file have the same name ('{printable_name(names[0])}'): the notebook names both by "
            "their file name, so rename one of them"
        )
    with tempfile.TemporaryDirectory(prefix="notebook-inputs-") as folder:
        for path in inputs:
            (Path(folder) / path.name).symlink_to(path.resolve())
        yield Path(folder)


class _OwnSignalsLoop(asyncio.SelectorEventLoop):
    """An event loop on which nbclient cannot install its own SIGINT and SIGTERM handlers.

    nbclient's handlers shut the kernel down under the running cell, so Ctrl-C
    surfaced as an asyncio.CancelledError traceback, and on the way out it
    resets both signals to their defaults, so a later SIGTERM killed the build
    with nothing cleaned up. The generator's handlers raise instead, and
    execute() stops the kernel itself.
    """

    def add_signal_handler(self, sig: int, callback: Callable[..., object], *args: object) -> None:
        raise RuntimeError("stop signals are handled by the generator")  # nbclient expects RuntimeError here


def _stop_kernel(client: NotebookClient, loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the execution (nbclient's cleanup then shuts the kernel down) and every task it left.

    Stopped while the kernel was starting, nbclient never reaches its own
    cleanup: the kernel is shut down here, and nbclient's exit hook, which
    would try again and fail with a traceback, is dropped.
    """
    client.shutdown_kernel = "immediate"
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    if client.km is not None:
        loop.run_until_complete(client._async_cleanup_kernel())
    atexit.unregister(client._cleanup_kernel)


def imported_modules(cells: list[str]) -> list[str]:
    """Every module the cells import, in the order they first import it."""
    names: list[str] = []
    for source in cells:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
            elif isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
    return list(dict.fromkeys(names))


def kernel_startup(cells: list[str]) -> list[str]:
    """What the kernel runs as it starts, before any cell: its lifeline, torchvision's import made cheaper
    (core/lazy_dynamo.py), then the cells' imports.

    A kernel forked from the build has torch and torchvision already; the
    cells' other modules are imported here, before the weights are in. The
    names they bind are deleted again, so that a cell that forgets an import
    fails here as it would for a reader.
    """
    modules = imported_modules(cells)
    bound = dict.fromkeys(name.split(".")[0] for name in modules)
    return [
        f"__import__('generator.runtime.lifeline').runtime.lifeline.die_with_parent({os.getpid()})",
        "__import__('generator.core.lazy_dynamo').core.lazy_dynamo.install()",
        f"import {', '.join(modules)}",
        f"del {', '.join(bound)}",
    ]


def _code_notebook(sources: list[str]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    return notebook


async def _forget_names(client: NotebookClient) -> None:
    """Empty the kernel's namespace and restart its count, as a fresh kernel's, so that a language's cells
    cannot lean on the names another language's cells left, and its outputs are numbered from 1 like its
    cells (the loaded modules stay: importing them again costs nothing)."""
    from jupyter_core.utils import ensure_async

    assert client.kc is not None
    message = await ensure_async(client.kc.execute("get_ipython().reset(new_session=True)", silent=True,
                                                   store_history=False))
    reply = await client.async_wait_for_reply(message)
    if reply is None or reply["content"].get("status") != "ok":
        raise SiteBuildError("the notebook's kernel could not forget one language's names before the next's cells")


class Run:
    """Each language's code cells, executed in one kernel forked at once, by nbclient on a thread of its own.

    The languages' cells differ only in the words they print, and each language's notebook shows the
    outputs of its own cells: they run one language after the other, the kernel's names forgotten in
    between (its imports, most of the cost, stay loaded), and each language's count starts at 1. The cells
    wait for ``weights_resolved()``: weights the build downloads land in the cache the first cell reads.
    Stop signals arrive in the main thread, which stops the run through ``stop()``: the thread's event
    loop cancels the execution and shuts the kernel down.
    """

    def __init__(self, config: Config, timeout_s: int = TIMEOUT_S) -> None:
        cells = {language: code_cells(config, language) for language in LANGUAGES}
        self._config = config
        self._notebooks = {language: _code_notebook(sources) for language, sources in cells.items()}
        every_cell = [source for sources in cells.values() for source in sources]
        startup = [f"--IPKernelApp.exec_lines={line}" for line in kernel_startup(every_cell)]
        from nbclient import NotebookClient

        from ..runtime.kernel_fork import ForkedKernelManager, KernelSeed

        self._client = NotebookClient(
            self._notebooks[LANGUAGES[0]], timeout=timeout_s, startup_timeout=timeout_s,
            kernel_name=KERNELSPEC["name"], record_timing=False, kernel_manager_class=ForkedKernelManager,
            extra_arguments=["--IPKernelApp.log_level=ERROR", *startup],
        )
        self._seed = KernelSeed()  # forked now, with what this process imported (runtime/kernel_fork.py)
        self._loop = _OwnSignalsLoop()
        self._weights = asyncio.Event()
        self._lock = threading.Lock()  # the loop is closed under it, so that no call is scheduled on a closed loop
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="notebook-run", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            with input_folder(self._config) as folder:
                # One torch thread, as in the build: the kernel shares the machine with it.
                env = {**python_child.environment(), "OMP_NUM_THREADS": "1"}
                self._loop.run_until_complete(self._execute(str(folder), env))
        except BaseException as error:  # handed to the main thread by result()
            self._error = error
            _stop_kernel(self._client, self._loop)
        finally:
            with self._lock:
                self._loop.close()

    async def _execute(self, cwd: str, env: dict[str, str]) -> None:
        client = self._client
        client.km = client.create_kernel_manager()
        client.km.seed = self._seed  # the kernel manager starts the kernel in it
        await client.async_start_new_kernel(cwd=cwd, env=env)
        await client.async_start_new_kernel_client()
        await self._weights.wait()
        for language in LANGUAGES:
            if language != LANGUAGES[0]:
                await _forget_names(client)
            client.nb = self._notebooks[language]
            # on the kernel started above; the last language's run shuts it down
            await client.async_execute(cleanup_kc=language == LANGUAGES[-1])

    def _call_soon(self, callback: Callable[[], object]) -> None:
        with self._lock:
            if not self._loop.is_closed():
                self._loop.call_soon_threadsafe(callback)

    def _cancel(self) -> None:
        self._client.shutdown_kernel = "immediate"
        for task in asyncio.all_tasks(self._loop):
            task.cancel()

    def weights_resolved(self) -> None:
        """The build has its weights: the cells may run."""
        self._call_soon(self._weights.set)

    def result(self) -> dict[str, nbformat.NotebookNode]:
        """Each language's executed code cells; raises what stopped them, a failing cell in one line."""
        self.weights_resolved()
        self._thread.join()
        from nbclient.exceptions import CellExecutionError

        if isinstance(self._error, CellExecutionError):
            first_line = ANSI_COLOUR.sub("", str(self._error)).strip().splitlines()[-1]
            raise SiteBuildError(
                f"notebook cell failed: {first_line}; fix generator/report/notebook.py or the API it calls"
            ) from self._error
        if self._error is not None:
            raise self._error
        return dict(self._notebooks)

    def stop(self) -> None:
        """Cancel the run if it still goes, and wait until its kernel is shut down."""
        self._call_soon(self._cancel)
        self._thread.join()
        self._seed.close()  # ends it if it never became the kernel


@contextmanager
def running(config: Config) -> Iterator[Run | None]:
    """The notebook's run, started now if the build executes it, and stopped on the way out whatever happens."""
    if not config.execute_notebook:
        yield None
        return
    run = Run(config)
    try:
        yield run
    finally:
        with interrupts.held():
            run.stop()


def executed_code_cells(published: str) -> nbformat.NotebookNode:
    """A published notebook's code cells with their outputs, as ``Run.result()`` gives them: to reuse a run."""
    notebook = nbformat.reads(published, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    return nbformat.v4.new_notebook(cells=code, metadata=notebook.metadata)


def coalesce_streams(notebook: nbformat.NotebookNode) -> None:
    """Join consecutive stdout/stderr chunks: how the kernel splits them varies from run to run."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        merged: list[nbformat.NotebookNode] = []
        for output in cell.outputs:
            previous = merged[-1] if merged else None
            if output.output_type == "stream" and previous is not None and previous.output_type == "stream" \
                    and previous.name == output.name:
                previous.text += output.text
            else:
                merged.append(output)
        cell.outputs = merged


def render_notebook(config: Config, language: str, weights_kind: str,
                    executed: nbformat.NotebookNode | None = None) -> str:
    """The notebook in one language; with ``executed``, its code cells carry that run's outputs."""
    notebook = build_notebook(config, language, weights_kind)
    if executed is not None:
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        for cell, ran in zip(code, executed.cells, strict=True):
            cell.update(copy.deepcopy({key: ran[key] for key in ("outputs", "execution_count", "metadata")}))
        notebook.metadata.update(copy.deepcopy(executed.metadata))
        coalesce_streams(notebook)
    return nbformat.writes(notebook) + "\n"
