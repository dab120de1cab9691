"""The model side of the check: every value the site may show, re-derived without the generator's facts.

This module never imports the facts, figures or pages it verifies. It builds
its own ResNet18, counts parameters, shapes and multiply-accumulates with its
own hooks, re-runs each residual block by calling its submodules, and decides
on its own which wording of each value-dependent sentence is true. The result
is a flat mapping from dotted paths ("stages.1.channels") to values: the
same paths facts.json and the pages' tags use.
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torchvision.models import ResNet18_Weights, resnet18
from torchvision.models.resnet import BasicBlock

from ..core import sources
from ..core.config import Config
from ..core.errors import MismatchError
from ..core.names import printable_name
from ..core.units import FLOAT_BYTES, MEGABYTE
from ..inputs.image import load_image
from ..inputs.weights import WeightsProvenance, resolve_weights
from ..model.hooks import CONTAINERS, forward_with_hooks, keep_input
from ..model.resnet import refuse_non_finite
from .experiment import derive_experiment
from .explorer_reference import STAGE_MODULES, Reference, explorer_values, reference_from
from .onnx_model import ModelReference, model_reference
from .family import derive_family, parameter_terms, summary_row_values
from .recipe import recipe_values
from .values import Expected

PUBLISHED = ResNet18_Weights.IMAGENET1K_V1
ALLCLOSE_RTOL = 1e-5
ALLCLOSE_ATOL = 1e-8


def top_group(name: str) -> str:
    return name.split(".")[0]


def weights_kind(weights: WeightsProvenance) -> str:
    return {"random": "random", "file": "file"}.get(weights.source, "imagenet")


def reference_model(config: Config) -> tuple[nn.Module, torch.Tensor, WeightsProvenance, Any, Any]:
    """The check's own ResNet18 in eval mode and its input batch, with the weights' and the image's provenance."""
    torch.set_num_threads(1)  # like the build: small tensors, and other processes share the machine
    state_dict, weights = resolve_weights(config.weights, seed=config.seed, allow_download=False, log=lambda _: None)
    image, image_info = load_image(config.image)
    torch.manual_seed(config.seed)
    model = resnet18(weights=None)
    if state_dict is not None:
        model.load_state_dict(state_dict, strict=True)
    model.eval()
    return model, PUBLISHED.transforms()(image).unsqueeze(0), weights, image, image_info


def derive_expected(config: Config) -> Expected:
    """Every value the pages may show, derived here and now: the check reads no cache, the build's gate included."""
    return derive_expected_and_reference(config)[0]


@dataclass(frozen=True)
class ForwardPass:
    """What one pass of the check's model recorded: torchsummary's rows, each top-level module's output, every
    block's input, the multiply-accumulates of each top-level module and the logits."""

    names: dict[nn.Module, str]
    rows: list[tuple[nn.Module, tuple[int, ...]]]
    outputs: dict[str, torch.Tensor]
    block_inputs: dict[str, torch.Tensor]
    macs: Counter[str]
    logits: torch.Tensor
    input_shape: tuple[int, ...]

    @property
    def stage_names(self) -> list[str]:
        return [name for name in self.outputs if name.startswith("layer")]


def derive_expected_and_reference(config: Config, draw_picture: bool = True) -> tuple[Expected, Reference]:
    """The values, and the tensors the explorer's data must hold, from one forward pass of the check's model.

    ``draw_picture`` draws the notebook's picture (matplotlib); a check that reproduces the build's outputs in
    a fork takes it from there instead, and its own process never imports matplotlib.
    """
    model, batch, weights, image, image_info = reference_model(config)
    transforms = PUBLISHED.transforms()
    categories = PUBLISHED.meta["categories"]
    if len(categories) != model.fc.out_features:
        raise MismatchError(f"torchvision lists {len(categories)} categories but fc has {model.fc.out_features} outputs")
    run = forward_pass(model, batch)
    kind = weights_kind(weights)
    failures, recomputed, residual = _residuals(model, run.block_inputs)
    predictions, ties = _predictions(run.logits, categories, kind, config.top_k)
    summary_values, summary = _summary(run)
    family, family_failures = derive_family(transforms.crop_size[0], sources.cited_numbers())
    block_outputs = _block_outputs(run)
    v: dict[str, Any] = {
        **_provenance(config, weights, kind, image, image_info), **_architecture(model, transforms, run.rows),
        **_stem_and_stages(model, run), **_modules(model, run), **summary_values, **_totals(config, model, run),
        **residual, **predictions, **_galleries(config, run), **family, **derive_experiment(),
        **explorer_values([run.outputs[name] for name in STAGE_MODULES], list(block_outputs.values()), model.conv1.weight),
        **{f"cited.{key}": value for key, value in sources.cited_numbers().items()},
    }
    v.update({f"claims.{name}": variant for name, variant in _claims(v, kind, ties).items()})
    reference = reference_from(
        {name: run.outputs[name] for name in STAGE_MODULES},
        {name: (shortcut, residual, block_outputs[name]) for name, (shortcut, residual) in recomputed.items()},
        {name: model.get_submodule(name).downsample is not None for name in run.block_inputs}, model.conv1.weight,
        _model_reference(model, batch, run, recomputed, block_outputs),
    )
    layer1 = run.outputs[run.stage_names[0]]
    return Expected(
        values=v, summary=tuple(summary), module_names=frozenset(n for n, _ in model.named_modules() if n),
        residual_failures=tuple(failures), family_failures=tuple(family_failures), weights_source=weights.source,
        layer1_shape=tuple(layer1.shape),
        layer1_picture=base64.b64encode(_channel_png(layer1, 0)).decode("ascii") if draw_picture else None,
    ), reference


