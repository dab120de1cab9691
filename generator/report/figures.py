"""Turn captured tensors into deterministic figures: SVG in the reader's language where they hold words.

A figure whose text is module names, shapes and formulas only (the scheme,
the feature maps) serves both languages; one with words or decimal numbers
(axis labels, legends, colour scales) is drawn once per language from the
translations' ``figure.*`` strings, with the language's decimal sign.
Captions and alt text live in the templates. Grids are pre-tiled into one
image on one Axes, which is several times faster than one Axes per panel.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, and no REPL hook to install

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.axis import Axis  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import MaxNLocator, ScalarFormatter  # noqa: E402

from ..core import atomic, memo  # noqa: E402
from ..core.config import LANGUAGES  # noqa: E402
from ..core.digests import package_version  # noqa: E402
from ..core.imagenet import IMAGENET_WEIGHTS  # noqa: E402
from ..core.translations import translations  # noqa: E402
from ..experiment.results import Experiment  # noqa: E402
from ..model.resnet import BlockCapture, RunCapture  # noqa: E402
from ..runtime import forked  # noqa: E402
from .facts import ATOL, Facts  # noqa: E402
from .figure_files import png_bytes, svg_bytes  # noqa: E402
from .figure_format import COLUMN_WIDTH  # noqa: E402
from .figure_names import RESIDUAL_FIGURE_BLOCKS, figure_roles, file_name, worded  # noqa: E402
from .galleries import SEQUENTIAL, channel_map, draw_features, draw_filters, unit_scaled  # noqa: E402
from .scheme import draw_scheme  # noqa: E402

COMPARISON_BLOCK = "layer1.0"
DIVERGING = "RdBu_r"


class DecimalComma(ScalarFormatter):
    """matplotlib's tick labels, with the decimal comma Spanish writes."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return super().__call__(x, pos).replace(".", ",")


@dataclasses.dataclass(frozen=True)
class Words:
    """A figure's words and numbers in one language."""

    language: str
    strings: dict[str, str]

    def __call__(self, key: str) -> str:
        return self.strings[f"figure.{key}"]

    def number(self, value: float, decimals: int) -> str:
        text = f"{value:.{decimals}f}"
        return text.replace(".", ",") if self.language == "es" else text

    def localise(self, *axes: Axis) -> None:
        """Numeric tick labels with the language's decimal sign (English keeps matplotlib's own)."""
        if self.language == "es":
            for axis in axes:
                axis.set_major_formatter(DecimalComma())


def words_in(language: str) -> Words:
    return Words(language, translations(language))




def denormalised(batch: torch.Tensor) -> np.ndarray:
    """The network's input as an RGB picture in [0, 1], undoing the weights' normalisation."""
    transforms = IMAGENET_WEIGHTS.transforms()
    mean = torch.tensor(transforms.mean).view(3, 1, 1)
    std = torch.tensor(transforms.std).view(3, 1, 1)
    return (batch[0] * std + mean).clamp(0, 1).permute(1, 2, 0).numpy()








def scheme_pictures(facts: Facts, capture: RunCapture) -> dict[str, np.ndarray]:
    """The scheme's pictures (report/scheme.py): the input, and of conv1's ReLU and each stage the channel the
    galleries show first, scaled on its own."""
    channels = {gallery.name: gallery.channels for gallery in facts.galleries}
    pictures = {"input": denormalised(capture.input),
                "conv1": unit_scaled(channel_map(capture.stem, channels["relu"][0]))}
    pictures.update({stage.name: unit_scaled(channel_map(capture.stages[stage.name], channels[stage.name][0]))
                     for stage in facts.stages})
    return pictures


