"""The check's own account of the ResNet family, and the gate against torchvision's published numbers.

Where the build walks each model's modules and computes sizes from their
attributes (report/family.py), this side runs one forward pass per model on the
meta device (shapes only, no values) and reads the shapes the layers really
produce through hooks, every call of a layer included (torchsummary's rows);
it counts parameters from the state dict and depth from the weight tensors'
ranks. The models it describes are the ResNets torchvision lists, not a list
of ours. Every weights entry torchvision publishes must then agree with the
count: parameters exactly, operations within the rounding of its three
decimals; each disagreement is a failure of the build, and so is a table
whose rows do not add up to the model's parameters. The paper's table is
read from the hooks' own per-module counts: the projection shortcuts are
the downsample convolutions, and the paper's stride scales each block's
first convolution to the block's output positions.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache
from typing import Any, NamedTuple

import torch
from torch import nn
from torchvision import models as tv_models

from ..core.errors import MismatchError
from ..core.units import FLOAT_BYTES, MEGABYTE
from ..model.hooks import CONTAINERS
from ..model.meta import OPS_TOLERANCE_GFLOPS
from ..model.meta import meta_model as new_meta_model
from ..core.lazy_dynamo import without_dynamo

RESNET = re.compile(r"^resnet(?P<depth>[0-9]+)$")


@cache
def meta_model(name: str) -> nn.Module:
    """The check's own meta-device instance of torchvision's model, never the one report/family.py reads."""
    return new_meta_model(name)


def listed_resnets() -> list[str]:
    """torchvision's plain ResNets (resnet18 ... resnet152), shallowest first."""
    names = [name for name in tv_models.list_models(module=tv_models) if RESNET.match(name)]
    return sorted(names, key=lambda name: int(RESNET.match(name)["depth"]))  # type: ignore[index]


def parameter_terms(module: nn.Module) -> list[tuple[int, ...]]:
    """The "Cálculos" column from the parameters' own shapes: weight, then bias."""
    terms: list[tuple[int, ...]] = []
    if isinstance(module, nn.Conv2d):
        terms.append(tuple(module.weight.shape))
    elif isinstance(module, nn.BatchNorm2d) and module.weight is not None:
        terms.append((module.weight.numel(), 2))  # scale and shift, one pair per channel
        return terms
    elif isinstance(module, nn.Linear):
        terms.append((module.weight.shape[1], module.weight.shape[0]))
    if getattr(module, "bias", None) is not None and terms:
        terms.append((module.bias.numel(),))
    return terms


def block_examples(names: list[str]) -> dict[str, Any]:
    """The second block of the first stage of the shallowest model of each block type, layer by layer."""
    v: dict[str, Any] = {}
    kinds: dict[str, tuple[str, nn.Module]] = {}
    for name in names:
        stage = next(module for child, module in meta_model(name).named_children() if child.startswith("layer"))
        kinds.setdefault(type(stage[0]).__name__, (name, stage))
    for i, (kind, (name, stage)) in enumerate(kinds.items()):
        stage_name = next(child for child, module in meta_model(name).named_children() if module is stage)
        block, key = stage[1], f"family.examples.{i}"
        layers = [(child, module) for child, module in block.named_modules()
                  if child and sum(p.numel() for p in module.parameters(recurse=False))]
        total = 0
        for j, (child, module) in enumerate(layers):
            terms = parameter_terms(module)
            params = sum(p.numel() for p in module.parameters(recurse=False))
            if sum(math.prod(term) for term in terms) != params:
                raise MismatchError(f"formula of {name} {stage_name}.1.{child} does not add up to its {params} parameters")
            total += params
            row = f"{key}.layers.{j}"
            v.update({f"{row}.name": child, f"{row}.layer_type": type(module).__name__, f"{row}.params": params})
            v.update({f"{row}.formula.{t}.{f}": factor for t, term in enumerate(terms) for f, factor in enumerate(term)})
        first_conv = next(module for module in block.modules() if isinstance(module, nn.Conv2d))
        v.update({f"{key}.name": f"{stage_name}.1", f"{key}.model": name, f"{key}.block": kind,
                  f"{key}.channels": first_conv.weight.shape[1], f"{key}.params": total})
    return v


def _same_shape(x: torch.Tensor) -> torch.Tensor:
    return x


Calls = list[tuple[nn.Module, tuple[int, ...]]]