def _model_reference(model: nn.Module, batch: torch.Tensor, run: ForwardPass,
                     recomputed: dict[str, tuple[torch.Tensor, torch.Tensor]],
                     block_outputs: dict[str, torch.Tensor]) -> ModelReference:
    """What the site's ONNX file must hold: this model's state dict, and as outputs the logits and the tensors the
    explorer shows (conv1, maxpool, each block's projected shortcut, F(x) and output), with their shapes."""
    outputs = {"logits": tuple(run.logits.shape), **{name: tuple(run.outputs[name].shape) for name in STAGE_MODULES[:2]}}
    for name, (shortcut, residual) in recomputed.items():
        if model.get_submodule(name).downsample is not None:
            outputs[f"{name}.shortcut"] = tuple(shortcut.shape)
        outputs.update({f"{name}.residual": tuple(residual.shape), f"{name}.output": tuple(block_outputs[name].shape)})
    return model_reference(model.state_dict(), tuple(batch.shape), outputs, PUBLISHED)


def forward_pass(model: nn.Module, batch: torch.Tensor) -> ForwardPass:
    """One pass under hooks that record every module call, refusing a value that is not finite."""
    names = {module: name for name, module in model.named_modules()}
    calls: list[tuple[nn.Module, tuple[int, ...]]] = []
    outputs: dict[str, torch.Tensor] = {}
    block_inputs: dict[str, torch.Tensor] = {}
    macs: Counter[str] = Counter()

    def record(module: nn.Module, _inputs: tuple, out: torch.Tensor) -> None:
        calls.append((module, tuple(out.shape[1:])))
        name = names[module]
        if "." not in name:
            outputs[name] = out.detach().clone()
        if isinstance(module, nn.Conv2d):
            macs[top_group(name)] += out[0].numel() * module.in_channels // module.groups * math.prod(module.kernel_size)
        elif isinstance(module, nn.Linear):
            macs[top_group(name)] += module.in_features * module.out_features

    handles = [m.register_forward_hook(refuse_non_finite(name)) for name, m in model.named_modules() if name]
    handles += [m.register_forward_hook(record) for m in model.modules() if m is not model and not isinstance(m, CONTAINERS)]
    handles += [m.register_forward_hook(record) for name, m in model.named_children() if isinstance(m, CONTAINERS)]
    handles += [m.register_forward_pre_hook(keep_input(block_inputs, name)) for name, m in model.named_modules()
                if isinstance(m, BasicBlock)]
    logits = forward_with_hooks(model, batch, handles)
    rows = [(module, shape) for module, shape in calls if not isinstance(module, CONTAINERS)]
    return ForwardPass(names, rows, outputs, block_inputs, macs, logits, tuple(batch.shape[1:]))


def _block_outputs(run: ForwardPass) -> dict[str, torch.Tensor]:
    """Blocks run one after another: each block's output is the next one's input, the last one's is layer4's."""
    inputs = list(run.block_inputs.values())
    return dict(zip(run.block_inputs, [*inputs[1:], run.outputs[run.stage_names[-1]]]))


