"""torchvision's models on PyTorch's meta device: modules and shapes, no parameter values, cheap to build.

The family's description (report/family.py) and the check's own account of
it (verify/family.py) each build their own instances from here, so neither
side can change a model the other one reads.
"""

from __future__ import annotations

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


def meta_model(name: str) -> nn.Module:
    """A new instance of torchvision's model ``name``, in eval mode, on the meta device."""
    with torch.device("meta"), _NoInitialValues():
        return getattr(tv_models, name)(weights=None).eval()
