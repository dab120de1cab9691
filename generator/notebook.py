"""The notebook page: the generator's API in a reader's hands, executed at build time.

Executing it during the build is the test that the code it shows still runs:
a failing cell fails the build. The published code names input files by
their file name only (never a local path): the kernel runs in a scratch
folder where those names lead to the files this build used, and a reader
who downloads the notebook puts their own files beside it.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from . import interrupts
from .config import PROJECT_ROOT, Config, sample_image
from .errors import SiteBuildError
from .pages import translations

ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
NAMED_CHOICES = ("auto", "imagenet", "random")


def code_cells(config: Config) -> list[str]:
    """The default image is named through the API; any other input by its file name alone."""
    default_image = config.image == sample_image()
    image = "sample_image()" if default_image else repr(Path(config.image).name)
    weights = config.weights if config.weights in NAMED_CHOICES else Path(config.weights).name
    return [
        ("from generator.config import sample_image\n" if default_image else "")
        + "from generator.image import load_image\n"
        "from generator.model import build_model, preprocess, run\n"
        "from generator.weights import resolve_weights\n\n"
        f"state_dict, weights_info = resolve_weights(\n"
        f"    {weights!r}, seed={config.seed}, allow_download=False, log=lambda message: None\n)\n"
        f"model = build_model(state_dict, seed={config.seed})\n"
        f"image, image_info = load_image({image})\n"
        "capture = run(model, preprocess(image))\n"
        "print('weights:', weights_info.source)",
        "from IPython.display import Image\n"
        "from generator.figures import channel_png\n\n"
        "feature_map = capture.stages['layer1']\n"
        "print(tuple(feature_map.shape))\n"
        "Image(channel_png(feature_map, channel=0))",
        "import torch\n\n"
        "block = capture.blocks[0]\n"
        "manual = torch.relu(block.residual + block.shortcut)\n"
        "print(block.name, torch.allclose(manual, block.output))\n"
        "print('max |difference|:', float((manual - block.output).abs().max()))\n"
        "print('F(x) has negative values:', bool((block.residual < 0).any()))",
    ]


def build_notebook(config: Config, language: str, weights_kind: str) -> nbformat.NotebookNode:
    """The notebook's cells; weights that are not the verified ImageNet ones are said so up front."""
    strings = translations(language)
    intro = [strings["notebook_intro"]]
    if weights_kind != "imagenet":
        intro.append(strings[f"notebook_weights_{weights_kind}"])
    intro.append(strings["notebook_howto"])
    cells = [nbformat.v4.new_markdown_cell(text) for text in intro]
    for i, source in enumerate(code_cells(config), start=1):
        cells.append(nbformat.v4.new_markdown_cell(strings[f"notebook_step_{i}"]))
        cells.append(nbformat.v4.new_code_cell(source))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
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
            f"the image and the weights file have the same name ({names[0]!r}): the notebook names both by "
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


def execute(notebook: nbformat.NotebookNode, config: Config, timeout_s: int = 300) -> None:
    client = NotebookClient(
        notebook, timeout=timeout_s, kernel_name="python3", record_timing=False,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    python_path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    loop = _OwnSignalsLoop()
    try:
        with input_folder(config) as folder:
            loop.run_until_complete(client.async_execute(cwd=str(folder), env={**os.environ, "PYTHONPATH": python_path}))
    except CellExecutionError as error:
        first_line = ANSI_COLOUR.sub("", str(error)).strip().splitlines()[-1]
        raise SiteBuildError(f"notebook cell failed: {first_line}; fix generator/notebook.py or the API it calls") from error
    except BaseException:
        with interrupts.held():
            _stop_kernel(client, loop)
        raise
    finally:
        loop.close()


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


def render_notebook(config: Config, language: str, weights_kind: str) -> str:
    notebook = build_notebook(config, language, weights_kind)
    if config.execute_notebook:
        execute(notebook, config)
        coalesce_streams(notebook)
    return nbformat.writes(notebook) + "\n"
