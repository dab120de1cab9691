"""torchvision's models on PyTorch's meta device: modules and shapes, no parameter values, cheap to build.

The family's description (report/family.py) and the check's own account of
it (verify/family.py) each build their own instances from here, so neither
side can change a model the other one reads.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torchvision import models as tv_models

OPS_TOLERANCE_GFLOPS = 0.0005  # torchvision rounds its "_ops" metadata to three decimals: half a unit of the last one

# What torchvision's and torch's weight initialisation call to fill a tensor.
INITIALISERS = frozenset({"normal_", "uniform_", "fill_", "zero_", "trunc_normal_", "kaiming_normal_",
                          "kaiming_uniform_", "constant_", "ones_", "zeros_"})


class _NoInitialValues(TorchFunctionMode):
    """Meta tensors hold no values: filling them (three quarters of building the five models) is skipped."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if getattr(func, "__name__", "") in INITIALISERS:
            return args[0] if args else kwargs["tensor"]
        return func(*args, **kwargs)


DYNAMO = "torch._dynamo"


def _not_compiled(fn: Callable[..., Any], recursive: bool = True, wrapping: bool = True) -> Callable[..., Any]:
    """torch._dynamo.disable for a process that compiles nothing: the function itself."""
    return fn


@contextmanager
def without_dynamo() -> Iterator[None]:
    """A pass on the meta device without importing torch._dynamo (about 1 s of CPU here, most of the family's walk).

    Some meta kernels are Python decompositions wrapped in ``torch._disable_dynamo``,
    whose first call imports torch._dynamo only to mark the function as one
    compilation must not trace (``torch._dynamo.disable``), and caches that
    marked function on it. Outside compilation a marked function runs exactly
    as the function itself, and no process of this generator compiles: while
    dynamo is not loaded, the import finds a stand-in whose ``disable`` hands
    the function back. A process that has loaded dynamo keeps it.
    """
    if DYNAMO in sys.modules:
        yield
        return
    stand_in = types.ModuleType(DYNAMO)
    stand_in.disable = _not_compiled  # type: ignore[attr-defined]
    sys.modules[DYNAMO] = stand_in
    setattr(torch, "_dynamo", stand_in)
    try:
        yield
    finally:
        if sys.modules.get(DYNAMO) is stand_in:
            del sys.modules[DYNAMO]
        if torch.__dict__.get("_dynamo") is stand_in:
            delattr(torch, "_dynamo")


def meta_model(name: str) -> nn.Module:
    """A new instance of torchvision's model ``name``, in eval mode, on the meta device."""
    with torch.device("meta"), _NoInitialValues():
        return getattr(tv_models, name)(weights=None).eval()
