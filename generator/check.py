"""The numeric gate: re-derive every number from the model and compare it with the pages.

This module never imports the page generator or the facts it produced: it
builds its own ResNet18, counts, measures and re-runs the residual identity
its own way, then reads the Markdown as a reader would. Every number in prose
must carry a fact tag whose value matches, or be on the short explicit list
of numbers that are not the model's (years, section and citation numbers).
"""

from __future__ import annotations

import math
import platform
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torchvision
from PIL import Image, UnidentifiedImageError
from torch import nn
from torchvision.models import ResNet18_Weights, resnet18
from torchvision.models.resnet import BasicBlock

from .config import LANGUAGES, Config
from .errors import MismatchError
from .hooks import forward_with_hooks
from .image import load_image
from .weights import resolve_weights

PUBLISHED = ResNet18_Weights.IMAGENET1K_V1
ALLCLOSE_RTOL = 1e-5
ALLCLOSE_ATOL = 1e-8
SUMMARY_HEADER = "|Layer (type)|"

# Numbers on the pages that are not the model's, each with its reason.
ALLOWED_NUMBERS: tuple[tuple[str, str], ...] = (
    (r"(?m)^#{1,6} \d+\. ", "section number in a heading"),
    (r"(?m)^\d+\. \[", "numbered source in the reference list"),
    (r"\[\[\d+\]\]", "citation number"),
    (r"\b(?:2012|2015|2016)\b", "year of AlexNet, of ResNet, of the paper"),
    (r"\b15[.,]3\u202f?%", "AlexNet's ImageNet top-5 error, quoted by the report"),
    (r"\bTop-5\b", "name of ImageNet's top-5 error metric"),
    (r"pp\. 770-778", "page range of the paper"),
    (r"\b(?:Figura|Figure) \d+[ab]?\b", "figure number"),
    (r"\*(?:Etapa|Stage) \d+\b", "stage ordinal, as the report numbers its blocks"),
    (r"\[(?:Figura|Figure) \d+[ab]?\]", "figure number"),
    (r"\bResNet ?(?:18|34)\b", "model name"),
    (r"\bN°1\b", "school name"),
    (r"\bSHA-256\b", "hash algorithm name"),
    (r"\b(?:8|16) bits\b", "image bit depth"),
    (r"«se repite 2 veces más»|“repeats 2 more times”", "the original report's wording, quoted to correct it"),
)
IDENTIFIER = re.compile(r"\b(?:layer\d+(?:\.\d+)*|conv\d+|bn\d+)\b")
FACT_SPAN = re.compile(r'<span class="fact" data-fact="([\w.\-]+)" data-style="(\w+)">([^<]*)</span>')
IMAGE_REF = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


@dataclass(frozen=True)
class Mismatch:
    page: str
    place: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.page}: {self.place}: expected {self.expected}, found {self.found}"


# ---------------------------------------------------------------- expectations


def module_shapes(model: nn.Module, batch: torch.Tensor) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    handles = [
        child.register_forward_hook(lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:])))
        for name, child in model.named_children()
    ]
    forward_with_hooks(model, batch, handles)
    return shapes


def top_group(parameter_or_module_name: str) -> str:
    top = parameter_or_module_name.split(".")[0]
    if top.startswith("layer"):
        return top
    return "fc" if top in ("fc", "avgpool") else "conv1"


def multiply_adds(model: nn.Module, batch: torch.Tensor) -> dict[str, int]:
    """MACs of convolutions and linear layers, per top-level group."""
    totals: Counter[str] = Counter()
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            def conv_hook(m: nn.Conv2d, _i: tuple, out: torch.Tensor, name: str = name) -> None:
                per_output = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                totals[top_group(name)] += out[0].numel() * per_output
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            def linear_hook(m: nn.Linear, _i: tuple, _o: torch.Tensor, name: str = name) -> None:
                totals[top_group(name)] += m.in_features * m.out_features
            handles.append(module.register_forward_hook(linear_hook))
    forward_with_hooks(model, batch, handles)
    return dict(totals)


def recompute_block(block: BasicBlock, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """F(x), the hand-made ReLU(F(x) + shortcut) and the block's own output, from fresh calls."""
    with torch.no_grad():
        residual = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x)))))
        shortcut = block.downsample(x) if block.downsample is not None else x
        manual = torch.relu(residual + shortcut)
        output = block(x.clone())
    return residual, manual, output