class Measured(NamedTuple):
    """What one forward pass under hooks gives."""

    macs: dict[str, int]  # of each convolution and linear layer, by module name
    shapes: dict[str, tuple[int, ...]]  # each stage's output
    positions: dict[str, int]  # height x width of each call's output (the last call's), by module name
    calls: Calls  # torchsummary's rows: every call of a module that is neither the model nor a container


def _measure(model: nn.Module, input_size: int) -> Measured:
    """Multiply-accumulates, shapes and torchsummary's rows, from one pass."""
    measured = Measured({}, {}, {}, [])
    names = {module: name for name, module in model.named_modules()}

    def record(module: nn.Module, _inputs: tuple, out: torch.Tensor) -> None:
        if isinstance(module, CONTAINERS):
            measured.shapes[names[module]] = tuple(out.shape[1:])
            return
        measured.calls.append((module, tuple(out.shape[1:])))
        measured.positions[names[module]] = math.prod(out.shape[2:])
        if isinstance(module, nn.Conv2d):
            measured.macs[names[module]] = (out[0].numel() * module.in_channels // module.groups
                                            * math.prod(module.kernel_size))
        elif isinstance(module, nn.Linear):
            measured.macs[names[module]] = module.in_features * module.out_features

    # BatchNorm keeps its input's shape, and its meta kernel (a Python decomposition) was most of the pass:
    # for this pass only, each one hands its input on (the model is this side's own, kept for the next derivation, so it is put back).
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for norm in norms:
        norm.forward = _same_shape  # type: ignore[method-assign]
    watched = [m for m in model.modules() if m is not model and not isinstance(m, CONTAINERS)]
    watched += [m for name, m in model.named_children() if name.startswith("layer")]
    handles = [module.register_forward_hook(record) for module in watched]
    try:
        with torch.inference_mode(), without_dynamo():
            model(torch.empty(1, 3, input_size, input_size, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
        for norm in norms:
            del norm.forward
    return measured


def paper_counts(measured: Measured) -> dict[str, int]:
    """The count as built, with the paper's stride, without the projection shortcuts, and with both, by reading code.

    With the paper's stride (ResNet v1) a block's first convolution already runs at the block's output size: its
    multiply-accumulates scale by the block's output positions over the ones that convolution produced here."""
    macs, positions = measured.macs, measured.positions
    projections = sum(value for name, value in macs.items() if name.endswith(".downsample.0"))
    change = sum(value * positions[name.rpartition(".")[0]] // positions[name] - value
                 for name, value in macs.items() if name.startswith("layer") and name.endswith(".conv1"))
    total = sum(macs.values())
    return {"agrees": total, "stride": total + change, "projections": total - projections,
            "stride_and_projections": total + change - projections}


def paper_reading(counts: dict[str, int], paper: float) -> str:
    """The first count (as built, then each change in order) whose one decimal is the paper's, or unexplained."""
    return next((code for code, macs in counts.items() if f"{macs / 1e9:.1f}" == f"{paper / 1e9:.1f}"), "unexplained")


def summary_row_values(row: str, index: int, module: nn.Module, described: str, path: str,
                       shape: tuple[int, ...]) -> dict[str, Any]:
    """One torchsummary row under facts.json's paths; refuses a formula that does not add up to the parameters."""
    terms = parameter_terms(module)
    params = sum(p.numel() for p in module.parameters(recurse=False))
    if sum(math.prod(term) for term in terms) != params:
        raise MismatchError(f"formula of {described} does not add up to its {params} parameters")
    v: dict[str, Any] = {f"{row}.index": index, f"{row}.layer_type": type(module).__name__, f"{row}.module": path,
                         f"{row}.params": params,
                         f"{row}.trainable": any(p.requires_grad for p in module.parameters(recurse=False))}
    v.update({f"{row}.output_shape.{k}": size for k, size in enumerate((-1, *shape))})
    v.update({f"{row}.formula.{t}.{f}": factor for t, term in enumerate(terms) for f, factor in enumerate(term)})
    if not terms:
        v[f"{row}.formula"] = []
    return v


def summary_values(prefix: str, name: str, model: nn.Module, calls: Calls,
                   input_shape: tuple[int, ...]) -> dict[str, Any]:
    """A model's torchsummary table under facts.json's paths: each call's row, then the footer's totals."""
    names = {module: path for path, module in model.named_modules()}
    v: dict[str, Any] = {f"{prefix}.name": name}
    for j, (module, shape) in enumerate(calls):
        v.update(summary_row_values(f"{prefix}.rows.{j}", j + 1, module, f"{name} {names[module]}", names[module],
                                    shape))
    params = sum(v[f"{prefix}.rows.{j}.params"] for j in range(len(calls)))
    trainable = sum(v[f"{prefix}.rows.{j}.params"] for j in range(len(calls)) if v[f"{prefix}.rows.{j}.trainable"])
    input_mb = math.prod(input_shape) * FLOAT_BYTES / MEGABYTE
    forward_backward_mb = 2 * sum(math.prod(shape) for _, shape in calls) * FLOAT_BYTES / MEGABYTE
    params_mb = params * FLOAT_BYTES / MEGABYTE
    totals = {"params": params, "trainable": trainable, "non_trainable": params - trainable,
              "input_size_mb": input_mb, "forward_backward_mb": forward_backward_mb, "params_size_mb": params_mb,
              "estimated_total_mb": input_mb + forward_backward_mb + params_mb}
    v.update({f"{prefix}.totals.{key}": value for key, value in totals.items()})
    return v


def derive_family(input_size: int, cited: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The family's values under the paths facts.json uses, and every disagreement with torchvision's metadata."""
    v: dict[str, Any] = {"family.input_size": input_size, "family.ops_tolerance": OPS_TOLERANCE_GFLOPS}
    failures: list[str] = []
    entry = 0
    for i, name in enumerate(listed_resnets()):
        model = meta_model(name)
        measured = _measure(model, input_size)
        shapes, calls, counts = measured.shapes, measured.calls, paper_counts(measured)
        macs = counts["agrees"]
        state = model.state_dict()
        params = Counter()
        for key, parameter in model.named_parameters():
            params[key.split(".")[0]] += parameter.numel()
        total = sum(params.values())
        stages = sorted(shapes)
        weighted = sum(1 for key, tensor in state.items() if key.endswith(".weight") and tensor.dim() in (2, 4)
                       and ".downsample." not in key)
        paper = cited[f"paper_flops_{name}"]
        row = f"family.models.{i}"
        v.update({
            f"{row}.name": name, f"{row}.block": type(model.get_submodule(stages[0])[0]).__name__,
            f"{row}.weighted_layers": weighted, f"{row}.params": total, f"{row}.macs": macs,
            f"{row}.stem_share": (params["conv1"] + params["bn1"]) / total, f"{row}.fc_share": params["fc"] / total,
            f"{row}.macs_paper_stride": counts["stride"], f"{row}.macs_without_projections": counts["projections"],
            f"{row}.macs_paper_stride_without_projections": counts["stride_and_projections"],
            f"{row}.paper_flops_reading": paper_reading(counts, paper),
        })
        first_block = [key for key in state if key.startswith(f"{stages[0]}.0.conv") and key.endswith(".weight")]
        v.update({f"{row}.kernels.{j}": state[key].shape[-1] for j, key in enumerate(sorted(first_block))})
        for j, stage in enumerate(stages):
            v.update({f"{row}.blocks.{j}": len(model.get_submodule(stage)), f"{row}.stage_channels.{j}": shapes[stage][0],
                      f"{row}.stage_sizes.{j}": shapes[stage][-1], f"{row}.stage_shares.{j}": params[stage] / total})
        summary = f"family.summaries.{i}"
        table = summary_values(summary, name, model, calls, (model.conv1.in_channels, input_size, input_size))
        v.update(table)
        if table[f"{summary}.totals.params"] != total:  # so the table's total is torchvision's wherever the model's is
            failures.append(f"{name}: the rows of its summary table add up to {table[f'{summary}.totals.params']} "
                            f"parameters, the model has {total}")
        for weights in tv_models.get_model_weights(name):
            meta, key = weights.meta, f"family.weights.{entry}"
            metrics = meta["_metrics"]["ImageNet-1K"]
            v.update({f"{key}.name": weights.name, f"{key}.model": name, f"{key}.num_params": meta["num_params"],
                      f"{key}.gflops": meta["_ops"], f"{key}.top1": metrics["acc@1"], f"{key}.top5": metrics["acc@5"]})
            if meta["num_params"] != total:
                failures.append(f"{name} {weights.name}: torchvision publishes {meta['num_params']} parameters, "
                                f"the model has {total}")
            if abs(meta["_ops"] - macs / 1e9) > OPS_TOLERANCE_GFLOPS:
                failures.append(f"{name} {weights.name}: torchvision publishes {meta['_ops']} GFLOPS, the model does "
                                f"{macs / 1e9:.4f} G multiply-accumulates (tolerance {OPS_TOLERANCE_GFLOPS})")
            entry += 1
    v.update(block_examples(listed_resnets()))
    return v, failures

