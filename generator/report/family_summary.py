"""Each ResNet's full torchsummary table, walked from its modules: no weights, no image, no forward pass.

torchsummary gives a row to every call of a module that is neither the
model nor a container, in the order the calls *end* (its hook runs after
the forward): a block's row comes after its layers' rows, and a block's
ReLU, called twice, gives two rows. The walk follows the order torchvision's
ResNet and its blocks call their children, and each row's output shape
follows from the layer's own arithmetic (kernel, stride, padding). The
check re-derives every row from a real forward pass under hooks
(verify/family.py), so a walk that drifts from torchvision's forward
fails the build instead of publishing a wrong table.
"""

from __future__ import annotations

from collections.abc import Iterator

from torch import nn

from .derive import torchsummary_sizes
from .facts import FamilySummary, SummaryRow, SummaryTotals
from .summary import CONTAINERS, own_parameters, parameter_formula

Shape = tuple[int, ...]  # channels, height, width (or features), without the batch
BLOCK_SKIPPED = ("relu", "downsample")  # a block calls these itself, apart from its main path


def output_size(size: int, module: nn.Conv2d | nn.MaxPool2d) -> int:
    """Height (or width) after a convolution or pooling, from its kernel, stride, padding and dilation."""
    def first(value: int | tuple[int, ...]) -> int:
        return value if isinstance(value, int) else value[0]

    kernel, stride, padding, dilation = (first(module.kernel_size), first(module.stride), first(module.padding),
                                         first(module.dilation))
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def output_shape(module: nn.Module, shape: Shape) -> Shape:
    """What one layer makes of its input's shape."""
    if isinstance(module, nn.Conv2d):
        return (module.out_channels, output_size(shape[1], module), output_size(shape[2], module))
    if isinstance(module, nn.MaxPool2d):
        return (shape[0], output_size(shape[1], module), output_size(shape[2], module))
    if isinstance(module, nn.AdaptiveAvgPool2d):
        height, width = (module.output_size, module.output_size) if isinstance(module.output_size, int) \
            else module.output_size
        return (shape[0], height, width)
    if isinstance(module, nn.Linear):
        return (module.out_features,)
    if isinstance(module, (nn.BatchNorm2d, nn.ReLU)):
        return shape
    raise ValueError(f"no shape rule for {type(module).__name__}")


def is_block(module: nn.Module) -> bool:
    """A residual block: torchvision's BasicBlock and Bottleneck both hold a downsample slot."""
    return hasattr(module, "downsample")


def block_calls(block: nn.Module, shape: Shape) -> Iterator[tuple[nn.Module, Shape]]:
    """A block's calls: its main path's convolutions and norms in order, with a ReLU after every norm but the
    last; the shortcut's layers, on the block's input; the ReLU after the sum; then the block itself."""
    main = [module for name, module in block.named_children() if name not in BLOCK_SKIPPED]
    norms = [module for module in main if isinstance(module, nn.BatchNorm2d)]
    inner = shape
    for module in main:
        inner = output_shape(module, inner)
        yield module, inner
        if isinstance(module, nn.BatchNorm2d) and module is not norms[-1]:
            yield block.relu, inner
    if block.downsample is not None:
        yield from layer_calls(block.downsample, shape)
    yield block.relu, inner
    yield block, inner


def layer_calls(module: nn.Module, shape: Shape) -> Iterator[tuple[nn.Module, Shape]]:
    """Every call under ``module`` that torchsummary gives a row, in torchvision's order, with its output shape."""
    for child in module.children():
        if isinstance(child, CONTAINERS):
            calls = list(layer_calls(child, shape))
        elif is_block(child):
            calls = list(block_calls(child, shape))
        else:
            calls = [(child, output_shape(child, shape))]
        yield from calls
        if calls:
            shape = calls[-1][1]


def describe_summary(name: str, model: nn.Module, input_size: int) -> FamilySummary:
    """The model's torchsummary table, rows and footer, for one image of ``input_size`` pixels square."""
    input_shape = (model.conv1.in_channels, input_size, input_size)
    names = {module: path for path, module in model.named_modules()}
    rows = tuple(
        SummaryRow(
            index=index,
            layer_type=type(module).__name__,
            module=names[module],
            output_shape=(-1, *shape),
            formula=parameter_formula(module),
            params=own_parameters(module),
            trainable=any(p.requires_grad for p in module.parameters(recurse=False)),
        )
        for index, (module, shape) in enumerate(layer_calls(model, input_shape), start=1)
    )
    params = sum(row.params for row in rows)
    trainable = sum(row.params for row in rows if row.trainable)
    return FamilySummary(
        name=name,
        rows=rows,
        totals=SummaryTotals(params=params, trainable=trainable, non_trainable=params - trainable,
                             **torchsummary_sizes(list(rows), input_shape, params)),
    )
