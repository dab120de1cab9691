"""Facts from one run of the model: the numbers the report shows, computed, never formatted.

This is where a run becomes facts (see report/facts.py for the data itself):
architecture and stages from the modules, per-module rows and totals from
torchsummary's rows, the residual identity for every block, predictions,
galleries, the cited numbers and which wording of each value-dependent
sentence is true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from ..core import sources
from ..core.config import Config, is_sample_image
from ..core.imagenet import IMAGENET_WEIGHTS
from ..core.names import printable_name
from ..core.units import FLOAT_BYTES, MEGABYTE
from ..experiment import results
from ..experiment.results import Experiment
from ..inputs.image import ImageProvenance
from ..model.resnet import STAGES, RunCapture
from .explorer_data import explorer_facts
from .facts import (
    ATOL,
    RTOL,
    SMALL_CORRECTION_SHARE,
    Architecture,
    Facts,
    Family,
    Gallery,
    ImageFacts,
    ModuleRow,
    Prediction,
    ResidualCheck,
    Stage,
    StemLayer,
    SummaryRow,
    Totals,
    WeightsFacts,
)
from .provenance import describe_provenance, recipe_claims

if TYPE_CHECKING:  # the type only: facts never load or download weights
    from ..inputs.weights import WeightsProvenance



def weights_facts(weights: WeightsProvenance) -> WeightsFacts:
    """What the site may say about the weights: their kind and identity, never a local path."""
    kind = "random" if weights.source == "random" else "file" if weights.source == "file" else "imagenet"
    return WeightsFacts(
        kind=kind,
        trained=kind == "imagenet",
        file_name=printable_name(_base_name(weights.path)) if weights.path else None,
        sha256=weights.sha256,
        size_bytes=weights.size_bytes,
        seed=weights.seed,
    )


def image_facts(image: ImageProvenance, sample: bool) -> ImageFacts:
    return ImageFacts(
        name=printable_name(_base_name(image.name)),
        sha256=image.sha256,
        width=image.width,
        height=image.height,
        original_mode=image.original_mode,
        format=image.format,
        conversions=image.conversions,
        origin="sample" if sample else "file",
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
    input_mb = _product(input_shape) * FLOAT_BYTES / MEGABYTE
    outputs = sum(_product(row.output_shape[1:]) for row in summary)
    forward_backward_mb = 2 * outputs * FLOAT_BYTES / MEGABYTE
    params_mb = params * FLOAT_BYTES / MEGABYTE
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
        channel = most_active_channels(block.output, 1)[0]
        checks.append(
            ResidualCheck(
                name=block.name,
                downsample=block.downsample,
                channel=channel,
                allclose=bool(torch.allclose(manual, block.output, rtol=RTOL, atol=ATOL)),
                rtol=RTOL,
                atol=ATOL,
                max_abs_diff=float(diff.max()),
                residual_min=float(block.residual.min()),
                residual_max=float(block.residual.max()),
                residual_negative_fraction=float((block.residual < 0).float().mean()),
                channel_residual_min=float(block.residual[0, channel].min()),
                channel_residual_max=float(block.residual[0, channel].max()),
                correction_share=correction_share(block.residual, block.shortcut),
            )
        )
    return tuple(checks)


def correction_share(residual: torch.Tensor, shortcut: torch.Tensor) -> float:
    """How much of the sum F(x) + shortcut F(x) is, by the Euclidean norms of the whole maps."""
    residual_norm, shortcut_norm = float(residual.norm()), float(shortcut.norm())
    total = residual_norm + shortcut_norm
    return residual_norm / total if total > 0 else 0.0


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
    weights_kind: str, residual: tuple[ResidualCheck, ...], totals: Totals, prediction_ties: int, family: Family,
    experiment: Experiment,
) -> dict[str, str]:
    """Which wording of each value-dependent sentence is true: chosen by the value, never assumed."""
    first = residual[0]
    prediction = "random" if weights_kind == "random" else "tie" if prediction_ties > 1 else "clear"
    effect = residual_effect(first.channel_residual_min, first.channel_residual_max)
    small = [block.correction_share <= SMALL_CORRECTION_SHARE for block in residual]
    return {
        "weights_banner": weights_kind,
        "stem_filters": weights_kind,
        "stem_output": weights_kind,
        "residual_details": weights_kind,
        "residual_size_weights": weights_kind,
        "resnet18_smallest": smallest(family),
        "family_smallest": smallest(family),
        "deep_features": weights_kind,
        "maps_filters": weights_kind,
        "weights_trained": weights_kind,
        "residual_effect": effect,
        "residual_size": "small" if all(small) else "large" if not any(small) else "mixed",
        "comparison_result": "equal" if first.allclose else "different",
        "paper_degradation": paper_degradation(sources.cited_numbers()),
        "explorer_patterns": weights_kind,
        "own_image_weights": weights_kind,
        "prediction": prediction,
        "prediction_table": prediction,
        "params_match": "equal" if totals.params == totals.published_params else "different",
        "macs_match": "equal" if round(totals.macs / 1e9, 3) == totals.published_gflops else "different",
        "bottleneck_params": "fewer" if family.examples[1].params < family.examples[0].params else "not_fewer",
        "paper_flops": paper_flops(tuple(model.paper_flops_reading for model in family.models)),
        **results.outcome(experiment),
    }


def residual_effect(low: float, high: float) -> str:
    """What the sum does to the shown channel: F(x) subtracts somewhere, only adds, or is zero."""
    return "negative" if low < 0 else "zero" if high == 0 else "nonnegative"


def smallest(family: Family) -> str:
    """Whether ResNet18 has the fewest parameters of the depths torchvision offers."""
    resnet18 = next(model for model in family.models if model.name == "resnet18")
    return "smallest" if all(resnet18.params < model.params for model in family.models if model is not resnet18) \
        else "not_smallest"


def paper_degradation(cited: dict[str, int | float]) -> str:
    """What the paper's ImageNet errors (Table 2) say of depth, without shortcuts and with them."""
    degraded = cited["plain34_top1_error"] > cited["plain18_top1_error"]
    cured = cited["resnet34_top1_error"] < cited["resnet18_top1_error"]
    return {(True, True): "degraded_cured", (True, False): "degraded_only", (False, True): "cured_only",
            (False, False): "neither"}[degraded, cured]


