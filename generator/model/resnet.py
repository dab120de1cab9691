"""Build torchvision's ResNet18 and run it once, keeping what the report shows.

torchvision's ReLUs are in place and BasicBlock adds in place, so every hook
clones what it keeps: a kept reference would be overwritten by the add and
make the residual comparison true by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from PIL import Image
from torch import nn
from torchvision.models import resnet18
from torchvision.models.resnet import BasicBlock

from ..core.errors import WeightsError
from ..core.imagenet import IMAGENET_WEIGHTS
from .hooks import forward_with_hooks, keep_input, keep_output

STAGES: tuple[str, ...] = ("layer1", "layer2", "layer3", "layer4")


def build_model(state_dict: dict[str, torch.Tensor] | None, seed: int) -> nn.Module:
    """ResNet18 in eval mode; seeded random init when no weights are given."""
    torch.manual_seed(seed)
    model = resnet18(weights=None)
    if state_dict is not None:
        model.load_state_dict(state_dict, strict=True)
    return model.eval()


def preprocess(image: Image.Image) -> torch.Tensor:
    """The weights' own transforms (resize, centre crop, normalise), batch of one."""
    return IMAGENET_WEIGHTS.transforms()(image).unsqueeze(0)


@dataclass
class BlockCapture:
    """One BasicBlock's tensors, each cloned at the moment it existed."""

    name: str
    x: torch.Tensor
    residual: torch.Tensor
    shortcut: torch.Tensor
    output: torch.Tensor
    downsample: bool


@dataclass
class RunCapture:
    input: torch.Tensor
    logits: torch.Tensor
    convolved: torch.Tensor  # conv1's own output, before BatchNorm: the map each of its filters makes
    stem: torch.Tensor
    pooled_stem: torch.Tensor
    stages: dict[str, torch.Tensor]
    blocks: list[BlockCapture] = field(default_factory=list)


def basic_blocks(model: nn.Module) -> list[tuple[str, BasicBlock]]:
    return [(name, module) for name, module in model.named_modules() if isinstance(module, BasicBlock)]


def refuse_non_finite(name: str):
    """A forward hook that stops the pass at the first module whose output holds NaN or infinity.

    Hooks fire in execution order, so the module named is where the values
    first went wrong; every later number would be meaningless.
    """

    def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        if not bool(torch.isfinite(output).all()):
            raise WeightsError(
                f"weights give non-finite values at {name} (NaN or infinity in its output on this "
                "image): they are broken or overflow float32; use other weights"
            )

    return hook


def run(model: nn.Module, batch: torch.Tensor) -> RunCapture:
    """Forward pass with hooks that clone block inputs, F(x), shortcuts and outputs.

    Raises WeightsError naming the first module whose output is not finite.
    """
    kept: dict[str, torch.Tensor] = {}
    blocks = basic_blocks(model)
    handles = [
        *(module.register_forward_hook(refuse_non_finite(name)) for name, module in model.named_modules() if name),
        model.conv1.register_forward_hook(keep_output(kept, "conv1")),
        model.relu.register_forward_hook(keep_output(kept, "stem")),
        model.maxpool.register_forward_hook(keep_output(kept, "pooled_stem")),
        *(model.get_submodule(stage).register_forward_hook(keep_output(kept, stage)) for stage in STAGES),
    ]
    for name, block in blocks:
        handles.append(block.register_forward_pre_hook(keep_input(kept, f"{name}.x")))
        handles.append(block.bn2.register_forward_hook(keep_output(kept, f"{name}.residual")))
        handles.append(block.register_forward_hook(keep_output(kept, f"{name}.output")))
        if block.downsample is not None:
            handles.append(block.downsample.register_forward_hook(keep_output(kept, f"{name}.shortcut")))
    logits = forward_with_hooks(model, batch, handles)

    return RunCapture(
        input=batch,
        logits=logits,
        convolved=kept["conv1"],
        stem=kept["stem"],
        pooled_stem=kept["pooled_stem"],
        stages={stage: kept[stage] for stage in STAGES},
        blocks=[
            BlockCapture(
                name=name,
                x=kept[f"{name}.x"],
                residual=kept[f"{name}.residual"],
                shortcut=kept.get(f"{name}.shortcut", kept[f"{name}.x"]),
                output=kept[f"{name}.output"],
                downsample=block.downsample is not None,
            )
            for name, block in blocks
        ],
    )
