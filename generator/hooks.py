"""One forward pass under hooks that are always removed, whatever happens."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def forward_with_hooks(model: nn.Module, batch: torch.Tensor, handles: list[RemovableHandle]) -> torch.Tensor:
    """Run the model without gradients, then remove the given hooks (in finally, like torchinfo)."""
    try:
        with torch.no_grad():
            return model(batch)
    finally:
        for handle in handles:
            handle.remove()