def draw_residual(block: BlockCapture, channel: int, words: Words) -> bytes:
    """x (or its projection), F(x), the sum and the ReLU of the sum, on one colour scale."""
    shortcut = f"{words('shortcut')}(x)" if block.downsample else "x"
    summed = block.residual + block.shortcut
    panels = [
        (f"{shortcut}\n= BN(conv 1×1(x))" if block.downsample else "x", block.shortcut),
        ("F(x)", block.residual),
        (f"{shortcut} + F(x)", summed),
        (f"ReLU({shortcut} + F(x))", torch.relu(summed)),
    ]
    arrays = [channel_map(tensor, channel) for _, tensor in panels]
    limit = max(float(np.abs(a).max()) for a in arrays) or 1.0
    fig, grid = plt.subplots(2, 2, figsize=(COLUMN_WIDTH, 5.6), layout="constrained")
    axes = grid.ravel()
    image = None
    for ax, (label, _), array in zip(axes, panels, arrays):
        image = ax.imshow(array, cmap=DIVERGING, vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(label)
        ax.set_xticks([])
        ax.set_yticks([])
    words.localise(fig.colorbar(image, ax=grid, shrink=0.85).ax.yaxis)
    fig.suptitle(f"{block.name} · c = {channel}")
    return svg_bytes(fig)


def draw_comparison(block: BlockCapture, channel: int, atol: float, words: Words) -> bytes:
    """The report's Figure 3: manual add + ReLU, the block's own output, and |difference| (scale at least atol)."""
    manual = channel_map(torch.relu(block.residual + block.shortcut), channel)
    model_output = channel_map(block.output, channel)
    difference = np.abs(manual - model_output)
    shared = (min(manual.min(), model_output.min()), max(manual.max(), model_output.max()))
    panels = [
        ("ReLU(x + F(x))", manual, SEQUENTIAL, shared),
        (f"{block.name}(x)", model_output, SEQUENTIAL, shared),
        ("|a − b|", difference, "magma", (0.0, max(float(difference.max()), atol))),
    ]
    fig, grid = plt.subplots(2, 2, figsize=(COLUMN_WIDTH, 4.8), layout="constrained")
    grid[1, 1].set_axis_off()
    for ax, (label, array, cmap, (low, high)) in zip(grid.ravel(), panels):
        image = ax.imshow(array, cmap=cmap, vmin=low, vmax=high, interpolation="nearest")
        ax.set_title(label)
        ax.set_xticks([])
        ax.set_yticks([])
        words.localise(fig.colorbar(image, ax=ax, shrink=0.8).ax.yaxis)
    return svg_bytes(fig)


def draw_input(capture: RunCapture) -> bytes:
    fig, ax = plt.subplots(figsize=(4, 4), layout="constrained")
    ax.imshow(denormalised(capture.input))
    ax.set_xticks([])
    ax.set_yticks([])
    return png_bytes(fig)






def draw_top5(facts: Facts, words: Words) -> bytes:
    predictions = facts.predictions
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 0.8 + 0.45 * len(predictions)), layout="constrained")
    ax.barh(range(len(predictions)), [p.probability for p in predictions], color="#36a")
    ax.set_yticks(range(len(predictions)), [p.name for p in predictions])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(words("softmax"))
    words.localise(ax.xaxis)
    return svg_bytes(fig)


def ticks_inside(ax: plt.Axes) -> None:
    """Keep only the ticks within the view: matplotlib also makes labels for ticks beyond it, never drawn."""
    low, high = ax.get_xlim()
    ax.set_xticks([tick for tick in ax.get_xticks() if low <= tick <= high])
    low, high = ax.get_ylim()
    ax.set_yticks([tick for tick in ax.get_yticks() if low <= tick <= high])


DEGRADATION_BARS: tuple[tuple[str, str], ...] = (
    ("plain-18", "plain18_top1_error"), ("plain-34", "plain34_top1_error"),
    ("ResNet-18", "resnet18_top1_error"), ("ResNet-34", "resnet34_top1_error"),
)  # the paper's names for its networks, and the cited number of each


