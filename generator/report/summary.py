"""Collect the torchsummary table with forward hooks.

Like torchsummary, a row is one *call* of a module that is neither the model
nor a container: BasicBlock's ReLU runs twice and so gives two rows. Like
torchinfo, collecting is kept apart from formatting: rows hold numbers only.
"""

from __future__ import annotations

import torch
from torch import nn

from ..model.hooks import CONTAINERS, forward_with_hooks
from .facts import SummaryRow


def parameter_formula(module: nn.Module) -> tuple[tuple[int, ...], ...]:
    """The "Cálculos" column as products to add, in the report's order: ((64, 3, 7, 7),) or ((512, 1000), (1000,))."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        terms: list[tuple[int, ...]] = [(module.out_channels, module.in_channels // module.groups, kh, kw)]
        if module.bias is not None:
            terms.append((module.out_channels,))
        return tuple(terms)
    if isinstance(module, nn.BatchNorm2d):
        return ((module.num_features, 2),) if module.affine else ()
    if isinstance(module, nn.Linear):
        terms = [(module.in_features, module.out_features)]
        if module.bias is not None:
            terms.append((module.out_features,))
        return tuple(terms)
    return ()


def own_parameters(module: nn.Module) -> int:
    """Parameters held by this module itself, as torchsummary counts them."""
    return sum(p.numel() for p in module.parameters(recurse=False))


def collect_summary(model: nn.Module, batch: torch.Tensor) -> list[SummaryRow]:
    names = {module: name for name, module in model.named_modules()}
    rows: list[SummaryRow] = []

    def record(module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        rows.append(
            SummaryRow(
                index=len(rows) + 1,
                layer_type=type(module).__name__,
                module=names[module],
                output_shape=(-1, *output.shape[1:]),
                formula=parameter_formula(module),
                params=own_parameters(module),
                trainable=any(p.requires_grad for p in module.parameters(recurse=False)),
            )
        )

    handles = [
        module.register_forward_hook(record)
        for module in model.modules()
        if module is not model and not isinstance(module, CONTAINERS)
    ]
    forward_with_hooks(model, batch, handles)
    return rows