def _stem_and_stages(model: nn.Module, run: ForwardPass) -> dict[str, Any]:
    v: dict[str, Any] = {}
    for i, name in enumerate(("conv1", "maxpool")):
        module = model.get_submodule(name)
        kernel = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        stride = module.stride if isinstance(module.stride, int) else module.stride[0]
        v.update({f"stem.{i}.name": name, f"stem.{i}.kernel": kernel, f"stem.{i}.stride": stride,
                  f"stem.{i}.channels": run.outputs[name].shape[1], f"stem.{i}.size": run.outputs[name].shape[-1]})
    for i, name in enumerate(run.stage_names):
        stage = model.get_submodule(name)
        v.update({f"stages.{i}.name": name, f"stages.{i}.ordinal": i + 1, f"stages.{i}.blocks": len(stage),
                  f"stages.{i}.channels": run.outputs[name].shape[1], f"stages.{i}.size": run.outputs[name].shape[-1],
                  f"stages.{i}.stride": stage[0].conv1.stride[0]})
    return v


def _modules(model: nn.Module, run: ForwardPass) -> dict[str, Any]:
    group_params: Counter[str] = Counter()
    for name, parameter in model.named_parameters():
        group_params[top_group(name)] += parameter.numel()
    v: dict[str, Any] = {}
    for i, (name, module) in enumerate(model.named_children()):
        v.update({f"modules.{i}.name": name, f"modules.{i}.layer_type": type(module).__name__,
                  f"modules.{i}.params": group_params[name], f"modules.{i}.macs": run.macs[name]})
        v.update({f"modules.{i}.output_shape.{j}": size for j, size in enumerate(run.outputs[name].shape[1:])})
    return v


def _summary(run: ForwardPass) -> tuple[dict[str, Any], list[tuple[str, str, str, int]]]:
    """torchsummary's rows as values, and as the cells of the table: name, output shape, formula, parameters."""
    v: dict[str, Any] = {}
    cells = []
    for index, (module, shape) in enumerate(run.rows, start=1):
        v.update(summary_row_values(f"summary.{index - 1}", index, module, run.names[module], run.names[module], shape))
        cells.append((f"{type(module).__name__}-{index}", _shape_cell(shape), _formula_cell(parameter_terms(module)),
                      v[f"summary.{index - 1}.params"]))
    return v, cells


def _totals(config: Config, model: nn.Module, run: ForwardPass) -> dict[str, Any]:
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    input_mb = math.prod(run.input_shape) * FLOAT_BYTES / MEGABYTE
    forward_backward_mb = 2 * sum(math.prod(shape) for _, shape in run.rows) * FLOAT_BYTES / MEGABYTE
    params_mb = params * FLOAT_BYTES / MEGABYTE
    return {
        "totals.params": params, "totals.trainable": trainable, "totals.non_trainable": params - trainable,
        "totals.macs": sum(run.macs.values()), "totals.rows": len(run.rows),
        "totals.published_params": PUBLISHED.meta["num_params"],
        "totals.published_gflops": PUBLISHED.meta["_ops"],
        "totals.published_top1": PUBLISHED.meta["_metrics"]["ImageNet-1K"]["acc@1"],
        "totals.published_top5": PUBLISHED.meta["_metrics"]["ImageNet-1K"]["acc@5"],
        "totals.input_size_mb": input_mb, "totals.forward_backward_mb": forward_backward_mb,
        "totals.params_size_mb": params_mb, "totals.estimated_total_mb": input_mb + forward_backward_mb + params_mb,
        "top_k": config.top_k, "gallery_size": config.feature_channels,
    }


def _galleries(config: Config, run: ForwardPass) -> dict[str, Any]:
    """Each gallery's most active channels by mean activation, ties to the lower index."""
    v: dict[str, Any] = {}
    views = {"relu": run.outputs["relu"], **{name: run.outputs[name] for name in run.stage_names}}
    for i, (name, view) in enumerate(views.items()):
        means = view[0].mean(dim=(1, 2))
        order = sorted(range(means.numel()), key=lambda c: (-float(means[c]), c))[: config.feature_channels]
        v[f"galleries.{i}.name"] = name
        v.update({f"galleries.{i}.shape.{j}": size for j, size in enumerate(view.shape[1:])})
        v.update({f"galleries.{i}.channels.{j}": channel for j, channel in enumerate(order)})
    return v


def _channel_png(feature_map: torch.Tensor, channel: int) -> bytes:
    from ..report.channel_picture import channel_png  # matplotlib: only when the picture is drawn here

    return channel_png(feature_map, channel)


