"""Every number the report shows, derived from one run, as a JSON-ready tree.

Facts hold numbers and identifiers only; wording and number formats belong
to the templates and their filters.
"""

from __future__ import annotations

import dataclasses
import json
import platform
from dataclasses import dataclass
from typing import Any

import torch
import torchvision
from torch import nn

from .image import ImageProvenance
from .model import STAGES, RunCapture
from .summary import SummaryRow
from .weights import IMAGENET_WEIGHTS, WeightsProvenance

STAGE_GROUPS: tuple[str, ...] = ("conv1", *STAGES, "fc")
RTOL = 1e-5
ATOL = 1e-8


@dataclass(frozen=True)
class Architecture:
    input_channels: int
    resize_size: int
    input_size: int
    stem_kernel: int
    stem_stride: int
    stem_channels: int
    stem_size: int
    pool_kernel: int
    pool_stride: int
    pool_size: int
    block_kernel: int
    shortcut_kernel: int
    convs_per_block: int
    stage_count: int
    blocks_per_stage: tuple[int, ...]
    stage_channels: tuple[int, ...]
    stage_sizes: tuple[int, ...]
    stage_strides: tuple[int, ...]
    basic_blocks: int
    downsample_blocks: int
    main_path_convs: int
    weighted_layers: int
    pooled_channels: int
    pooled_size: int
    num_classes: int


@dataclass(frozen=True)
class Totals:
    params: int
    trainable: int
    non_trainable: int
    macs: int
    rows: int
    published_params: int
    published_gflops: float
    published_top1: float
    published_top5: float


@dataclass(frozen=True)
class Stage:
    name: str
    params: int
    macs: int
    output_shape: tuple[int, ...]


@dataclass(frozen=True)
class ResidualCheck:
    block: str
    downsample: bool
    channel: int
    allclose: bool
    rtol: float
    atol: float
    max_abs_diff: float
    residual_min: float
    residual_negative_fraction: float
    changed_by_add: bool


@dataclass(frozen=True)
class Prediction:
    rank: int
    index: int
    label: str
    probability: float


@dataclass(frozen=True)
class Provenance:
    weights: WeightsProvenance
    image: ImageProvenance
    seed: int
    torch_version: str
    torchvision_version: str
    python_version: str


@dataclass(frozen=True)
class Facts:
    provenance: Provenance
    architecture: Architecture
    totals: Totals
    summary: tuple[SummaryRow, ...]
    stages: tuple[Stage, ...]
    residual: tuple[ResidualCheck, ...]
    top_k: int
    gallery_size: int
    predictions: tuple[Prediction, ...]
    gallery_channels: dict[str, tuple[int, ...]]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False) + "\n"


def lookup(tree: Any, path: str) -> Any:
    """Follow a dotted path ("stages.1.params") through dataclasses, dicts and sequences."""
    node = tree
    for part in path.split("."):
        if dataclasses.is_dataclass(node):
            node = getattr(node, part)
        elif isinstance(node, dict):
            node = node[part]
        else:
            node = node[int(part)]
    return node


def describe_architecture(model: nn.Module, capture: RunCapture, summary: list[SummaryRow]) -> Architecture:
    stages = [model.get_submodule(name) for name in STAGES]
    first_blocks = [stage[0] for stage in stages]
    downsamplers = [block.downsample[0] for stage in stages for block in stage if block.downsample is not None]
    main_path_convs = [row for row in summary if row.layer_type == "Conv2d" and "downsample" not in row.module]
    pooled = next(row for row in summary if row.layer_type == "AdaptiveAvgPool2d")
    return Architecture(
        input_channels=capture.input.shape[1],
        resize_size=IMAGENET_WEIGHTS.transforms().resize_size[0],
        input_size=capture.input.shape[-1],
        stem_kernel=model.conv1.kernel_size[0],
        stem_stride=model.conv1.stride[0],
        stem_channels=model.conv1.out_channels,
        stem_size=capture.stem.shape[-1],
        pool_kernel=model.maxpool.kernel_size,
        pool_stride=model.maxpool.stride,
        pool_size=capture.pooled_stem.shape[-1],
        block_kernel=first_blocks[0].conv1.kernel_size[0],
        shortcut_kernel=downsamplers[0].kernel_size[0],
        convs_per_block=sum(isinstance(m, nn.Conv2d) for m in first_blocks[0].children()),
        stage_count=len(stages),
        blocks_per_stage=tuple(len(stage) for stage in stages),
        stage_channels=tuple(capture.stages[name].shape[1] for name in STAGES),
        stage_sizes=tuple(capture.stages[name].shape[-1] for name in STAGES),
        stage_strides=tuple(block.conv1.stride[0] for block in first_blocks),
        basic_blocks=len(capture.blocks),
        downsample_blocks=len(downsamplers),
        main_path_convs=len(main_path_convs),
        weighted_layers=len(main_path_convs) + sum(row.layer_type == "Linear" for row in summary),
        pooled_channels=pooled.output_shape[1],
        pooled_size=pooled.output_shape[-1],
        num_classes=model.fc.out_features,
    )


