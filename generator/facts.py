"""Every number the report shows, derived from one run, as a JSON-ready tree.

Facts hold numbers and identifiers only; wording and number formats belong
to the templates and their filters. A value tied to a module, stage, block
or class lives in an item with a ``name``: the page shows the name from the
same item, and the check reads the pair back (labels are data).
"""

from __future__ import annotations

import dataclasses
import json
import platform
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torchvision
from torch import nn

from . import sources
from .image import ImageProvenance
from .model import STAGES, RunCapture
from .names import printable_name
from .summary import SummaryRow

if TYPE_CHECKING:  # the type only: facts never load or download weights
    from .weights import WeightsProvenance
from .imagenet import IMAGENET_WEIGHTS

RTOL = 1e-5
ATOL = 1e-8
BYTES_PER_FLOAT = 4  # torchsummary's size estimates assume float32
MEGABYTE = 1024**2


@dataclass(frozen=True)
class WeightsFacts:
    kind: str  # "imagenet" (verified trained), "file" (the user's, training unknown) or "random"
    requested: str  # --weights as a word: "auto", "imagenet", "random" or "file"
    trained: bool  # only torchvision's verified ImageNet weights are known to be trained
    file_name: str | None  # the file's name, never its path
    sha256: str | None
    size_bytes: int | None
    seed: int


@dataclass(frozen=True)
class ImageFacts:
    name: str  # printable file name, never a path
    sha256: str
    width: int
    height: int
    original_mode: str
    format: str
    conversions: tuple[str, ...]


@dataclass(frozen=True)
class Provenance:
    weights: WeightsFacts
    image: ImageFacts
    seed: int
    torch_version: str
    torchvision_version: str
    python_version: str


@dataclass(frozen=True)
class Architecture:
    """Numbers about the network as a whole, tied to no single module."""

    input_channels: int
    resize_size: int
    input_size: int
    block_kernel: int
    shortcut_kernel: int
    shortcut_stride: int
    convs_per_block: int
    stage_count: int
    blocks_per_stage: int
    basic_blocks: int
    downsample_blocks: int
    main_path_convs: int
    weighted_layers: int
    num_classes: int


@dataclass(frozen=True)
class StemLayer:
    """conv1 and maxpool: the two stem modules that change the size."""

    name: str
    kernel: int
    stride: int
    channels: int
    size: int  # of this module's output


@dataclass(frozen=True)
class Stage:
    name: str
    ordinal: int  # as the report numbers its blocks: layer1 is "Etapa 1"
    blocks: int
    channels: int
    size: int
    stride: int


@dataclass(frozen=True)
class ModuleRow:
    """One top-level module of the network: its output and its share of parameters and work."""

    name: str
    layer_type: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


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
    input_size_mb: float
    forward_backward_mb: float
    params_size_mb: float
    estimated_total_mb: float


@dataclass(frozen=True)
class ResidualCheck:
    name: str  # the block
    downsample: bool
    channel: int
    allclose: bool
    rtol: float
    atol: float
    max_abs_diff: float
    residual_min: float
    residual_max: float
    residual_negative_fraction: float


@dataclass(frozen=True)
class Prediction:
    name: str  # the ImageNet class
    rank: int
    index: int
    probability: float


@dataclass(frozen=True)
class Gallery:
    name: str  # the module whose output the gallery shows
    shape: tuple[int, ...]
    channels: tuple[int, ...]  # most active first


@dataclass(frozen=True)
class Facts:
    provenance: Provenance
    architecture: Architecture
    stem: tuple[StemLayer, ...]
    stages: tuple[Stage, ...]
    modules: tuple[ModuleRow, ...]
    totals: Totals
    summary: tuple[SummaryRow, ...]
    residual: tuple[ResidualCheck, ...]
    top_k: int
    gallery_size: int
    predictions: tuple[Prediction, ...]
    prediction_ties: int  # classes sharing the top probability; 1 when one class stands out
    galleries: tuple[Gallery, ...]
    cited: dict[str, int | float]
    claims: dict[str, str]  # claim -> the variant of its sentence that is true for this run

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False) + "\n"


def lookup(tree: Any, path: str) -> Any:
    """Follow a dotted path ("stages.1.channels") through dataclasses, dicts and sequences."""
    node = tree
    for part in path.split("."):
        if dataclasses.is_dataclass(node):
            node = getattr(node, part)
        elif isinstance(node, dict):
            node = node[part]
        else:
            node = node[int(part)]
    return node


def weights_facts(weights: WeightsProvenance) -> WeightsFacts:
    """What the site may say about the weights: their kind and identity, never a local path."""
    kind = "random" if weights.source == "random" else "file" if weights.source == "file" else "imagenet"
    requested = weights.choice if weights.choice in ("auto", "imagenet", "random") else "file"
    return WeightsFacts(
        kind=kind,
        requested=requested,
        trained=kind == "imagenet",
        file_name=printable_name(_base_name(weights.path)) if weights.path else None,
        sha256=weights.sha256,
        size_bytes=weights.size_bytes,
        seed=weights.seed,
    )


