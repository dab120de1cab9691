"""The notebook page: the generator's API in a reader's hands, executed at build time.

Executing it during the build is the test that the code it shows still runs:
a failing cell fails the build.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import re
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from . import interrupts
from .config import Config, sample_image
from .errors import SiteBuildError
from .pages import translations

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def code_cells(config: Config) -> list[str]:
    """The default image is named through the API, so no local path is published."""
    image = "sample_image()" if config.image == sample_image() else f"Path({json.dumps(str(config.image))})"
    weights = json.dumps(config.weights)
    return [
        "from pathlib import Path\n"
        "from generator.config import sample_image\n"
        "from generator.image import load_image\n"
        "from generator.model import build_model, preprocess, run\n"
        "from generator.weights import resolve_weights\n\n"
        f"state_dict, weights_info = resolve_weights(\n    {weights}, seed={config.seed}, allow_download=False\n)\n"
        f"model = build_model(state_dict, seed={config.seed})\n"
        f"image, image_info = load_image({image})\n"
        "capture = run(model, preprocess(image))\n"
        "print('weights:', weights_info.source, '(trained)' if weights_info.trained else '(untrained)')",
        "import matplotlib.pyplot as plt\n\n"
        "feature_map = capture.stages['layer1']\n"
        "print(tuple(feature_map.shape))\n"
        "plt.imshow(feature_map[0, 0], cmap='viridis')\n"
        "plt.axis('off')\n"
        "plt.show()",
        "import torch\n\n"
        "block = capture.blocks[0]\n"
        "manual = torch.relu(block.residual + block.shortcut)\n"
        "print(block.name, torch.allclose(manual, block.output))\n"
        "print('max |difference|:', float((manual - block.output).abs().max()))\n"
        "print('F(x) has negative values:', bool((block.residual < 0).any()))",
    ]


def build_notebook(config: Config, language: str) -> nbformat.NotebookNode:
    strings = translations(language)
    cells = [nbformat.v4.new_markdown_cell(strings["notebook_intro"])]
    for i, source in enumerate(code_cells(config), start=1):
        cells.append(nbformat.v4.new_markdown_cell(strings[f"notebook_step_{i}"]))
        cells.append(nbformat.v4.new_code_cell(source))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{language}-{index}"
    return notebook


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


def execute(notebook: nbformat.NotebookNode, timeout_s: int = 300) -> None:
    client = NotebookClient(
        notebook, timeout=timeout_s, kernel_name="python3", record_timing=False,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(PROJECT_ROOT)}},
    )
    loop = _OwnSignalsLoop()
    try:
        loop.run_until_complete(client.async_execute())
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


def render_notebook(config: Config, language: str) -> str:
    notebook = build_notebook(config, language)
    if config.execute_notebook:
        execute(notebook)
        coalesce_streams(notebook)
    return nbformat.writes(notebook) + "\n"
