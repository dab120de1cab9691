"""Every number the report shows, as a tree of plain data that serialises to JSON and back.

Facts hold numbers and identifiers only; wording and number formats belong
to the templates and their filters. A value tied to a module, stage, block
or class lives in an item with a ``name``: the page shows the name from the
same item, and the check reads the pair back (labels are data). This module
imports no torch: pages are written from facts alone, so a build that only
changed prose can reuse the facts of the last run (see report/derive.py for how
they are computed).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from dataclasses import dataclass
from typing import Any

from ..core.json_input import loads_facts
from ..experiment.results import Experiment

RTOL = 1e-5
# F(x) is a small correction when it is at most this share of its block's sum (at most a third of the shortcut).
SMALL_CORRECTION_SHARE = 0.25
ATOL = 1e-8


@dataclass(frozen=True)
class WeightsFacts:
    kind: str  # "imagenet" (verified trained), "file" (the user's, training unknown) or "random"
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
    origin: str  # "sample" (matplotlib's photo, what a run without --image reads) or "file" (the user's)


@dataclass(frozen=True)
class Software:
    name: str  # "Python", or a package as pip names it
    version: str


@dataclass(frozen=True)
class Recipe:
    """The commands that make this run again and check it: what was used, never what was asked for
    (``--weights auto`` that fell back to random weights is written ``--weights random --seed N``)."""

    build: str
    check: str


@dataclass(frozen=True)
class Provenance:
    """What this run read and ran with. It holds nothing the recipe does not fix: the recipe's build makes
    this very facts.json again, byte for byte."""

    weights: WeightsFacts
    image: ImageFacts
    seed: int
    software: tuple[Software, ...]
    recipe: Recipe
    pdf: bool = True  # the site has the report as a PDF per language (not built with --no-pdf)


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
class SummaryRow:
    """One row of torchsummary's table: one call of a module that is not a container."""

    index: int
    layer_type: str
    module: str
    output_shape: tuple[int, ...]
    formula: tuple[tuple[int, ...], ...]
    params: int
    trainable: bool


@dataclass(frozen=True)
class ResidualCheck:
    name: str  # the block
    downsample: bool
    channel: int
    allclose: bool
    rtol: float
    atol: float
    max_abs_diff: float
    residual_min: float  # over the whole block: every channel and pixel
    residual_max: float
    residual_negative_fraction: float
    channel_residual_min: float  # over the one channel the figures and the table show
    channel_residual_max: float
    correction_share: float  # ‖F(x)‖ / (‖shortcut‖ + ‖F(x)‖): how much of the sum F(x) is; 0 when both are zero


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
class FamilyModel:
    """One of torchvision's ResNets, as its modules describe it at the report's input size (no weights)."""

    name: str  # torchvision's builder: resnet18, resnet50, ...
    block: str  # BasicBlock or Bottleneck
    blocks: tuple[int, ...]  # per stage
    kernels: tuple[int, ...]  # of a block's main-path convolutions, in order
    weighted_layers: int  # main-path convolutions and the FC layer: the depth in the model's name
    params: int
    macs: int
    macs_paper_stride: int  # with each block's stride in its first convolution, as in the paper (ResNet v1)
    macs_without_projections: int  # without the projection shortcuts' convolutions
    macs_paper_stride_without_projections: int  # both changes
    stage_channels: tuple[int, ...]  # of each stage's output
    stage_sizes: tuple[int, ...]
    stem_share: float  # of the parameters: conv1 and bn1
    stage_shares: tuple[float, ...]
    fc_share: float
    paper_flops_reading: str  # which count rounds to the paper's Table 1: agrees, stride, projections,
    # stride_and_projections (the first that does, in that order) or unexplained


@dataclass(frozen=True)
class FamilyWeights:
    """One weights entry torchvision publishes for a ResNet, with its own numbers (cited, not computed)."""

    name: str  # IMAGENET1K_V1, IMAGENET1K_V2
    model: str
    num_params: int
    gflops: float  # torchvision's "_ops": multiply-accumulates, in units of 10^9
    top1: float  # ImageNet acc@1, in percent as torchvision gives it
    top5: float


