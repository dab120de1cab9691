"""torch._dynamo, and sympy with it, left unimported in processes that compile nothing.

First, torchvision's import: about 1.3 s of CPU in every process that imports torchvision.

torchvision's ``ops/roi_align.py`` imports ``is_compile_supported`` from
``torch._dynamo.utils`` at its top (its own ``lazy_compile`` says it means
"to avoid eagerly importing dynamo"), so every ``import torchvision`` loads
torch._dynamo, and with it sympy, torch.fx's symbolic shapes and
torch.distributed: 1.3 of the 3.2 s of CPU that importing torch and
torchvision took here. A process that runs a model on real tensors never
needs dynamo: the notebook's kernel, the reproduction of the build's
figures. Some of torch's meta kernels (Python decompositions, behind
``torch._disable_dynamo``) still import it when first called, so a process
that walks the family on the meta device pays for it then, and only then.

``install()`` adds an import hook for that one module: while it runs, and
only if torch._dynamo is not loaded yet, ``torch._dynamo.utils`` is a
stand-in whose ``is_compile_supported`` imports the real one at its first
call, so roi_align behaves as before and pays for dynamo only if it is ever
called. The stand-ins leave ``sys.modules`` as soon as the module is
loaded, so a later ``import torch._dynamo`` is the real one. If torchvision
ever imports another name there, the module is loaded the ordinary way. No
value any process computes changes; this module imports no torch at its own import.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

TARGET = "torchvision.ops.roi_align"
DYNAMO, DYNAMO_UTILS = "torch._dynamo", "torch._dynamo.utils"


def is_compile_supported(device_type: str) -> bool:
    """torch._dynamo.utils.is_compile_supported, imported on the first call."""
    from torch._dynamo.utils import is_compile_supported as real

    return bool(real(device_type))


class _StandInLoader(importlib.abc.Loader):
    """The target's own loader, run with the stand-ins in place."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename...: the real loader's
        return getattr(self.loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        if DYNAMO in sys.modules:  # already paid for: nothing to save
            self.loader.exec_module(module)
            return
        package = types.ModuleType(DYNAMO)
        package.__path__ = []
        utils = types.ModuleType(DYNAMO_UTILS)
        utils.is_compile_supported = is_compile_supported  # type: ignore[attr-defined]
        stand_ins = {DYNAMO: package, DYNAMO_UTILS: utils}
        sys.modules.update(stand_ins)
        try:
            self.loader.exec_module(module)
        except ImportError:  # torchvision wants more of dynamo than the stand-in has: the ordinary way
            _remove(stand_ins)
            self.loader.exec_module(module)
        finally:
            _remove(stand_ins)


def _remove(stand_ins: dict[str, types.ModuleType]) -> None:
    for name, module in stand_ins.items():
        if sys.modules.get(name) is module:
            del sys.modules[name]


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the target as the ordinary path finder does, and hands it the stand-in loader."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _StandInLoader(spec.loader)
        return spec


def install() -> None:
    """Defer torch._dynamo in this process's later ``import torchvision`` (and its forks'); once is enough."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def _not_compiled(fn: Callable[..., Any], recursive: bool = True, wrapping: bool = True) -> Callable[..., Any]:
    """torch._dynamo.disable for a process that compiles nothing: the function itself."""
    return fn


def _no_graph(msg: str = "") -> None:
    """torch._dynamo.graph_break outside compilation, where it does nothing."""


@contextmanager
def without_dynamo() -> Iterator[None]:
    """Eager code that imports torch._dynamo only to mark what compilation must not trace: without importing it
    (about 1 s of CPU here, more than the work itself in a meta-device walk or a two-batch re-run).

    Some meta kernels (Python decompositions) and the optimizers' methods are
    wrapped in ``torch._disable_dynamo``, whose first call imports
    torch._dynamo to mark the function (``torch._dynamo.disable``) and caches
    the marked function on it; an optimizer's step also calls
    ``torch._dynamo.graph_break()``, which does nothing outside compilation.
    Outside compilation a marked function runs exactly as the function itself,
    and no process of this generator compiles: while dynamo is not loaded,
    the import finds a stand-in with those two names, and any other name fails
    loudly. A process that has loaded dynamo keeps it.

    (The meta kernels also import torch.fx's symbolic shapes, and sympy with
    it, 0.4 s, for a dozen functions of booleans, integers and its config,
    called from many places: a stand-in for those would copy torch's
    internals, so they are paid for.)
    """
    import torch

    if DYNAMO in sys.modules:
        yield
        return
    stand_in = types.ModuleType(DYNAMO)
    stand_in.disable = _not_compiled  # type: ignore[attr-defined]
    stand_in.graph_break = _no_graph  # type: ignore[attr-defined]
    sys.modules[DYNAMO] = stand_in
    setattr(torch, "_dynamo", stand_in)
    try:
        yield
    finally:
        _remove({DYNAMO: stand_in})
        if torch.__dict__.get("_dynamo") is stand_in:
            delattr(torch, "_dynamo")