def _provenance(config: Config, weights: WeightsProvenance, kind: str, image: Any, image_info: Any) -> dict[str, Any]:
    file_name = printable_name(weights.path.rstrip("/").rsplit("/", 1)[-1]) if weights.path else None
    v: dict[str, Any] = {
        "provenance.weights.kind": kind,
        "provenance.weights.trained": kind == "imagenet",
        "provenance.weights.file_name": file_name,
        "provenance.weights.sha256": weights.sha256,
        "provenance.weights.size_bytes": weights.size_bytes,
        "provenance.weights.seed": config.seed,
        "provenance.image.name": printable_name(str(image_info.name).rstrip("/").rsplit("/", 1)[-1]),
        "provenance.image.sha256": image_info.sha256,
        "provenance.image.width": image.width,
        "provenance.image.height": image.height,
        "provenance.image.original_mode": image_info.original_mode,
        "provenance.image.format": image_info.format,
        "provenance.seed": config.seed,
        "provenance.pdf": config.make_pdf,
    }
    v.update(recipe_values(config, kind, file_name, v["provenance.image.name"]))
    conversions = list(image_info.conversions)
    v.update({f"provenance.image.conversions.{i}": code for i, code in enumerate(conversions)})
    if not conversions:
        v["provenance.image.conversions"] = []
    return v


def _architecture(model: nn.Module, transforms: Any, rows: list[tuple[nn.Module, tuple[int, ...]]]) -> dict[str, Any]:
    stages = [module for name, module in model.named_children() if name.startswith("layer")]
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    projections = [b.downsample[0] for b in blocks if b.downsample is not None]
    main_convs = [m for name, m in model.named_modules() if isinstance(m, nn.Conv2d) and "downsample" not in name]
    depths = {len(stage) for stage in stages}
    return {f"architecture.{key}": value for key, value in {
        "input_channels": model.conv1.in_channels,
        "resize_size": transforms.resize_size[0],
        "input_size": transforms.crop_size[0],
        "block_kernel": stages[0][0].conv1.kernel_size[0],
        "shortcut_kernel": projections[0].kernel_size[0],
        "shortcut_stride": projections[0].stride[0],
        "convs_per_block": sum(isinstance(c, nn.Conv2d) for c in stages[0][0].children()),
        "stage_count": len(stages),
        "blocks_per_stage": depths.pop() if len(depths) == 1 else None,
        "basic_blocks": len(blocks),
        "downsample_blocks": len(projections),
        "main_path_convs": len(main_convs),
        "weighted_layers": len(main_convs) + sum(isinstance(m, nn.Linear) for m, _ in rows),
        "num_classes": model.fc.out_features,
    }.items()}


def _shape_cell(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(d) for d in (-1, *shape)) + "]"


def _formula_cell(terms: list[tuple[int, ...]]) -> str:
    return " + ".join(" * ".join(str(f) for f in term) for term in terms) if terms else "-"


def recompute_block(block: BasicBlock, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The shortcut, F(x), the hand-made ReLU(F(x) + shortcut) and the block's own output, from fresh calls."""
    with torch.no_grad():
        residual = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x)))))
        shortcut = block.downsample(x) if block.downsample is not None else x
        manual = torch.relu(residual + shortcut)
        output = block(x.clone())
    return shortcut, residual, manual, output


def _residuals(model: nn.Module, block_inputs: dict[str, torch.Tensor]
               ) -> tuple[list[str], dict[str, tuple[torch.Tensor, torch.Tensor]], dict[str, Any]]:
    """The blocks whose hand-made add disagrees with the model, each block's (shortcut, F(x)), and their values."""
    failures = []
    recomputed = {}
    v: dict[str, Any] = {}
    blocks = [(name, m) for name, m in model.named_modules() if isinstance(m, BasicBlock)]
    for i, (name, block) in enumerate(blocks):
        shortcut, residual, manual, output = recompute_block(block, block_inputs[name])
        recomputed[name] = (shortcut, residual)
        close = bool(torch.allclose(manual, output, rtol=ALLCLOSE_RTOL, atol=ALLCLOSE_ATOL))
        if not close:
            failures.append(name)
        channel = int(torch.argmax(output[0].mean(dim=(1, 2))))
        v.update({
            f"residual.{i}.name": name,
            f"residual.{i}.downsample": block.downsample is not None,
            f"residual.{i}.channel": channel,
            f"residual.{i}.allclose": close,
            f"residual.{i}.rtol": ALLCLOSE_RTOL,
            f"residual.{i}.atol": ALLCLOSE_ATOL,
            f"residual.{i}.max_abs_diff": float((manual - output).abs().max()),
            f"residual.{i}.residual_min": float(residual.min()),
            f"residual.{i}.residual_max": float(residual.max()),
            f"residual.{i}.residual_negative_fraction": float((residual < 0).float().mean()),
            f"residual.{i}.channel_residual_min": float(residual[0, channel].min()),
            f"residual.{i}.channel_residual_max": float(residual[0, channel].max()),
            f"residual.{i}.correction_share": _share(residual, shortcut),
        })
    return failures, recomputed, v