def draw_degradation(cited: dict[str, int | float], words: Words) -> bytes:
    """The paper's top-1 errors: deeper is worse without shortcuts, better with them."""
    names = [name for name, _ in DEGRADATION_BARS]
    errors = [cited[key] * 100 for _, key in DEGRADATION_BARS]
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 3.4), layout="constrained")
    bars = ax.bar(names, errors, color=["#999", "#666", "#6b8fd6", "#2a55b0"])
    ax.bar_label(bars, labels=[words.number(error, 2) for error in errors], padding=2)
    ax.set_ylim(min(errors) - 2, max(errors) + 1)
    ax.set_ylabel(words("top1_error"))
    ticks_inside(ax)
    words.localise(ax.yaxis)
    return svg_bytes(fig)


def draw_family_accuracy(facts: Facts, words: Words) -> bytes:
    """acc@1 of every published weights entry against the model's multiply-accumulates and parameters."""
    models = {model.name: model for model in facts.family.models}
    fig, axes = plt.subplots(2, 1, figsize=(COLUMN_WIDTH, 7), layout="constrained", sharey=True)
    markers = {"IMAGENET1K_V1": "o", "IMAGENET1K_V2": "s"}
    scales = ((words("gmacs"), lambda m: m.macs / 1e9), (words("parameters_millions"), lambda m: m.params / 1e6))
    for ax, (label, x_of) in zip(axes, scales):
        for version, marker in markers.items():
            entries = [entry for entry in facts.family.weights if entry.name == version]
            xs = [x_of(models[entry.model]) for entry in entries]
            ax.plot(xs, [entry.top1 for entry in entries], marker=marker, linestyle="-", label=version)
            for x, entry in zip(xs, entries):
                ax.annotate(entry.model, (x, entry.top1), textcoords="offset points", xytext=(4, -14))
        ax.set_xlabel(label)
        ax.margins(x=0.15, y=0.1)
        ax.grid(alpha=0.3)
        ticks_inside(ax)
        words.localise(ax.xaxis, ax.yaxis)
        ax.set_ylabel(words("acc1"))
    axes[0].legend(loc="lower right")
    return svg_bytes(fig)


def draw_experiment(experiment: Experiment, words: Words) -> bytes:
    """The paper's first figure, trained here: plain nets above, residual below; training solid, held-out dashed.

    Every seed's curve is drawn as a thin line, so the spread between seeds shows as it is. Each panel's
    legend sits below it, outside the plot, so that it covers no curve whatever the runs gave.
    """
    fig = plt.figure(figsize=(COLUMN_WIDTH, 9.6), layout="constrained")
    panels = fig.subfigures(2, 1)
    depths = sorted({net.depth for net in experiment.nets})
    colours = dict(zip(depths, ("#e8a33d", "#c0392b", "#6b8fd6", "#2a55b0")))
    for panel, kind in zip(panels, ("plain", "residual")):
        ax = panel.subplots()
        nets = [net for net in experiment.nets if net.kind == kind]
        for net in nets:
            for run in net.runs:
                epochs = range(1, len(run.train_error) + 1)
                for errors, style in ((run.train_error, "-"), (run.heldout_error, "--")):
                    ax.plot(epochs, [error * 100 for error in errors], color=colours[net.depth], linestyle=style,
                            linewidth=0.9, alpha=0.8)
        ax.set_xlabel(words("epoch"))
        ax.set_ylabel(words("error"))
        ax.set_ylim(0, 100)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # an epoch is a whole number
        ax.grid(alpha=0.3)
        ticks_inside(ax)
        words.localise(ax.xaxis, ax.yaxis)
        # The nets by colour in one column, the line styles in the other: short enough for the panel's width.
        handles = [Line2D([], [], color=colours[net.depth]) for net in nets]
        handles += [Line2D([], [], color="#555", linestyle=style) for style in ("-", "--")]
        panel.legend(handles, [net.name for net in nets] + [words("train"), words("heldout")],
                     loc="outside lower center", ncols=2)
    return svg_bytes(fig)