def image_facts(image: ImageProvenance) -> ImageFacts:
    return ImageFacts(
        name=printable_name(_base_name(image.name)),
        sha256=image.sha256,
        width=image.width,
        height=image.height,
        original_mode=image.original_mode,
        format=image.format,
        conversions=image.conversions,
    )


def _base_name(path: str) -> str:
    return str(path).rstrip("/").rsplit("/", 1)[-1]


def describe_architecture(model: nn.Module, summary: list[SummaryRow]) -> Architecture:
    stages = [model.get_submodule(name) for name in STAGES]
    downsamplers = [block.downsample[0] for stage in stages for block in stage if block.downsample is not None]
    main_path_convs = [row for row in summary if row.layer_type == "Conv2d" and "downsample" not in row.module]
    blocks_per_stage = {len(stage) for stage in stages}
    if len(blocks_per_stage) != 1:
        raise ValueError(f"stages differ in depth ({sorted(blocks_per_stage)}): not a ResNet18")
    transforms = IMAGENET_WEIGHTS.transforms()
    return Architecture(
        input_channels=model.conv1.in_channels,
        resize_size=transforms.resize_size[0],
        input_size=transforms.crop_size[0],
        block_kernel=stages[0][0].conv1.kernel_size[0],
        shortcut_kernel=downsamplers[0].kernel_size[0],
        shortcut_stride=downsamplers[0].stride[0],
        convs_per_block=sum(isinstance(m, nn.Conv2d) for m in stages[0][0].children()),
        stage_count=len(stages),
        blocks_per_stage=blocks_per_stage.pop(),
        basic_blocks=sum(len(stage) for stage in stages),
        downsample_blocks=len(downsamplers),
        main_path_convs=len(main_path_convs),
        weighted_layers=len(main_path_convs) + sum(row.layer_type == "Linear" for row in summary),
        num_classes=model.fc.out_features,
    )


def describe_stem(model: nn.Module, capture: RunCapture) -> tuple[StemLayer, ...]:
    return (
        StemLayer("conv1", model.conv1.kernel_size[0], model.conv1.stride[0], model.conv1.out_channels,
                  capture.stem.shape[-1]),
        StemLayer("maxpool", model.maxpool.kernel_size, model.maxpool.stride, capture.pooled_stem.shape[1],
                  capture.pooled_stem.shape[-1]),
    )


def describe_stages(model: nn.Module, capture: RunCapture) -> tuple[Stage, ...]:
    return tuple(
        Stage(
            name=name,
            ordinal=ordinal,
            blocks=len(model.get_submodule(name)),
            channels=capture.stages[name].shape[1],
            size=capture.stages[name].shape[-1],
            stride=model.get_submodule(name)[0].conv1.stride[0],
        )
        for ordinal, name in enumerate(STAGES, start=1)
    )


def row_macs(row: SummaryRow) -> int:
    """Multiply-accumulates of a convolution or linear row: weights (no bias) times output positions."""
    if row.layer_type not in ("Conv2d", "Linear") or not row.formula:
        return 0
    weights = 1
    for factor in row.formula[0]:
        weights *= factor
    positions = 1
    for size in row.output_shape[2:]:
        positions *= size
    return weights * positions


def group_modules(model: nn.Module, summary: list[SummaryRow]) -> tuple[ModuleRow, ...]:
    """Summary rows grouped by top-level module; each group's output is its module's own."""
    rows = []
    for name, module in model.named_children():
        members = [row for row in summary if row.module == name or row.module.startswith(name + ".")]
        own = [row for row in members if row.module == name] or members
        rows.append(
            ModuleRow(
                name=name,
                layer_type=type(module).__name__,
                output_shape=own[-1].output_shape[1:],
                params=sum(row.params for row in members),
                macs=sum(row_macs(row) for row in members),
            )
        )
    return tuple(rows)


def torchsummary_sizes(summary: list[SummaryRow], input_shape: tuple[int, ...], params: int) -> dict[str, float]:
    """torchsummary's size estimates: float32 everywhere, outputs counted twice (forward and backward)."""
    input_mb = _product(input_shape) * BYTES_PER_FLOAT / MEGABYTE
    outputs = sum(_product(row.output_shape[1:]) for row in summary)
    forward_backward_mb = 2 * outputs * BYTES_PER_FLOAT / MEGABYTE
    params_mb = params * BYTES_PER_FLOAT / MEGABYTE
    return {
        "input_size_mb": input_mb,
        "forward_backward_mb": forward_backward_mb,
        "params_size_mb": params_mb,
        "estimated_total_mb": input_mb + forward_backward_mb + params_mb,
    }