def row_macs(row: SummaryRow) -> int:
    """Multiply-adds of a convolution or linear row: weights (no bias) times output positions."""
    if row.layer_type not in ("Conv2d", "Linear") or not row.formula:
        return 0
    weights = 1
    for factor in row.formula[0]:
        weights *= factor
    positions = 1
    for size in row.output_shape[2:]:
        positions *= size
    return weights * positions


def group_stages(summary: list[SummaryRow]) -> tuple[Stage, ...]:
    """Rows grouped by top-level module: stem into conv1, pooling into fc, so they sum to the totals."""
    def group_of(row: SummaryRow) -> str:
        top = row.module.split(".")[0]
        if top in STAGES:
            return top
        return "fc" if top in ("avgpool", "fc") else "conv1"

    stages = []
    for name in STAGE_GROUPS:
        rows = [row for row in summary if group_of(row) == name]
        stages.append(
            Stage(
                name=name,
                params=sum(row.params for row in rows),
                macs=sum(row_macs(row) for row in rows),
                output_shape=rows[-1].output_shape[1:],
            )
        )
    return tuple(stages)


def check_residuals(capture: RunCapture) -> tuple[ResidualCheck, ...]:
    """The report's comparison for every block: ReLU(F(x) + shortcut) by hand versus the block's output."""
    checks = []
    for block in capture.blocks:
        manual = torch.relu(block.residual + block.shortcut)
        diff = (manual - block.output).abs()
        checks.append(
            ResidualCheck(
                block=block.name,
                downsample=block.downsample,
                channel=most_active_channels(block.output, 1)[0],
                allclose=bool(torch.allclose(manual, block.output, rtol=RTOL, atol=ATOL)),
                rtol=RTOL,
                atol=ATOL,
                max_abs_diff=float(diff.max()),
                residual_min=float(block.residual.min()),
                residual_negative_fraction=float((block.residual < 0).float().mean()),
                changed_by_add=not torch.equal(block.residual, block.output),
            )
        )
    return tuple(checks)


def most_active_channels(feature_map: torch.Tensor, count: int) -> tuple[int, ...]:
    """Channels with the highest mean activation; ties broken by channel index, so the choice is stable."""
    means = feature_map[0].mean(dim=(1, 2))
    order = sorted(range(means.numel()), key=lambda c: (-float(means[c]), c))
    return tuple(order[:count])


def top_predictions(logits: torch.Tensor, k: int) -> tuple[Prediction, ...]:
    probabilities = torch.softmax(logits[0], dim=0)
    values, indices = torch.topk(probabilities, k)
    labels = IMAGENET_WEIGHTS.meta["categories"]
    return tuple(
        Prediction(rank=rank, index=int(index), label=labels[int(index)], probability=float(value))
        for rank, (value, index) in enumerate(zip(values, indices), start=1)
    )


def derive_facts(
    model: nn.Module,
    capture: RunCapture,
    summary: list[SummaryRow],
    weights: WeightsProvenance,
    image: ImageProvenance,
    top_k: int,
    feature_channels: int,
) -> Facts:
    params = sum(row.params for row in summary)
    trainable = sum(row.params for row in summary if row.trainable)
    stages = group_stages(summary)
    feature_maps = {"conv1": capture.stem, **capture.stages}
    return Facts(
        provenance=Provenance(
            weights=weights,
            image=image,
            seed=weights.seed,
            torch_version=torch.__version__,
            torchvision_version=torchvision.__version__,
            python_version=platform.python_version(),
        ),
        architecture=describe_architecture(model, capture, summary),
        totals=Totals(
            params=params,
            trainable=trainable,
            non_trainable=params - trainable,
            macs=sum(stage.macs for stage in stages),
            rows=len(summary),
            published_params=IMAGENET_WEIGHTS.meta["num_params"],
            published_gflops=IMAGENET_WEIGHTS.meta["_ops"],
            published_top1=IMAGENET_WEIGHTS.meta["_metrics"]["ImageNet-1K"]["acc@1"],
            published_top5=IMAGENET_WEIGHTS.meta["_metrics"]["ImageNet-1K"]["acc@5"],
        ),
        summary=tuple(summary),
        stages=stages,
        residual=check_residuals(capture),
        top_k=top_k,
        gallery_size=feature_channels,
        predictions=top_predictions(capture.logits, top_k) if weights.trained else (),
        gallery_channels={name: most_active_channels(fm, feature_channels) for name, fm in feature_maps.items()},
    )