def remembered_figure(name: str, inputs: object, draw: Callable[[], bytes]) -> bytes:
    """A figure drawn from data that no image or weights change: once per version of the code and packages.

    Kept beside the family's numbers (core/memo.py), under the digest of its
    inputs and of the packages that draw and encode it.
    """
    versions = {package: package_version(package) for package in ("matplotlib", "pillow", "numpy")}
    depends_on = json.dumps({"inputs": inputs, "versions": versions}, sort_keys=True, default=str)
    return memo.remembered(f"figure-{name}", draw, lambda data: base64.b64encode(data).decode("ascii"),
                           lambda text: base64.b64decode(text, validate=True), depends_on)


def drawers(facts: Facts, capture: RunCapture, conv1_weight: torch.Tensor,
            ) -> dict[str, Callable[[Words], bytes]]:
    """How to draw each figure of this run, by role, given its words."""
    blocks = {block.name: block for block in capture.blocks}
    channels = {check.name: check.channel for check in facts.residual}
    feature_maps = {"relu": capture.stem, **capture.stages}
    draw: dict[str, Callable[[Words], bytes]] = {
        "scheme": lambda w: svg_bytes(draw_scheme(facts, scheme_pictures(facts, capture))),
        "comparison": lambda w: draw_comparison(blocks[COMPARISON_BLOCK], channels[COMPARISON_BLOCK], ATOL, w),
        "input": lambda w: draw_input(capture),
        "filters": lambda w: svg_bytes(draw_filters(conv1_weight, w)),
        "degradation": lambda w: draw_degradation(facts.cited, w),
        "family-accuracy": lambda w: draw_family_accuracy(facts, w),
        "experiment": lambda w: draw_experiment(facts.experiment, w),
        "top5": lambda w: draw_top5(facts, w),
    }
    draw.update({f"residual-{b}": (lambda w, b=b: draw_residual(blocks[b], channels[b], w))
                 for b in RESIDUAL_FIGURE_BLOCKS})
    draw.update({f"features-{g.name}": (lambda w, g=g: svg_bytes(draw_features(feature_maps[g.name], g.channels, w)))
                 for g in facts.galleries})
    return draw


def figure_bytes(
    facts: Facts, capture: RunCapture, conv1_weight: torch.Tensor, progress: Callable[[str], None] = lambda _: None,
    remember: bool = False,
) -> dict[str, bytes]:
    """Every figure of this run as PNG bytes, by file name: what the build writes and the check reproduces.

    ``remember``: the figures that depend on no image or weights come from
    the cache of earlier builds (core/memo.py); the check never reads it.
    """
    draw = drawers(facts, capture, conv1_weight)
    independent = {"degradation": facts.cited, "family-accuracy": dataclasses.asdict(facts.family),
                   "experiment": dataclasses.asdict(facts.experiment)}
    jobs: list[tuple[str, Callable[[], bytes]]] = []
    for role in figure_roles(facts):
        for language in LANGUAGES if worded(role) else LANGUAGES[:1]:
            name = file_name(role, language)
            job = (lambda d=draw[role], lang=language: d(words_in(lang)))
            if remember and role in independent:
                job = (lambda n=name, i=independent[role], j=job: remembered_figure(n, i, j))
            jobs.append((name, job))
    numbered = list(enumerate(jobs, start=1))

    def draw_all(share: list[tuple[int, tuple[str, Callable[[], bytes]]]],
                 say: Callable[[str], None]) -> dict[str, bytes]:
        drawn = {}
        for number, (name, job) in share:
            say(f"figure {number}/{len(jobs)}: {name}")
            drawn[name] = job()
        return drawn

    # Every other figure is drawn in a forked process, on the other core; the bytes are the same either way.
    with forked.started(lambda: draw_all(numbered[1::2], lambda _: None), "drawing the figures") as other_half:
        rendered = {**draw_all(numbered[0::2], progress), **other_half()}
    return {name: rendered[name] for name, _ in jobs}


def render_figures(
    facts: Facts, capture: RunCapture, conv1_weight: torch.Tensor, out_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> None:
    """Write every figure into out_dir, those that no image or weights change from the build's cache."""
    for name, data in figure_bytes(facts, capture, conv1_weight, progress, remember=True).items():
        atomic.write_bytes(out_dir / name, data)