def _product(values: tuple[int, ...]) -> int:
    result = 1
    for value in values:
        result *= value
    return result


def check_residuals(capture: RunCapture) -> tuple[ResidualCheck, ...]:
    """The report's comparison for every block: ReLU(F(x) + shortcut) by hand versus the block's output."""
    checks = []
    for block in capture.blocks:
        manual = torch.relu(block.residual + block.shortcut)
        diff = (manual - block.output).abs()
        checks.append(
            ResidualCheck(
                name=block.name,
                downsample=block.downsample,
                channel=most_active_channels(block.output, 1)[0],
                allclose=bool(torch.allclose(manual, block.output, rtol=RTOL, atol=ATOL)),
                rtol=RTOL,
                atol=ATOL,
                max_abs_diff=float(diff.max()),
                residual_min=float(block.residual.min()),
                residual_max=float(block.residual.max()),
                residual_negative_fraction=float((block.residual < 0).float().mean()),
            )
        )
    return tuple(checks)


def most_active_channels(feature_map: torch.Tensor, count: int) -> tuple[int, ...]:
    """Channels with the highest mean activation; ties broken by channel index, so the choice is stable."""
    means = feature_map[0].mean(dim=(1, 2))
    order = sorted(range(means.numel()), key=lambda c: (-float(means[c]), c))
    return tuple(order[:count])


def top_predictions(logits: torch.Tensor, k: int) -> tuple[tuple[Prediction, ...], int]:
    """The k most probable classes, and how many classes share the top probability."""
    probabilities = torch.softmax(logits[0], dim=0)
    values, indices = torch.topk(probabilities, k)
    labels = IMAGENET_WEIGHTS.meta["categories"]
    predictions = tuple(
        Prediction(name=labels[int(index)], rank=rank, index=int(index), probability=float(value))
        for rank, (value, index) in enumerate(zip(values, indices), start=1)
    )
    return predictions, int((probabilities == probabilities.max()).sum())


def choose_claims(
    weights_kind: str, residual: tuple[ResidualCheck, ...], totals: Totals, prediction_ties: int
) -> dict[str, str]:
    """Which wording of each value-dependent sentence is true: chosen by the value, never assumed."""
    first = residual[0]
    prediction = "random" if weights_kind == "random" else "tie" if prediction_ties > 1 else "clear"
    effect = "negative" if first.residual_min < 0 else "zero" if first.residual_max == 0 else "nonnegative"
    return {
        "weights_banner": weights_kind,
        "stem_filters": weights_kind,
        "deep_features": weights_kind,
        "maps_filters": weights_kind,
        "weights_trained": weights_kind,
        "residual_effect": effect,
        "prediction": prediction,
        "prediction_table": prediction,
        "params_match": "equal" if totals.params == totals.published_params else "different",
        "macs_match": "equal" if round(totals.macs / 1e9, 3) == totals.published_gflops else "different",
    }


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
    modules = group_modules(model, summary)
    published = weights_facts(weights)
    weights_kind = published.kind
    predictions, ties = top_predictions(capture.logits, top_k) if weights_kind != "random" else ((), 0)
    views = {"relu": capture.stem, **capture.stages}
    residual = check_residuals(capture)
    totals = Totals(
        params=params,
        trainable=trainable,
        non_trainable=params - trainable,
        macs=sum(module.macs for module in modules),
        rows=len(summary),
        published_params=IMAGENET_WEIGHTS.meta["num_params"],
        published_gflops=IMAGENET_WEIGHTS.meta["_ops"],
        published_top1=IMAGENET_WEIGHTS.meta["_metrics"]["ImageNet-1K"]["acc@1"],
        published_top5=IMAGENET_WEIGHTS.meta["_metrics"]["ImageNet-1K"]["acc@5"],
        **torchsummary_sizes(summary, tuple(capture.input.shape[1:]), params),
    )
    return Facts(
        provenance=Provenance(
            weights=published,
            image=image_facts(image),
            seed=weights.seed,
            torch_version=str(torch.__version__),
            torchvision_version=str(torchvision.__version__),
            python_version=platform.python_version(),
        ),
        architecture=describe_architecture(model, summary),
        stem=describe_stem(model, capture),
        stages=describe_stages(model, capture),
        modules=modules,
        totals=totals,
        summary=tuple(summary),
        residual=residual,
        top_k=top_k,
        gallery_size=feature_channels,
        predictions=predictions,
        prediction_ties=ties,
        galleries=tuple(
            Gallery(name=name, shape=tuple(view.shape[1:]), channels=most_active_channels(view, feature_channels))
            for name, view in views.items()
        ),
        cited=sources.cited_numbers(),
        claims=choose_claims(weights_kind, residual, totals, ties),
    )