def _share(residual: torch.Tensor, shortcut: torch.Tensor) -> float:
    """F(x)'s part of ‖F(x)‖ + ‖shortcut‖, computed here from the check's own recomputed tensors."""
    parts = torch.stack([torch.linalg.vector_norm(residual), torch.linalg.vector_norm(shortcut)])
    total = float(parts.sum())
    return float(parts[0]) / total if total > 0 else 0.0


def _predictions(logits: torch.Tensor, categories: list[str], kind: str, top_k: int) -> tuple[dict[str, Any], int]:
    """The top-k classes as values (none under random weights), and how many classes share the top score."""
    if kind == "random":
        return {"predictions": [], "prediction_ties": 0}, 0
    probabilities = torch.softmax(logits[0], dim=0)
    values, indices = torch.topk(probabilities, top_k)
    v: dict[str, Any] = {}
    for i, (probability, index) in enumerate(zip(values, indices)):
        v.update({f"predictions.{i}.name": categories[int(index)], f"predictions.{i}.rank": i + 1,
                  f"predictions.{i}.index": int(index), f"predictions.{i}.probability": float(probability)})
    ties = int((probabilities == probabilities.max()).sum())
    v["prediction_ties"] = ties
    return v, ties


def _paper_degradation(v: dict[str, Any]) -> str:
    """Deeper plain nets worse (degraded), deeper residual nets better (cured), by the cited Table 2 errors."""
    plain_worse = v["cited.plain34_top1_error"] > v["cited.plain18_top1_error"]
    residual_better = v["cited.resnet34_top1_error"] < v["cited.resnet18_top1_error"]
    if plain_worse:
        return "degraded_cured" if residual_better else "degraded_only"
    return "cured_only" if residual_better else "neither"


def _paper_flops(v: dict[str, Any]) -> str:
    """agree when no row needs a change to round to the paper's FLOPs, unexplained when some row finds none."""
    readings = {value for key, value in v.items() if key.startswith("family.models.") and key.endswith(".paper_flops_reading")}
    if readings == {"agrees"}:
        return "agree"
    return "explained" if "unexplained" not in readings else "unexplained"


def _claims(v: dict[str, Any], kind: str, ties: int) -> dict[str, str]:
    """Which wording of each value-dependent sentence is true, decided from the re-derived values."""
    low, high = v["residual.0.channel_residual_min"], v["residual.0.channel_residual_max"]
    params = {v[f"family.models.{i}.name"]: v[f"family.models.{i}.params"]
              for i in range(len([k for k in v if k.startswith("family.models.") and k.endswith(".params")]))}
    lightest = "smallest" if all(params["resnet18"] < n for name, n in params.items() if name != "resnet18") \
        else "not_smallest"
    prediction = "random" if kind == "random" else ("tie" if ties > 1 else "clear")
    published_gmacs = v["totals.published_gflops"]
    shares = [value for key, value in v.items() if key.startswith("residual.") and key.endswith(".correction_share")]
    small = [share <= v["explorer.small_correction_share"] for share in shares]
    return {
        "residual_size": "small" if all(small) else ("large" if not any(small) else "mixed"),
        "comparison_result": "equal" if v["residual.0.allclose"] else "different",
        "paper_degradation": _paper_degradation(v),
        "explorer_patterns": kind,
        "own_image_weights": kind,
        "weights_banner": kind,
        "stem_filters": kind,
        "stem_output": kind,
        "residual_details": kind,
        "residual_size_weights": kind,
        "resnet18_smallest": lightest,
        "family_smallest": lightest,
        "deep_features": kind,
        "maps_filters": kind,
        "weights_trained": kind,
        "residual_effect": "negative" if low < 0 else ("zero" if high == 0 else "nonnegative"),
        "prediction": prediction,
        "prediction_table": prediction,
        "params_match": "equal" if v["totals.params"] == v["totals.published_params"] else "different",
        "macs_match": "equal" if abs(v["totals.macs"] / 1e9 - published_gmacs) < 5e-4 else "different",
        "bottleneck_params": "fewer" if v["family.examples.1.params"] < v["family.examples.0.params"] else "not_fewer",
        "paper_flops": _paper_flops(v),
    }