def summary_rows(model: nn.Module, batch: torch.Tensor) -> list[tuple[str, str, int]]:
    """(name, output shape, parameters) per call of every non-container module, torchsummary's way."""
    rows: list[tuple[str, str, int]] = []

    def hook(module: nn.Module, _i: tuple, out: torch.Tensor) -> None:
        count = sum(p.numel() for p in module.parameters(recurse=False))
        shape = "[" + ", ".join(str(d) for d in (-1, *out.shape[1:])) + "]"
        rows.append((f"{type(module).__name__}-{len(rows) + 1}", shape, count))

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if m is not model and not isinstance(m, (nn.Sequential, nn.ModuleList, nn.ModuleDict))
    ]
    forward_with_hooks(model, batch, handles)
    return rows


@dataclass
class Expected:
    values: dict[str, Any]
    summary: list[tuple[str, str, int]]
    module_names: set[str]
    residual_failures: list[str]


def derive_expected(config: Config) -> Expected:
    state_dict, weights = resolve_weights(
        config.weights, seed=config.seed, allow_download=False, log=lambda _message: None
    )
    image, image_info = load_image(config.image)
    torch.manual_seed(config.seed)
    model = resnet18(weights=None)
    if state_dict is not None:
        model.load_state_dict(state_dict, strict=True)
    model.eval()
    transforms = PUBLISHED.transforms()
    batch = transforms(image).unsqueeze(0)

    shapes = module_shapes(model, batch)
    stage_names = [name for name, _ in model.named_children() if name.startswith("layer")]
    stages = [model.get_submodule(name) for name in stage_names]
    blocks = [(name, m) for name, m in model.named_modules() if isinstance(m, BasicBlock)]
    convs = [name for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    main_convs = [name for name in convs if "downsample" not in name]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    categories = PUBLISHED.meta["categories"]
    if len(categories) != model.fc.out_features:
        raise MismatchError(f"torchvision lists {len(categories)} categories but fc has {model.fc.out_features} outputs")

    v: dict[str, Any] = {}
    arch = {
        "input_channels": model.conv1.in_channels,
        "resize_size": transforms.resize_size[0],
        "input_size": transforms.crop_size[0],
        "stem_kernel": model.conv1.kernel_size[0],
        "stem_stride": model.conv1.stride[0],
        "stem_channels": model.conv1.out_channels,
        "stem_size": shapes["conv1"][-1],
        "pool_kernel": model.maxpool.kernel_size,
        "pool_stride": model.maxpool.stride,
        "pool_size": shapes["maxpool"][-1],
        "block_kernel": stages[0][0].conv1.kernel_size[0],
        "shortcut_kernel": stages[1][0].downsample[0].kernel_size[0],
        "convs_per_block": sum(isinstance(c, nn.Conv2d) for c in stages[0][0].children()),
        "stage_count": len(stages),
        "basic_blocks": len(blocks),
        "downsample_blocks": sum(b.downsample is not None for _, b in blocks),
        "main_path_convs": len(main_convs),
        "weighted_layers": len(main_convs) + len(linears),
        "pooled_channels": shapes["avgpool"][0],
        "pooled_size": shapes["avgpool"][-1],
        "num_classes": len(categories),
    }
    for i, (name, stage) in enumerate(zip(stage_names, stages)):
        arch[f"blocks_per_stage.{i}"] = len(stage)
        arch[f"stage_channels.{i}"] = shapes[name][0]
        arch[f"stage_sizes.{i}"] = shapes[name][-1]
        arch[f"stage_strides.{i}"] = stage[0].conv1.stride[0]
    v.update({f"architecture.{k}": value for k, value in arch.items()})

    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    macs = multiply_adds(model, batch)
    rows = summary_rows(model, batch)
    v.update(
        {
            "totals.params": params,
            "totals.trainable": trainable,
            "totals.non_trainable": params - trainable,
            "totals.macs": sum(macs.values()),
            "totals.rows": len(rows),
            "totals.published_params": PUBLISHED.meta["num_params"],
            "totals.published_gflops": PUBLISHED.meta["_ops"],
            "totals.published_top1": PUBLISHED.meta["_metrics"]["ImageNet-1K"]["acc@1"],
            "totals.published_top5": PUBLISHED.meta["_metrics"]["ImageNet-1K"]["acc@5"],
            "top_k": config.top_k,
            "gallery_size": config.feature_channels,
        }
    )
    groups = ["conv1", *stage_names, "fc"]
    group_params: Counter[str] = Counter()
    for name, parameter in model.named_parameters():
        group_params[top_group(name)] += parameter.numel()
    for i, group in enumerate(groups):
        v[f"stages.{i}.name"] = group
        v[f"stages.{i}.params"] = group_params[group]
        v[f"stages.{i}.macs"] = macs.get(group, 0)
        shape = shapes["fc"] if group == "fc" else shapes["maxpool"] if group == "conv1" else shapes[group]
        for j, size in enumerate(shape):
            v[f"stages.{i}.output_shape.{j}"] = size

    block_inputs: dict[str, torch.Tensor] = {}
    handles = [
        block.register_forward_pre_hook(lambda _m, inputs, name=name: block_inputs.__setitem__(name, inputs[0].clone()))
        for name, block in blocks
    ]
    logits = forward_with_hooks(model, batch, handles)
    failures = []
    for i, (name, block) in enumerate(blocks):
        residual, manual, output = recompute_block(block, block_inputs[name])
        close = bool(torch.allclose(manual, output, rtol=ALLCLOSE_RTOL, atol=ALLCLOSE_ATOL))
        if not close:
            failures.append(name)
        v.update(
            {
                f"residual.{i}.block": name,
                f"residual.{i}.allclose": close,
                f"residual.{i}.rtol": ALLCLOSE_RTOL,
                f"residual.{i}.atol": ALLCLOSE_ATOL,
                f"residual.{i}.max_abs_diff": float((manual - output).abs().max()),
                f"residual.{i}.residual_min": float(residual.min()),
                f"residual.{i}.channel": int(torch.argmax(output[0].mean(dim=(1, 2)))),
            }
        )

    if weights.trained:
        probabilities, indices = torch.topk(torch.softmax(logits[0], dim=0), config.top_k)
        for i, (probability, index) in enumerate(zip(probabilities, indices)):
            v[f"predictions.{i}.rank"] = i + 1
            v[f"predictions.{i}.index"] = int(index)
            v[f"predictions.{i}.label"] = categories[int(index)]
            v[f"predictions.{i}.probability"] = float(probability)

    v.update(
        {
            "provenance.seed": config.seed,
            "provenance.torch_version": torch.__version__,
            "provenance.torchvision_version": torchvision.__version__,
            "provenance.weights.trained": weights.trained,
            "provenance.weights.sha256": weights.sha256,
            "provenance.weights.size_bytes": weights.size_bytes,
            "provenance.image.sha256": image_info.sha256,
            "provenance.image.width": image.width,
            "provenance.image.height": image.height,
            "provenance.image.format": image_info.format,
            "provenance.image.original_mode": image_info.original_mode,
        }
    )
    v["provenance.python_version"] = platform.python_version()
    return Expected(values=v, summary=rows, module_names={n for n, _ in model.named_modules()}, residual_failures=failures)


# ---------------------------------------------------------------- reading pages


def parse_number(text: str, language: str) -> float:
    """Read a number as a reader of that language writes it (11,689,512 / 11 689 512; 1.814 / 1,814)."""
    plain = text.rstrip("%").strip().replace("\u202f", "").replace(" ", "")
    plain = plain.replace(".", "").replace(",", ".") if language == "es" else plain.replace(",", "")
    return float(plain)


def canonical(found: str, style: str, language: str) -> str:
    """The value a reader takes from the text, written the same way for every language."""
    if style == "plain":
        return found
    try:
        return repr(parse_number(found, language))
    except ValueError:
        return found


def value_matches(found: str, expected: Any, style: str, language: str) -> bool:
    """Does the text a reader sees stand for the expected value, within the precision shown?"""
    if isinstance(expected, bool) or isinstance(expected, str) or expected is None or style == "plain":
        return found == str(expected)
    try:
        number = parse_number(found, language)
    except ValueError:
        return False
    if style == "percent":
        return found.endswith("%") and math.isclose(number / 100, expected, abs_tol=6e-4)
    if style == "gmacs":
        return math.isclose(number * 1e9, expected, abs_tol=6e5)
    if isinstance(expected, int):
        return number == expected
    return math.isclose(number, expected, rel_tol=6e-3, abs_tol=1e-12)


def strip_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return "\n" * text[: end + 5].count("\n") + text[end + 5 :]
    return text


def blank(match: re.Match[str]) -> str:
    """Replace a match by spaces and newlines of the same shape, keeping line numbers."""
    return re.sub(r"[^\n]", " ", match.group(0))


def line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


@dataclass
class PageReading:
    facts: list[tuple[str, str]]
    headings: list[str]
    images: list[str]
    table_rows: list[int]
    summary: list[list[str]]


def evaluate_formula(cell: str) -> int | None:
    """'512 \\* 1000 + 1000' -> 513000; '-' -> 0; anything else -> None."""
    text = cell.replace("\\*", "*").replace("`", "").strip()
    if text == "-":
        return 0
    if not re.fullmatch(r"\d+(?:\s*\*\s*\d+)*(?:\s*\+\s*\d+(?:\s*\*\s*\d+)*)*", text):
        return None
    return sum(math.prod(int(f) for f in term.split("*")) for term in text.split("+"))


def split_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def read_page(page: str, text: str, expected: Expected, mismatches: list[Mismatch]) -> PageReading:
    language = page.split(".")[1]
    text = strip_front_matter(text)
    text = re.sub(r"(?ms)^```.*?^```", blank, text)
    reading = PageReading(facts=[], headings=[], images=[], table_rows=[], summary=[])

    def fact(match: re.Match[str]) -> str:
        key, style, found = match.group(1), match.group(2), match.group(3)
        reading.facts.append((key, canonical(found, style, language)))
        place = f"line {line_of(text, match.start())}, fact {key}"
        if key not in expected.values:
            mismatches.append(Mismatch(page, place, "a fact the model defines", f"unknown fact {key!r}"))
        elif not value_matches(found, expected.values[key], style, language):
            mismatches.append(Mismatch(page, place, repr(expected.values[key]), repr(found)))
        return " " * len(match.group(0))

    text = FACT_SPAN.sub(fact, text)

    lines = text.split("\n")
    in_table = in_summary = False
    for number, line in enumerate(lines, start=1):
        if line.startswith("#"):
            reading.headings.append(line.split(" ", 1)[0])
        if line.startswith("|"):
            if not in_table:
                reading.table_rows.append(0)
                in_summary = line.startswith(SUMMARY_HEADER)
            in_table = True
            reading.table_rows[-1] += 1
            if in_summary:
                reading.summary.append(split_row(line))
                lines[number - 1] = ""
        else:
            in_table = in_summary = False
    reading.images = IMAGE_REF.findall(text)
    check_summary(page, reading.summary, expected, mismatches)

    prose = "\n".join(lines)
    for pattern, _reason in ALLOWED_NUMBERS:
        prose = re.sub(pattern, blank, prose)
    prose = re.sub(r"`[^`\n]*`|<code>[^<]*</code>", blank, prose)
    prose = re.sub(r"\]\([^)\s]*\)", blank, prose)
    prose = re.sub(r"<[^>]*>", blank, prose)
    prose = re.sub(r"\{[^}\n]*\}", blank, prose)
    for match in IDENTIFIER.finditer(prose):
        if match.group(0) not in expected.module_names:
            mismatches.append(
                Mismatch(page, f"line {line_of(prose, match.start())}", "a module of the model", repr(match.group(0)))
            )
    prose = IDENTIFIER.sub(blank, prose)
    for match in re.finditer(r"\d+(?:[.,]\d+)*", prose):
        mismatches.append(
            Mismatch(
                page,
                f"line {line_of(prose, match.start())}",
                "every number in prose to come from the model (fact()) or the allowed list",
                f"untagged number {match.group(0)!r}",
            )
        )
    return reading


def check_summary(page: str, table: list[list[str]], expected: Expected, mismatches: list[Mismatch]) -> None:
    if page.startswith("index."):
        if not table:
            mismatches.append(Mismatch(page, "summary table", "a table headed 'Layer (type)'", "none"))
            return
    elif not table:
        return
    body = table[2:]
    rows = [r for r in body if not r[0].endswith(" params")]
    if len(rows) != len(expected.summary):
        mismatches.append(Mismatch(page, "summary table", f"{len(expected.summary)} rows", f"{len(rows)} rows"))
    for found, (name, shape, params) in zip(rows, expected.summary):
        place = f"summary row {name}"
        if len(found) < 4:
            mismatches.append(Mismatch(page, place, "4 cells", f"{len(found)} cells"))
            continue
        if found[0] != name:
            mismatches.append(Mismatch(page, place, name, found[0]))
        if found[1] != shape:
            mismatches.append(Mismatch(page, f"{place}, output shape", shape, found[1]))
        if found[3].replace(",", "") != str(params) or f"{params:,}" != found[3]:
            mismatches.append(Mismatch(page, f"{place}, parameters", f"{params:,}", found[3]))
        computed = evaluate_formula(found[2])
        if computed != params:
            mismatches.append(
                Mismatch(page, f"{place}, formula {found[2]!r}", f"a formula that evaluates to {params:,}", str(computed))
            )
    totals = {r[0]: r[1] for r in body if r[0].endswith(" params")}
    wanted = {
        "Total params": expected.values["totals.params"],
        "Trainable params": expected.values["totals.trainable"],
        "Non-trainable params": expected.values["totals.non_trainable"],
    }
    for label, value in wanted.items():
        if totals.get(label) != f"{value:,}":
            mismatches.append(Mismatch(page, f"summary {label}", f"{value:,}", str(totals.get(label))))


def check_image(page: str, docs: Path, ref: str, mismatches: list[Mismatch]) -> None:
    path = docs / ref
    if not path.is_file() or path.stat().st_size == 0:
        mismatches.append(Mismatch(page, f"figure {ref}", "a non-empty PNG file", "missing" if not path.exists() else "empty"))
        return
    try:
        with Image.open(path) as image:
            image.verify()
            if image.format != "PNG":
                raise UnidentifiedImageError(image.format)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        mismatches.append(Mismatch(page, f"figure {ref}", "a valid PNG", f"unreadable ({error})"))


def compare_languages(page: str, readings: dict[str, PageReading], mismatches: list[Mismatch]) -> None:
    first, *others = LANGUAGES
    base = readings[first]
    for language in others:
        other = readings[language]
        name = f"{page}.{language}.md"
        for label, mine, theirs in (
            ("headings", base.headings, other.headings),
            ("figures", base.images, other.images),
            ("table rows", base.table_rows, other.table_rows),
            ("numbers", sorted(base.facts), sorted(other.facts)),
        ):
            if mine != theirs:
                extra = Counter(map(str, theirs)) - Counter(map(str, mine))
                missing = Counter(map(str, mine)) - Counter(map(str, theirs))
                mismatches.append(
                    Mismatch(
                        name,
                        f"{label} compared with {page}.{first}.md",
                        f"the same {label} (missing here: {sorted(missing)[:3]})",
                        f"different (only here: {sorted(extra)[:3]})",
                    )
                )


def check_docs(docs: Path, config: Config) -> list[Mismatch]:
    expected = derive_expected(config)
    mismatches: list[Mismatch] = []
    for block in expected.residual_failures:
        mismatches.append(Mismatch("model", f"residual check of {block}", "torch.allclose True", "False"))
    pages = sorted({p.name.split(".")[0] for p in docs.glob("*.md")})
    if "index" not in pages:
        mismatches.append(Mismatch(str(docs), "pages", "index.<language>.md", "none: run `python -m generator build`"))
    for page in pages:
        readings = {}
        for language in LANGUAGES:
            path = docs / f"{page}.{language}.md"
            if not path.is_file():
                mismatches.append(Mismatch(path.name, "page", "a translation of every page", "missing"))
                continue
            readings[language] = read_page(path.name, path.read_text(encoding="utf-8"), expected, mismatches)
            for ref in dict.fromkeys(readings[language].images):
                check_image(path.name, docs, ref, mismatches)
        if len(readings) == len(LANGUAGES):
            compare_languages(page, readings, mismatches)
    for language in LANGUAGES:
        if not (docs / f"notebook.{language}.ipynb").is_file():
            mismatches.append(Mismatch(f"notebook.{language}.ipynb", "page", "an executed notebook", "missing"))
    return mismatches


def verify(docs: Path, config: Config) -> None:
    """Raise MismatchError listing every disagreement, one per line."""
    mismatches = check_docs(docs, config)
    if mismatches:
        listing = "\n".join(f"  {m}" for m in mismatches[:50])
        more = f"\n  ... and {len(mismatches) - 50} more" if len(mismatches) > 50 else ""
        raise MismatchError(f"{len(mismatches)} mismatch(es) between the pages and the model:\n{listing}{more}")