def paper_flops(readings: tuple[str, ...]) -> str:
    """What the family's rows say together: every count rounds to the paper's Table 1, or each that does not is
    brought to it by one of the paper's changes, or some row by none of them."""
    if all(reading == "agrees" for reading in readings):
        return "agree"
    return "unexplained" if "unexplained" in readings else "explained"


def count_totals(summary: list[SummaryRow], modules: tuple[ModuleRow, ...], input_shape: tuple[int, ...]) -> Totals:
    """The summary's totals as torchsummary prints them, beside the numbers torchvision publishes."""
    params = sum(row.params for row in summary)
    trainable = sum(row.params for row in summary if row.trainable)
    return Totals(
        params=params,
        trainable=trainable,
        non_trainable=params - trainable,
        macs=sum(module.macs for module in modules),
        rows=len(summary),
        published_params=IMAGENET_WEIGHTS.meta["num_params"],
        published_gflops=IMAGENET_WEIGHTS.meta["_ops"],
        published_top1=IMAGENET_WEIGHTS.meta["_metrics"]["ImageNet-1K"]["acc@1"],
        published_top5=IMAGENET_WEIGHTS.meta["_metrics"]["ImageNet-1K"]["acc@5"],
        **torchsummary_sizes(summary, input_shape, params),
    )


def derive_facts(
    model: nn.Module,
    capture: RunCapture,
    summary: list[SummaryRow],
    weights: WeightsProvenance,
    image: ImageProvenance,
    config: Config,
    family: Family,
) -> Facts:
    top_k, feature_channels = config.top_k, config.feature_channels
    experiment = results.experiment_facts(results.read())
    modules = group_modules(model, summary)
    published = weights_facts(weights)
    weights_kind = published.kind
    predictions, ties = top_predictions(capture.logits, top_k) if weights_kind != "random" else ((), 0)
    views = {"relu": capture.stem, **capture.stages}
    residual = check_residuals(capture)
    totals = count_totals(summary, modules, tuple(capture.input.shape[1:]))
    provenance = describe_provenance(published, image_facts(image, is_sample_image(config.image)), weights.seed,
                                     config.execute_notebook, config.make_pdf)
    return Facts(
        provenance=provenance,
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
        family=family,
        experiment=experiment,
        explorer=explorer_facts(capture, model.conv1.weight),
        cited=sources.cited_numbers(),
        claims={**choose_claims(weights_kind, residual, totals, ties, family, experiment), **recipe_claims(provenance)},
    )
