"""One forward pass under hooks that are always removed, whatever happens."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)  # modules that only hold others: torchsummary skips them


def keep_output(kept: dict[str, torch.Tensor], key: str) -> Callable[..., None]:
    """A forward hook storing a copy of the module's output under key (a later in-place op cannot change it)."""

    def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        kept[key] = output.detach().clone()

    return hook


def keep_input(kept: dict[str, torch.Tensor], key: str) -> Callable[..., None]:
    """A forward pre-hook storing a copy of the module's first input under key."""

    def hook(_module: nn.Module, inputs: tuple) -> None:
        kept[key] = inputs[0].detach().clone()

    return hook


def forward_with_hooks(model: nn.Module, batch: torch.Tensor, handles: list[RemovableHandle]) -> torch.Tensor:
    """Run the model without gradients, then remove the given hooks (in finally, like torchinfo)."""
    try:
        with torch.no_grad():
            return model(batch)
    finally:
        for handle in handles:
            handle.remove()