@dataclass(frozen=True)
class BlockLayer:
    """A layer of a residual block that holds parameters, with the "Cálculos" products that count them."""

    name: str  # within the block: conv1, bn1, ...
    layer_type: str
    formula: tuple[tuple[int, ...], ...]
    params: int


@dataclass(frozen=True)
class BlockExample:
    """One block of each kind (BasicBlock, Bottleneck), counted layer by layer."""

    name: str  # the block within its model: layer1.1
    model: str
    block: str
    channels: int  # at the block's input and output
    layers: tuple[BlockLayer, ...]
    params: int


@dataclass(frozen=True)
class SummaryTotals:
    """torchsummary's footer under a table: parameter counts and its size estimates."""

    params: int
    trainable: int
    non_trainable: int
    input_size_mb: float
    forward_backward_mb: float
    params_size_mb: float
    estimated_total_mb: float


@dataclass(frozen=True)
class FamilySummary:
    """One model's full torchsummary table, as its modules describe it (no weights, no image)."""

    name: str  # torchvision's builder: resnet18, resnet50, ...
    rows: tuple[SummaryRow, ...]
    totals: SummaryTotals


@dataclass(frozen=True)
class Family:
    input_size: int
    ops_tolerance: float  # GFLOPS: torchvision rounds its "_ops" to three decimals
    models: tuple[FamilyModel, ...]
    weights: tuple[FamilyWeights, ...]
    examples: tuple[BlockExample, ...]
    summaries: tuple[FamilySummary, ...]


@dataclass(frozen=True)
class ExplorerFacts:
    """What the explorer page says about its data files (report/explorer_data.py writes them)."""

    relative_error: float  # a stored value is within this fraction of the model's
    absolute_error: float  # or within this much, for values too small for a normal float16
    data_bytes: int  # every tensor file together, the index left out
    small_correction_share: float  # F(x) at most this share of a block's sum: a correction, x survives in the sum
    reader_max_pixels: int  # the largest image the own-image page runs, in pixels (model.json tells its script)


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
    family: Family
    experiment: Experiment
    explorer: ExplorerFacts
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


def from_json(text: str | bytes) -> Facts:
    """The Facts that to_json wrote, rebuilt with their own types (tuples, nested items).

    Read through the bounded reader (core/json_input.py), as every record read
    back from disk is: a file too large, nested too deep, or not of this shape
    is a ValueError in one line, never a RecursionError or a KeyError.
    """
    data = loads_facts(text.encode("utf-8") if isinstance(text, str) else text)
    try:
        return _build(Facts, data)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise ValueError(f"not the facts this generator writes ({type(error).__name__}: {error})") from error


def family_from_json(text: str) -> Family:
    """The Family that dataclasses.asdict wrote as JSON (the build's cache of it)."""
    return _build(Family, json.loads(text))


@functools.cache
def _field_types(kind: type) -> dict[str, Any]:
    """A dataclass's resolved field types: resolving them is most of the time of reading a family's tables."""
    return typing.get_type_hints(kind)


def _build(kind: Any, value: Any) -> Any:
    """Turn JSON data into the declared type: dataclasses, tuples, dicts, optionals and scalars."""
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        hints = _field_types(kind)
        return kind(**{field.name: _build(hints[field.name], value[field.name]) for field in dataclasses.fields(kind)})
    if origin is tuple:
        items = typing.get_args(kind)
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(_build(items[0], item) for item in value)
        return tuple(_build(item_kind, item) for item_kind, item in zip(items, value, strict=True))
    if origin is dict:
        _, value_kind = typing.get_args(kind)
        return {key: _build(value_kind, item) for key, item in value.items()}
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        return value if len(options) > 1 else _build(options[0], value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
