"""ResNet18's siblings in torchvision, described by walking their modules: no weights, no image, no forward pass.

Each model is built on PyTorch's meta device (shapes without storage, so
no memory and no initialisation), and its numbers follow from the modules'
own attributes: the output size of every convolution and pooling from its
kernel, stride, padding and dilation, the multiply-accumulates of every
convolution from its weight's size times its output positions (and, to set
beside the paper's Table 1, the same count with the paper's stride placement
and without the projection shortcuts). Nothing here
depends on the run's image or weights, so the result is the same for every
build with the same torchvision; the check derives the same numbers its own
way (a forward pass under hooks, verify/family.py) and compares both with
the numbers torchvision publishes for every weights entry.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache

from torch import nn
from torchvision import models as tv_models

from ..core import memo, sources
from ..core.imagenet import IMAGENET_WEIGHTS
from ..model import meta
from ..model.meta import OPS_TOLERANCE_GFLOPS
from ..model.resnet import STAGES
from .facts import BlockExample, BlockLayer, Family, FamilyModel, FamilyWeights, family_from_json
from .family_summary import describe_summary, output_size
from .summary import own_parameters, parameter_formula

MODELS: tuple[str, ...] = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
EXAMPLE_BLOCKS: tuple[tuple[str, str], ...] = (("resnet18", "layer1.1"), ("resnet50", "layer1.1"))  # no shortcut projection
PAPER_DECIMALS = 1  # the paper's Table 1 gives FLOPs to one decimal, in units of 10^9


@cache
def meta_model(name: str) -> nn.Module:
    """This side's own meta-device instance of torchvision's model (model/meta.py), built once per name."""
    return meta.meta_model(name)


def main_path_convs(block: nn.Module) -> list[nn.Conv2d]:
    """A block's convolutions outside its shortcut, in the order they run."""
    return [module for name, module in block.named_children() if isinstance(module, nn.Conv2d)]


@dataclasses.dataclass
class Counts:
    """A model's multiply-accumulates outside its shortcuts and in its projection shortcuts, and how much the first
    count changes with the paper's stride (ResNet v1: each block's first convolution at the block's output size)."""

    main: int = 0
    projections: int = 0
    paper_stride_change: int = 0

    def add_block(self, block: nn.Module, size: int) -> int:
        """Count one block whose input is size x size; return its output size."""
        convs = main_path_convs(block)
        inner = size
        for conv in convs:
            inner = output_size(inner, conv)
            self.main += conv.weight.numel() * inner * inner
        first_size = output_size(size, convs[0])
        self.paper_stride_change += convs[0].weight.numel() * (inner * inner - first_size * first_size)
        if block.downsample is not None:
            projection = block.downsample[0]
            self.projections += projection.weight.numel() * output_size(size, projection) ** 2
        return inner

    def readings(self) -> dict[str, int]:
        """The count, then the count with each of the paper's changes, under the reading's code, in the order tried."""
        stride = self.main + self.paper_stride_change
        return {"agrees": self.main + self.projections, "stride": stride + self.projections,
                "projections": self.main, "stride_and_projections": stride}


def paper_flops_reading(counts: Counts, paper_flops: float) -> str:
    """Which count rounds to the paper's Table 1 number: this one, else the first of the paper's changes that does."""
    paper = round(paper_flops / 1e9, PAPER_DECIMALS)
    return next((code for code, macs in counts.readings().items() if round(macs / 1e9, PAPER_DECIMALS) == paper),
                "unexplained")


def describe_model(name: str, input_size: int, paper_flops: float) -> FamilyModel:
    model = meta_model(name)
    size = output_size(input_size, model.conv1)
    counts = Counts(main=model.conv1.weight.numel() * size * size + model.fc.weight.numel())
    size = output_size(size, model.maxpool)
    channels, sizes, blocks, block_types, weighted = [], [], [], set(), 1
    for stage_name in STAGES:
        stage = model.get_submodule(stage_name)
        for block in stage:
            block_types.add(type(block).__name__)
            weighted += len(main_path_convs(block))
            size = counts.add_block(block, size)
        blocks.append(len(stage))
        channels.append(main_path_convs(stage[-1])[-1].out_channels)
        sizes.append(size)
    weighted += 1
    if len(block_types) != 1:
        raise ValueError(f"{name} mixes block types {sorted(block_types)}")
    params = sum(p.numel() for p in model.parameters())
    groups = {group: sum(p.numel() for key, p in model.named_parameters() if key.split(".")[0] == group)
              for group in ("conv1", "bn1", *STAGES, "fc")}
    readings = counts.readings()
    return FamilyModel(
        name=name,
        block=block_types.pop(),
        blocks=tuple(blocks),
        kernels=tuple(conv.kernel_size[0] for conv in main_path_convs(model.layer1[0])),
        weighted_layers=weighted,
        params=params,
        macs=readings["agrees"],
        macs_paper_stride=readings["stride"],
        macs_without_projections=readings["projections"],
        macs_paper_stride_without_projections=readings["stride_and_projections"],
        stage_channels=tuple(channels),
        stage_sizes=tuple(sizes),
        stem_share=(groups["conv1"] + groups["bn1"]) / params,
        stage_shares=tuple(groups[stage] / params for stage in STAGES),
        fc_share=groups["fc"] / params,
        paper_flops_reading=paper_flops_reading(counts, paper_flops),
    )


def published_weights(name: str) -> tuple[FamilyWeights, ...]:
    """Every weights entry torchvision lists for the model, with the numbers it publishes."""
    entries = tv_models.get_model_weights(name)
    return tuple(
        FamilyWeights(
            name=entry.name, model=name, num_params=entry.meta["num_params"], gflops=entry.meta["_ops"],
            top1=entry.meta["_metrics"]["ImageNet-1K"]["acc@1"], top5=entry.meta["_metrics"]["ImageNet-1K"]["acc@5"],
        )
        for entry in entries
    )


def describe_block(model_name: str, block_name: str) -> BlockExample:
    """A block's parameters layer by layer, each with the products of its parameters' sizes."""
    block = meta_model(model_name).get_submodule(block_name)
    layers = tuple(
        BlockLayer(name=name, layer_type=type(module).__name__, formula=parameter_formula(module),
                   params=own_parameters(module))
        for name, module in block.named_modules() if name and own_parameters(module)
    )
    return BlockExample(name=block_name, model=model_name, block=type(block).__name__,
                        channels=main_path_convs(block)[0].in_channels, layers=layers,
                        params=sum(layer.params for layer in layers))


def describe_family() -> Family:
    cited = sources.cited_numbers()
    input_size = IMAGENET_WEIGHTS.transforms().crop_size[0]
    return Family(
        input_size=input_size,
        ops_tolerance=OPS_TOLERANCE_GFLOPS,
        models=tuple(describe_model(name, input_size, cited[f"paper_flops_{name}"]) for name in MODELS),
        weights=tuple(entry for name in MODELS for entry in published_weights(name)),
        examples=tuple(describe_block(model, block) for model, block in EXAMPLE_BLOCKS),
        summaries=tuple(describe_summary(name, meta_model(name), input_size) for name in MODELS),
    )


def remembered_family() -> Family:
    """describe_family(), computed once per version of the code, torch and torchvision (see report/memo.py)."""
    return memo.remembered("family", describe_family, lambda family: json.dumps(dataclasses.asdict(family)),
                           family_from_json)
