"""onnxruntime-web's files for the page that runs the model: copied from node_modules into docs by every build.

package.json pins onnxruntime-web and package-lock.json its whole tree; `npm ci`
(which `make site` runs) installs it into the project's node_modules. The site
ships only what the page loads: for WebAssembly, the ES module ``ort.wasm.min.mjs``
with the runtime's loader and binary; for WebGPU, ``ort.webgpu.min.mjs`` with the
asyncify build it loads. Nothing else of the package is served. The files are an
input of the site's digest by the package's version (pipeline/stamp.py), so a
new version rebuilds the site and an unchanged one reads nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..core import atomic
from ..core.config import PROJECT_ROOT, RUNTIME_FOLDER
from ..core.errors import UsageError
from ..core.limits import TREE_FILE_LIMIT

NODE_MODULES = "RESNET18_NODE_MODULES"  # another node_modules folder: a copy of the package (tests, benchmarks) uses its checkout's
FILES: tuple[str, ...] = (
    "ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm",
    "ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm",
)
MISSING = ("onnxruntime-web is not installed in {folder}: run `npm ci` in the project (make site does), "
           "which installs the version package-lock.json pins")


def package_folder() -> Path:
    """onnxruntime-web in the project's node_modules, or in $RESNET18_NODE_MODULES when that is set."""
    modules = os.environ.get(NODE_MODULES)
    return (Path(modules) if modules else PROJECT_ROOT / "node_modules") / "onnxruntime-web"


def version(package: Path | None = None) -> str:
    """The installed onnxruntime-web's version; a UsageError (exit 2) in one line when it or a file is missing."""
    package = package or package_folder()
    try:
        found = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(MISSING.format(folder=package.parent)) from None
    if not all((package / "dist" / name).is_file() for name in FILES):
        raise UsageError(MISSING.format(folder=package.parent))
    return str(found)


def copy_runtime(docs: Path, package: Path | None = None) -> list[str]:
    """The page's runtime files into docs/RUNTIME_FOLDER; returns their paths under docs."""
    package = package or package_folder()
    version(package)
    written = []
    for name in FILES:
        source = package / "dist" / name
        if source.stat().st_size > TREE_FILE_LIMIT:
            raise UsageError(f"{source} is larger than {TREE_FILE_LIMIT:,} bytes: not onnxruntime-web's file")
        atomic.write_bytes(docs / RUNTIME_FOLDER / name, source.read_bytes())
        written.append(f"{RUNTIME_FOLDER}/{name}")
    return written
