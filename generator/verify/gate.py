"""The gate: every digit a reader can see is accounted for, and every claim is true for this run.

The values come from ``expected`` (the model side, which never imports the
generator's facts); this module reads what the pages show as a reader meets
it: each Markdown page is rendered the way MkDocs renders it and walked as a
tree, so text in code spans, attributes, raw HTML or setext headings is read
like any other. On every page:

- a tagged value (``data-fact``) must parse, in the page's language and with
  no stray digit or separator, to the re-derived value; a value tied to a
  module, stage, block or class must sit in the same statement (table row,
  heading, list item, paragraph, caption) as that item's name;
- a quotation must be its source's exact words; the references list must be
  the sources' data; a sentence whose truth depends on the weights or on a
  value must be the wording that is true now, and no other wording of it may
  appear anywhere;
- every torchsummary table (the report's, and each family model's in its
  collapsed section) is checked cell by cell, the totals block included;
- any other digit, in any script, must be on a short list of names and
  numbers that are not the model's (section numbers, figure numbers, model
  names), each with its reason.

Beyond the pages: facts.json must hold exactly the re-derived values, every
figure and facts.json must be byte-identical to what these inputs produce,
and the executed notebooks must hold their code and the outputs these
inputs give.
"""

from __future__ import annotations

import gc
import io
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import sources
from .config import DATA_FOLDER, FIGURE_FOLDER, LANGUAGES, Config
from .errors import MismatchError
from .expected_data import Expected, flatten
from .visible import INVISIBLE_TAGS, VISIBLE_ATTRIBUTES, Element, render_markdown
from .imagenet import IMAGENET_FILENAME
from .journal import PUBLISHED_FILE_LIMIT, published_bytes

if TYPE_CHECKING:  # torch and numpy: imported only by a check that reads the data
    from .check_explorer import Reference

SUMMARY_HEADER = "Layer (type)"
FAMILY_SUMMARY_NAME = re.compile(r"family\.summaries\.[0-9]+\.name")
TRANSLATIONS = Path(__file__).parent / "translations"
FLOAT_RTOL = 1e-6
# What a docs file that is not a regular file of at most PUBLISHED_FILE_LIMIT bytes is found to be; it is never read.
UNREADABLE = f"unreadable: not a regular file of at most {PUBLISHED_FILE_LIMIT:,} bytes"

# Digits on the pages that are not the model's or a source's, each with its reason. Only ASCII digits
# can match: a digit of any other script is never accounted for.
ALLOWED_NUMBERS: tuple[tuple[str, str], ...] = (
    (r"\bResNet ?(?:18|34)\b", "model name"),
    (r"\bN°1\b", "school name"),
    (r"\bSHA-256\b", "hash algorithm name"),
    (r"\bfloat16\b", "name of IEEE 754's half-precision format (the explorer's data)"),
    (r"\b[Tt]op-5\b", "name of ImageNet's top-5 error metric"),
    (r"\b[Tt]op-1\b", "name of ImageNet's top-1 error metric"),
    (r"\bacc@[15]\b", "torchvision's names of its ImageNet accuracy metrics"),
    (r"\b(?:plain|ResNet)-(?:18|34)\b", "the paper's names of its ImageNet networks (its Table 2)"),
    (r"\bCIFAR-10\b", "the paper's CIFAR-10 data set"),
    (r"\bx86-64\b", "the name of a processor architecture (the experiment's portable kernels)"),
    (r"\b6n\+2\b", "the paper's depth rule for its CIFAR-10 networks"),
    (r"\bIMAGENET1K_V1\b", "torchvision's weights name"),
    (r"\bResNet18_Weights\b|\bresnet18\b", "torchvision's names"),
    (r"\b(?:Conv2d|BatchNorm2d|AdaptiveAvgPool2d|MaxPool2d)\b", "PyTorch layer types"),
    (re.escape(IMAGENET_FILENAME), "torchvision's file name for the ImageNet weights"),
)
SECTION_NUMBER = re.compile(r"^\s*[0-9]+\.\s")
FIGURE_LINK = re.compile(r"^(?P<word>Figura|Figure)s? (?P<number>[0-9]+[ab]?)\b")
# "Figura 1", "Figuras 2a y 2b": a figure number, allowed only where that figure is on the page
FIGURE_MENTION = re.compile(r"\b(?:Figura|Figure)s? (?P<first>[0-9]+[ab]?)(?: (?:y|and) (?P<second>[0-9]+[ab]?))?\b")
CITATION = re.compile(r"^\[([0-9]+)\]$")
NUMBER_CATEGORIES = {"Nd", "Nl", "No"}
QUOTE_MARKS = re.compile(r"“([^”]*)”|«([^»]*)»|\"([^\"]*)\"")
LONG_QUOTATION_WORDS = 8


@dataclass(frozen=True)
class Mismatch:
    page: str
    place: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.page}: {self.place}: expected {self.expected}, found {self.found}"


@dataclass
class PageReading:
    facts: list[tuple[str, str]] = field(default_factory=list)
    claims: list[tuple[str, str]] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    table_rows: list[int] = field(default_factory=list)


@dataclass
class Context:
    """What a page is checked against: the re-derived values and the data the pages draw on."""

    expected: Expected
    language: str
    strings: dict[str, str]
    figure_names: set[str]
    mkdocs_yml: Path
    mismatches: list[Mismatch]
    page: str = ""
    figure_numbers: set[str] = field(default_factory=set)  # as the page's captions number them

    def fail(self, place: str, expected: str, found: str) -> None:
        self.mismatches.append(Mismatch(self.page, place, expected, found))


# ---------------------------------------------------------------- reading numbers


def number_grammar(language: str) -> re.Pattern[str]:
    """A number as the generator writes it in that language: ASCII digits, one grouping style, nothing else."""
    group, decimal = ("\u202f", ",") if language == "es" else (",", r"\.")
    return re.compile(
        rf"^(?P<sign>-?)(?P<int>[0-9]{{1,3}}(?:{group}[0-9]{{3}})+|[0-9]+)(?:{decimal}(?P<frac>[0-9]+))?"
        rf"(?:e(?P<exp>[+-][0-9]+))?(?P<percent>\u202f?%)?$"
    )


def parse_number(text: str, language: str) -> tuple[float, float]:
    """The value a reader takes from ``text`` and half a unit of its last digit; ValueError if malformed."""
    match = number_grammar(language).match(text)
    if match is None:
        raise ValueError(text)
    integer = match["int"].replace(",", "").replace("\u202f", "")
    grouped = integer != match["int"]
    if language == "es" and (grouped != (len(integer) >= 5)) and not match["frac"] and not match["exp"]:
        raise ValueError(text)  # RAE: group five digits and more, never four
    if language == "en" and not grouped and len(integer) > 3 and not match["exp"]:
        raise ValueError(text)
    percent = match["percent"] or ""
    if percent and percent != ("\u202f%" if language == "es" else "%"):
        raise ValueError(text)
    fraction = match["frac"] or ""
    exponent = int(match["exp"] or 0)
    value = float(f"{match['sign']}{integer}.{fraction or '0'}e{exponent}")
    half_unit = 0.5 * 10.0 ** (exponent - len(fraction))
    if percent:
        return value / 100, half_unit / 100
    return value, half_unit


def value_matches(found: str, expected: Any, style: str, language: str, strings: dict[str, str]) -> bool:
    """Does the text a reader sees stand for the expected value, within the precision shown?"""
    if style == "conversion":
        return found == strings.get(f"conversion_{expected}" if expected else "conversion_none")
    if isinstance(expected, bool) and style not in ("plain", "auto"):
        return found == strings.get(f"bool.{style}.{str(expected).lower()}")
    if isinstance(expected, (bool, str)) or expected is None or style == "plain":
        return found == str(expected)
    if style == "torchsummary":
        return found == f"{expected:,}"
    try:
        number, half_unit = parse_number(found, language)
    except ValueError:
        return False
    if style.startswith("percent") != found.endswith("%"):
        return False
    if style.startswith("gmacs"):
        number, half_unit = number * 1e9, half_unit * 1e9
    if isinstance(expected, int) and not style.startswith(("gmacs", "percent")):
        return half_unit == 0.5 and number == expected  # a count is written as a whole number
    return abs(number - expected) <= half_unit * (1 + 1e-9) + 1e-12


# ---------------------------------------------------------------- one page


def subject_of(key: str, values: dict[str, Any]) -> str | None:
    """The list item a value belongs to ("stages.2" for "stages.2.size"): the nearest numbered prefix with a name."""
    parts = key.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        if parts[end - 1].isdigit() and f"{prefix}.name" in values:
            return prefix
    return None


def check_facts(root: Element, ctx: Context, reading: PageReading) -> set[int]:
    """Verify every tagged value and its label pairing; returns the ids of the elements now accounted for."""
    values = ctx.expected.values
    done: set[int] = set()
    labels_in: dict[int, set[str]] = {}
    spans = [e for e in root.walk() if "data-fact" in e.attrs]
    for span in spans:
        key = span.attrs["data-fact"]
        for block in span.blocks():
            labels_in.setdefault(id(block), set()).add(key)
    for span in spans:
        key, style, found = span.attrs["data-fact"], span.attrs.get("data-style", "auto"), span.text()
        done.add(id(span))
        place = f"fact {key}"
        if key not in values:
            ctx.fail(place, "a fact the model or a source defines", f"unknown fact {key!r}")
            continue
        reading.facts.append((key, _canonical(found, values[key], style, ctx.language)))
        if not value_matches(found, values[key], style, ctx.language, ctx.strings):
            ctx.fail(place, repr(values[key]), repr(found))
        subject = subject_of(key, values)
        if subject is not None and key != f"{subject}.name":
            if not any(f"{subject}.name" in labels_in.get(id(block), ()) for block in span.blocks()):
                ctx.fail(place, f"the name {values[f'{subject}.name']!r} ({subject}.name) in the same statement",
                         f"{found!r} without it")
    return done


def _canonical(found: str, expected: Any, style: str, language: str) -> str:
    """The value as a reader takes it, the same in every language, to compare the two pages' numbers."""
    if isinstance(expected, bool) or not isinstance(expected, (int, float)) or style in ("plain", "torchsummary"):
        return repr(expected)
    try:
        number, _ = parse_number(found, language)
    except ValueError:
        return found
    return repr(round(number * (1e9 if style.startswith("gmacs") else 1), 12))


def check_quotes(root: Element, ctx: Context) -> set[int]:
    done: set[int] = set()
    for element in root.walk():
        key = element.attrs.get("data-quote")
        if key is None:
            continue
        done.add(id(element))
        try:
            entry = sources.quote(key)
        except KeyError:
            ctx.fail(f"quotation {key}", "a quotation held in data/sources.json", "an unknown one")
            continue
        if element.tag == "q":
            shown = _squash(element.text())
        else:
            paragraphs = [child for child in element.children if isinstance(child, Element) and child.tag == "p"]
            shown = _squash(paragraphs[0].text()).removeprefix("“").removesuffix("”") if paragraphs else ""
            attribution = _squash(paragraphs[1].text()) if len(paragraphs) > 1 else ""
            wanted = _attribution(entry, ctx.strings)
            if attribution != wanted:
                ctx.fail(f"quotation {key}, attribution", repr(wanted), repr(attribution))
        if shown != _squash(entry.text):
            ctx.fail(f"quotation {key}", "the source's exact words", repr(shown[:80]))
        if entry.source == "report" and _squash(entry.text) not in _squash(sources.report_text()):
            ctx.fail(f"quotation {key}", "words that are in the original report", repr(entry.text[:80]))
    return done


def _attribution(entry: sources.Quote, strings: dict[str, str]) -> str:
    number = sources.source_number(entry.source)
    if entry.source == "report":
        text = strings["quote_from_report"].format(heading=entry.heading)
    else:
        short = next(s.short for s in sources.all_sources() if s.key == entry.source)
        text = strings["quote_from_paper"].format(short=short, section=entry.section, page=entry.page)
    return _squash(f"{text} [{number}]")


def _squash(text: str) -> str:
    return " ".join(text.split())


def check_sources(root: Element, ctx: Context) -> set[int]:
    done: set[int] = set()
    listed = [e for e in root.walk() if "data-source" in e.attrs]
    for element in listed:
        done.add(id(element))
        key = element.attrs["data-source"]
        entry = next((s for s in sources.all_sources() if s.key == key), None)
        if entry is None:
            ctx.fail(f"source {key}", "a source held in data/sources.json", "an unknown one")
            continue
        if _squash(element.text()) != _squash(entry.citation):
            ctx.fail(f"source {key}", repr(entry.citation), repr(element.text()))
        item = next((node for node in element.ancestors() if node.tag == "li"), None)
        parent = item.parent if item is not None else None
        if item is None or parent is None or parent.tag != "ol":
            ctx.fail(f"source {key}", "an item of the numbered reference list", "elsewhere")
            continue
        number = [c for c in parent.children if isinstance(c, Element) and c.tag == "li"].index(item) + 1
        number += int(parent.attrs.get("start", "1")) - 1
        if number != sources.source_number(key):
            ctx.fail(f"source {key}", f"number {sources.source_number(key)}", f"number {number}")
    if listed and [e.attrs["data-source"] for e in listed] != [s.key for s in sources.all_sources()]:
        ctx.fail("references", "every source, in order", ", ".join(e.attrs["data-source"] for e in listed))
    return done


def claim_texts(strings: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """claim -> variant -> the fixed words of that wording (what is left between its tagged values)."""
    texts: dict[str, dict[str, list[str]]] = {}
    for key, template in strings.items():
        if key.startswith("claim."):
            _, name, variant = key.split(".")
            words = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", template)
            words = re.sub(r"<[^>]+>|[*_`]", "", words)
            fragments = [_squash(part) for part in re.split(r"\{\{.*?\}\}", words)]
            texts.setdefault(name, {})[variant] = [part for part in fragments if len(part) >= 12]
    return texts


def check_claims(root: Element, ctx: Context, reading: PageReading, visible: str) -> None:
    values = ctx.expected.values
    catalogue = claim_texts(ctx.strings)
    seen = [e for e in root.walk() if e.has_class("claim")]
    for element in seen:
        name, variant = element.attrs.get("data-claim", ""), element.attrs.get("data-variant", "")
        reading.claims.append((name, variant))
        wanted = values.get(f"claims.{name}")
        if wanted is None:
            ctx.fail(f"claim {name!r}", "a claim the check knows", "an unknown one")
            continue
        if variant != wanted:
            ctx.fail(f"claim {name}", f"the wording true for this run ({wanted})", f"the wording for {variant}")
        text = _squash(element.text())
        if not all(fragment in text for fragment in catalogue[name].get(wanted, [])):
            ctx.fail(f"claim {name}", f"the words of translations claim.{name}.{wanted}", repr(text[:80]))
    for name, variants in catalogue.items():
        wanted = values.get(f"claims.{name}")
        for variant, fragments in variants.items():
            if variant != wanted and fragments and all(fragment in visible for fragment in fragments):
                ctx.fail(f"claim {name}", f"no wording that is false for this run (true: {wanted})",
                         f"the {variant} wording: {fragments[0][:60]!r}")
    if values.get("claims.weights_banner") != "imagenet" and not any(
        e.attrs.get("data-claim") == "weights_banner" for e in seen
    ):
        ctx.fail("weights banner", "the notice that these weights are not verified trained ones", "none")


def check_summary_table(root: Element, ctx: Context) -> set[int]:
    """Every torchsummary table on the page, cell by cell, against the model it belongs to.

    A table inside a collapsed section belongs to the model named (a checked label) in the section's title,
    any other to the report's model; each model a page must show has exactly one table.
    """
    tables = [t for t in root.walk() if t.tag == "table" and _header_cells(t)[:1] == [SUMMARY_HEADER]]
    owners = [_summary_owner(table) for table in tables]
    family = _family_summaries(ctx.expected.values)
    required = [""] if ctx.page.startswith("index.") else family if ctx.page.startswith("family.") else []
    for owner in required:
        if owner not in owners:
            ctx.fail(f"{_summary_name(owner, ctx)} summary table".lstrip(), f"a table headed '{SUMMARY_HEADER}'",
                     "none")
    seen: set[str] = set()
    for table, owner in zip(tables, owners):
        if owner is None or owner in seen or owner not in ["", *family]:
            ctx.fail("summary table", "one table per model, in a section titled with the model's checked name",
                     "a table of no model" if owner is None else f"another table for {owner or 'the report'}")
            continue
        seen.add(owner)
        if owner:
            rows, totals = _family_summary_cells(ctx.expected.values, owner)
        else:
            rows, totals = list(ctx.expected.summary), _totals_cells(ctx.expected.values, "totals")
        _compare_summary(table, rows, totals, _summary_name(owner, ctx), ctx)
    return {id(table) for table in tables}


def _summary_owner(table: Element) -> str | None:
    """The family summary a table belongs to ("family.summaries.2"), "" for the report's, None if unnamed."""
    section = next((node for node in table.ancestors() if node.tag == "details"), None)
    if section is None:
        return ""
    title = next((c for c in section.children if isinstance(c, Element) and c.tag == "summary"), None)
    keys = [e.attrs["data-fact"] for e in title.walk() if "data-fact" in e.attrs] if title is not None else []
    match = [key.removesuffix(".name") for key in keys if FAMILY_SUMMARY_NAME.fullmatch(key)]
    return match[0] if len(match) == 1 else None


def _family_summaries(values: dict[str, Any]) -> list[str]:
    return [f"family.summaries.{i}" for i in range(len(_listed(values, "family.summaries", ".name")))]


def _summary_name(owner: str, ctx: Context) -> str:
    return str(ctx.expected.values[f"{owner}.name"]) if owner else ""


SummaryCells = list[tuple[str, str, str, int]]  # per row: name, output shape, formula, parameters


def _family_summary_cells(values: dict[str, Any], owner: str) -> tuple[SummaryCells, dict[str, str]]:
    """A family model's table as the check derived it: each row's cells, then its totals block."""
    rows: SummaryCells = []
    while f"{owner}.rows.{len(rows)}.index" in values:
        row = f"{owner}.rows.{len(rows)}"
        shape = _listed(values, f"{row}.output_shape")
        terms = [_listed(values, f"{row}.formula.{t}") for t in range(len(_listed(values, f"{row}.formula", ".0")))]
        formula = " + ".join(" * ".join(map(str, term)) for term in terms) or "-"
        rows.append((f"{values[f'{row}.layer_type']}-{values[f'{row}.index']}", "[" + ", ".join(map(str, shape)) + "]",
                     formula, values[f"{row}.params"]))
    return rows, _totals_cells(values, f"{owner}.totals")


def _listed(values: dict[str, Any], prefix: str, suffix: str = "") -> list[Any]:
    """The items of a flattened list: prefix.0, prefix.1, ... (each read at ``suffix``) while they exist."""
    items: list[Any] = []
    while f"{prefix}.{len(items)}{suffix}" in values:
        items.append(values[f"{prefix}.{len(items)}{suffix}"])
    return items


def _totals_cells(values: dict[str, Any], totals: str) -> dict[str, str]:
    """torchsummary's footer: counts with thousands commas, sizes with two decimals, in every language."""
    return {
        "Total params": f"{values[f'{totals}.params']:,}",
        "Trainable params": f"{values[f'{totals}.trainable']:,}",
        "Non-trainable params": f"{values[f'{totals}.non_trainable']:,}",
        "Input size (MB)": f"{values[f'{totals}.input_size_mb']:0.2f}",
        "Forward/backward pass size (MB)": f"{values[f'{totals}.forward_backward_mb']:0.2f}",
        "Params size (MB)": f"{values[f'{totals}.params_size_mb']:0.2f}",
        "Estimated Total Size (MB)": f"{values[f'{totals}.estimated_total_mb']:0.2f}",
    }


def _compare_summary(table: Element, expected: SummaryCells, wanted: dict[str, str], model: str, ctx: Context) -> None:
    """Row against row when the counts agree; otherwise rows by name (torchsummary numbers them), so that a
    dropped or added row is named once instead of shifting every row after it."""
    prefix = f"{model} summary".lstrip()
    body = [[_squash(cell.text()) for cell in row.walk() if cell.tag == "td"] for row in table.walk() if row.tag == "tr"]
    body = [row for row in body if row]
    rows = [row for row in body if not _is_total_line(row[0])]
    pairs = list(zip(rows, expected))
    if len(rows) != len(expected):
        ctx.fail(f"{prefix} table", f"{len(expected)} rows", f"{len(rows)} rows")
        found = {row[0]: row for row in rows}
        wanted_names, shown = Counter(name for name, *_ in expected), Counter(row[0] for row in rows)
        for name in wanted_names - shown:
            ctx.fail(f"{prefix} row {name}", "the row", "none")
        for name in shown - wanted_names:
            ctx.fail(f"{prefix} row {name}", f"{wanted_names[name]} such row(s)", f"{shown[name]}")
        pairs = [(found[cells[0]], cells) for cells in expected if cells[0] in found]
    for found_row, (name, shape, formula, params) in pairs:
        place = f"{prefix} row {name}"
        if len(found_row) < 4:
            ctx.fail(place, "4 cells", f"{len(found_row)} cells")
            continue
        if found_row[0] != name:
            ctx.fail(place, name, found_row[0])
        if found_row[1] != shape:
            ctx.fail(f"{place}, output shape", shape, found_row[1])
        if found_row[2] != formula:
            ctx.fail(f"{place}, formula", formula, found_row[2])
        if found_row[3] != f"{params:,}":
            ctx.fail(f"{place}, parameters", f"{params:,}", found_row[3])
    totals = [row for row in body if _is_total_line(row[0])]
    if [row[0] for row in totals] != list(wanted):
        ctx.fail(f"{prefix} totals", ", ".join(wanted), ", ".join(row[0] for row in totals))
    for row in totals:
        if row[0] in wanted and (len(row) < 2 or row[1] != wanted[row[0]] or any(row[2:])):
            ctx.fail(f"{prefix} {row[0]}", wanted[row[0]], " | ".join(row[1:]))


def _is_total_line(label: str) -> bool:
    return label.endswith(" params") or label.endswith("(MB)")


def _header_cells(table: Element) -> list[str]:
    return [_squash(cell.text()) for cell in table.walk() if cell.tag == "th"]


def check_images(root: Element, ctx: Context, reading: PageReading) -> None:
    for image in (e for e in root.walk() if e.tag == "img"):
        source = image.attrs.get("src", "")
        reading.images.append(source)
        folder, _, name = source.partition("/")
        if folder != FIGURE_FOLDER or name not in ctx.figure_names:
            ctx.fail(f"image {source}", "a figure this run draws", "another file")


def check_links(root: Element, ctx: Context) -> None:
    """External links go to named sources only; a link that names a figure leads to that figure."""
    allowed = {s.url for s in sources.all_sources() if s.url}
    for link in (e for e in root.walk() if e.tag == "a"):
        target = link.attrs.get("href", "")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) and target not in allowed:
            ctx.fail(f"link {target}", "a link to a named source (data/sources.json)", "another address")
        named = FIGURE_LINK.match(_squash(link.text()))
        if named and target != f"#{named['word'].lower()}-{named['number']}":
            ctx.fail(f"link {_squash(link.text())!r}", f"a link to #{named['word'].lower()}-{named['number']}",
                     repr(target))


def check_sections(root: Element, ctx: Context) -> None:
    """The report numbers some of its sections: those numbers must run 1, 2, 3... in order."""
    numbers = []
    for heading in (e for e in root.walk() if e.tag == "h2"):
        match = SECTION_NUMBER.match(heading.text())
        if match:
            numbers.append(int(match.group(0).strip().rstrip(".")))
    if numbers != list(range(1, len(numbers) + 1)):
        ctx.fail("section numbers", "1, 2, ... in order", ", ".join(map(str, numbers)))


def check_untagged_quotations(root: Element, ctx: Context) -> None:
    """A quotation element is always a verified one: nothing is presented as a quote that is not."""
    for element in root.walk():
        if element.tag in ("blockquote", "q") and "data-quote" not in element.attrs:
            ctx.fail(f"<{element.tag}>", "a quotation held in data/sources.json (quote())", repr(_squash(element.text())[:60]))


def visible_text(root: Element, skip: set[int]) -> list[tuple[str, Element]]:
    """Every piece of text a reader sees outside the elements already accounted for, with its element."""
    pieces: list[tuple[str, Element]] = []
    stack: list[Element | tuple[str, Element]] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            pieces.append(item)
            continue
        if id(item) in skip or item.tag in INVISIBLE_TAGS:
            continue
        pieces.extend((item.attrs[attribute], item) for attribute in VISIBLE_ATTRIBUTES if item.attrs.get(attribute))
        stack.extend((child, item) if isinstance(child, str) else child for child in reversed(item.children))
    return pieces


def check_digits(root: Element, ctx: Context, skip: set[int]) -> None:
    """Every digit left after the verified elements must be on the allowed list; module names must be labels."""
    module_name = _module_pattern(ctx.expected.module_names)
    sources_count = len(sources.all_sources())
    for text, element in visible_text(root, skip):
        if element.tag == "a" and CITATION.match(text.strip()):
            if not 1 <= int(CITATION.match(text.strip())[1]) <= sources_count:
                ctx.fail("citation", f"a number between 1 and {sources_count}", repr(text))
            continue
        if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6") and text is element.children[0]:
            text = SECTION_NUMBER.sub(lambda m: " " * len(m.group(0)), text)
        image_name = element.attrs.get("src", "") if element.tag == "img" else ""
        for match in module_name.finditer(text):
            if match.group(0) not in image_name:
                ctx.fail("text", "module names only as checked labels", repr(match.group(0)))
        text = module_name.sub(" ", text)
        for match in FIGURE_MENTION.finditer(text):
            for number in filter(None, (match["first"], match["second"])):
                if not any(shown == number or shown.rstrip("ab") == number for shown in ctx.figure_numbers):
                    ctx.fail("figure number", f"one of the figures on this page ({', '.join(sorted(ctx.figure_numbers))})",
                             repr(match.group(0)))
        text = FIGURE_MENTION.sub(" ", text)
        for pattern, _reason in ALLOWED_NUMBERS:
            text = re.sub(pattern, " ", text)
        for token in text.split():
            if any(unicodedata.category(ch) in NUMBER_CATEGORIES for ch in token):
                ctx.fail("text", "every number to come from the model or a named source (a tagged value)",
                         f"untagged number {token!r}")


def _module_pattern(names: set[str]) -> re.Pattern[str]:
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])")


def check_quotation_marks(pieces: list[tuple[str, Element]], ctx: Context) -> None:
    """Nothing may look like a long quotation unless it is a verified one."""
    for text, _element in pieces:
        for match in QUOTE_MARKS.finditer(text):
            if len(match.group(0).split()) > LONG_QUOTATION_WORDS:
                ctx.fail("quotation marks", "a quotation held in data/sources.json (quote())",
                         repr(match.group(0)[:60]))


def read_page(page: str, text: str, ctx: Context) -> PageReading:
    ctx.page = page
    title, body = split_front_matter(text)
    root = render_markdown(body, ctx.mkdocs_yml)
    reading = PageReading()
    for element in root.walk():
        if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            reading.headings.append(element.tag)
        if element.tag == "table":
            reading.table_rows.append(sum(1 for row in element.walk() if row.tag == "tr"))
    captions = [FIGURE_MENTION.match(_squash(e.text())) for e in root.walk() if e.tag == "figcaption"]
    ctx.figure_numbers = {match["first"] for match in captions if match}
    if len(ctx.figure_numbers) != len([match for match in captions if match]):
        ctx.fail("figure captions", "each figure number once", ", ".join(match["first"] for match in captions if match))
    skip = check_facts(root, ctx, reading)
    skip |= check_quotes(root, ctx)
    skip |= check_sources(root, ctx)
    skip |= check_summary_table(root, ctx)
    check_images(root, ctx, reading)
    check_links(root, ctx)
    check_sections(root, ctx)
    check_untagged_quotations(root, ctx)
    everything = _squash(" ".join(piece for piece, _ in visible_text(root, set())))
    check_claims(root, ctx, reading, everything)
    title_root = Element("title", {}, children=[title])
    check_digits(title_root, ctx, set())
    check_digits(root, ctx, skip)
    check_quotation_marks(visible_text(root, skip), ctx)
    return reading


def split_front_matter(text: str) -> tuple[str, str]:
    """The page title from the front matter, and the Markdown after it."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            title = next((line.split(":", 1)[1].strip() for line in text[4:end].splitlines()
                          if line.startswith("title:")), "")
            return title, text[end + 5:]
    return "", text


def compare_languages(page: str, readings: dict[str, PageReading], mismatches: list[Mismatch]) -> None:
    first, *others = LANGUAGES
    base = readings[first]
    for language in others:
        other = readings[language]
        for label, mine, theirs in (
            ("headings", base.headings, other.headings),
            ("figures", base.images, other.images),
            ("table rows", base.table_rows, other.table_rows),
            ("numbers", sorted(base.facts), sorted(other.facts)),
            ("claims", sorted(base.claims), sorted(other.claims)),
        ):
            if mine != theirs:
                extra = Counter(map(str, theirs)) - Counter(map(str, mine))
                missing = Counter(map(str, mine)) - Counter(map(str, theirs))
                mismatches.append(Mismatch(
                    f"{page}.{language}.md", f"{label} compared with {page}.{first}.md",
                    f"the same {label} (missing here: {sorted(missing)[:3]})", f"different (only here: {sorted(extra)[:3]})",
                ))


# ---------------------------------------------------------------- beyond the pages


def check_facts_file(docs: Path, expected: Expected, mismatches: list[Mismatch]) -> None:
    data = published_bytes(docs / "facts.json")
    try:
        published = flatten(json.loads(data)) if data is not None else None
    except ValueError as error:
        published, problem = None, f"unreadable ({error})"
    else:
        problem = UNREADABLE if (docs / "facts.json").exists() else "missing"
    if published is None:
        mismatches.append(Mismatch("facts.json", "file", "the facts of this run as JSON", problem))
        return
    wanted = expected.values
    for key in sorted(set(published) | set(wanted)):
        if key not in published:
            mismatches.append(Mismatch("facts.json", key, repr(wanted[key]), "missing"))
        elif key not in wanted:
            mismatches.append(Mismatch("facts.json", key, "only values the check derives", f"extra {published[key]!r}"))
        elif not same_value(published[key], wanted[key]):
            mismatches.append(Mismatch("facts.json", key, repr(wanted[key]), repr(published[key])))


def same_value(found: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(found, bool):
        return found is wanted
    if isinstance(wanted, float) or isinstance(found, float):
        return isinstance(found, (int, float)) and math.isclose(found, wanted, rel_tol=FLOAT_RTOL, abs_tol=1e-12)
    return type(found) is type(wanted) and found == wanted


Reproduction = tuple[str, dict[str, bytes], str]  # facts.json, figures and the notebook's picture, as these inputs make them


def check_reproduction(docs: Path, reproduction: Reproduction, mismatches: list[Mismatch]) -> None:
    """Figures and facts.json byte for byte against what these inputs produce, and no figure besides them."""
    facts_json, figures, _picture = reproduction
    for name in sorted({p.name for p in (docs / FIGURE_FOLDER).glob("*.png")} - set(figures)):
        mismatches.append(Mismatch(f"{FIGURE_FOLDER}/{name}", "figure", "only the figures this run draws",
                                   "a figure it does not draw"))
    for name, data in figures.items():
        path = docs / FIGURE_FOLDER / name
        if not path.is_file():
            mismatches.append(Mismatch(f"{FIGURE_FOLDER}/{name}", "figure", "the figure this run draws", "missing"))
        elif published_bytes(path) != data:
            mismatches.append(Mismatch(f"{FIGURE_FOLDER}/{name}", "figure", "the figure these inputs produce",
                                       "another picture"))
    path = docs / "facts.json"
    if path.is_file() and published_bytes(path) != facts_json.encode("utf-8"):
        mismatches.append(Mismatch("facts.json", "file", "the facts these inputs produce, byte for byte", "different bytes"))


def check_notebooks(docs: Path, config: Config, expected: Expected, ctx_for: Any, mismatches: list[Mismatch],
                    notebook_picture: Callable[[], str]) -> None:
    from . import notebook

    values = expected.values
    weights_line = f"weights: {expected.weights_source}\n"
    printed = [
        weights_line,
        f"{expected.layer1_shape}\n",
        f"{values['residual.0.name']} {values['residual.0.allclose']}\n"
        f"max |difference|: {values['residual.0.max_abs_diff']!r}\n"
        f"F(x) has negative values: {values['residual.0.residual_min'] < 0}\n",
    ]
    for language in LANGUAGES:
        name = f"notebook.{language}.ipynb"
        path = docs / name
        data = published_bytes(path)
        try:
            published = json.loads(data) if data is not None else None
        except ValueError as error:
            published, problem = None, f"unreadable ({error})"
        else:
            problem = UNREADABLE if path.exists() else "missing"
        if not isinstance(published, dict):
            mismatches.append(Mismatch(name, "page", "an executed notebook", problem if published is None else "not one"))
            continue
        wanted = notebook.build_notebook(config, language, values["provenance.weights.kind"])
        cells = published.get("cells", [])
        if [(c.get("cell_type"), _source(c)) for c in cells] != [(c.cell_type, c.source) for c in wanted.cells]:
            mismatches.append(Mismatch(name, "cells", "the generator's cells for these options", "other cells"))
            continue
        code = [cell for cell in cells if cell["cell_type"] == "code"]
        executed = any(cell.get("outputs") for cell in code)  # a build may skip execution: code, no outputs
        for number, (cell, text) in enumerate(zip(code, printed), start=1):
            outputs = cell.get("outputs", [])
            if not executed:
                continue
            streams = "".join(_source_text(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
            if not _same_printout(streams, text):
                mismatches.append(Mismatch(name, f"code cell {number}, output", repr(text), repr(streams)))
            images = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
            others = [o for o in outputs if o.get("output_type") not in ("stream", "execute_result", "display_data")]
            if others:
                mismatches.append(Mismatch(name, f"code cell {number}, output", "no errors", others[0].get("ename", "")))
            want_images = [notebook_picture()] if number == 2 else []
            if [_source_text(i).replace("\n", "") for i in images] != want_images:
                mismatches.append(Mismatch(name, f"code cell {number}, picture",
                                           "the feature map these inputs produce", f"{len(images)} other picture(s)"))
        ctx = ctx_for(name, language)
        for cell in cells:
            if cell["cell_type"] == "markdown":
                root = render_markdown(_source(cell), ctx.mkdocs_yml)
                check_digits(root, ctx, set())


def _source(cell: dict[str, Any]) -> str:
    return _source_text(cell.get("source", ""))


def _source_text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def _same_printout(found: str, wanted: str) -> bool:
    """Printed lines, floats compared within rounding: the kernel and the check may differ in the last bit."""
    found_lines, wanted_lines = found.splitlines(), wanted.splitlines()
    if len(found_lines) != len(wanted_lines):
        return False
    number = re.compile(r"-?[0-9]+\.[0-9]+(?:e[+-][0-9]+)?")
    for a, b in zip(found_lines, wanted_lines):
        if number.sub("#", a) != number.sub("#", b):
            return False
        for x, y in zip(number.findall(a), number.findall(b)):
            if not math.isclose(float(x), float(y), rel_tol=1e-5, abs_tol=1e-7):
                return False
    return True


# ---------------------------------------------------------------- the whole docs folder


def translations(language: str) -> dict[str, str]:
    return json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))


def check_docs(
    docs: Path, config: Config, reproduce_outputs: bool = True, *,
    expected: Expected | None = None, reproduction: Reproduction | None = None,
    explorer_reference: Reference | None = None, explorer_data: bool = True,
) -> list[Mismatch]:
    """Every disagreement between the docs folder and these inputs.

    ``reproduce_outputs`` re-renders the figures and facts.json and compares
    bytes; a build that has just rendered them from the same inputs skips it.
    A caller checking several folders against the same inputs may pass the
    ``expected`` values and the ``reproduction`` it computed once.
    ``explorer_data`` decodes the explorer's data files and compares them
    with the tensors of the check's own forward pass: those that derived
    ``expected``, passed as ``explorer_reference``, or a pass of its own. A
    build that reuses the published files (their digests matched the
    manifest) skips it.
    """
    with ExitStack() as stack:
        stack.enter_context(collector_paused())
        reproduced: Callable[[], Reproduction] | None = None
        if reproduce_outputs:
            from .pipeline import reproduction_started

            reproduced = (lambda: reproduction) if reproduction else stack.enter_context(reproduction_started(config))
        if expected is None or (explorer_data and explorer_reference is None):
            from .expected import derive_expected_and_reference

            derived, explorer_reference = derive_expected_and_reference(config, draw_picture=reproduced is None)
            expected = expected or derived
        mismatches: list[Mismatch] = []
        for block in expected.residual_failures:
            mismatches.append(Mismatch("model", f"residual check of {block}", "torch.allclose True", "False"))
        for disagreement in expected.family_failures:
            mismatches.append(Mismatch("family", disagreement, "torchvision's published numbers", "other numbers"))
        check_facts_file(docs, expected, mismatches)
        figure_names = {p.name for p in (docs / FIGURE_FOLDER).glob("*.png")}
        check_pages(docs, config, expected, figure_names, mismatches, notebook_picture(expected, reproduced))
        if explorer_data and explorer_reference is not None:
            from .check_explorer import compare

            mismatches += compare(docs / DATA_FOLDER, explorer_reference)
        if reproduced is not None:
            check_reproduction(docs, reproduced(), mismatches)
    return mismatches


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the check runs (0.3 s of a 7 s check command, measured).

    Reading the pages makes hundreds of thousands of small objects, and each
    collection they set off walks the million objects that importing torch
    made, none of them garbage. The pages' trees are freed when it resumes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def notebook_picture(expected: Expected, reproduced: Callable[[], Reproduction] | None) -> Callable[[], str]:
    """The picture the notebook must show: drawn from the check's model, else by the reproduction's fork."""
    drawn = expected.layer1_picture
    if drawn is not None:
        return lambda: drawn
    if reproduced is None:
        raise ValueError("the notebook's picture was neither drawn by the check nor reproduced")
    return lambda: reproduced()[2]


def check_pages(docs: Path, config: Config, expected: Expected, figure_names: set[str],
                mismatches: list[Mismatch], notebook_picture: Callable[[], str]) -> None:
    """Every page in both languages, and the notebooks; a page may show only figures in ``figure_names``."""

    def context(page: str, language: str) -> Context:
        return Context(expected, language, translations(language), figure_names, config.mkdocs_yml, mismatches, page)

    pages = sorted({p.name.split(".")[0] for p in docs.glob("*.md")})
    if "index" not in pages:
        mismatches.append(Mismatch(str(docs), "pages", "index.<language>.md", "none: run `python -m generator build`"))
    for page in pages:
        check_page_in_every_language(docs, page, context, mismatches)
    check_notebooks(docs, config, expected, context, mismatches, notebook_picture)


def check_page_pair(docs: Path, page: str, config: Config, expected: Expected) -> list[Mismatch]:
    """One page (``index``, ``maps``...) in every language, read exactly as the whole check reads each page.

    What a change to one page's Markdown can break is found here; the files
    beside the pages (facts.json, figures, notebooks, the explorer's data)
    are the whole check's to compare.
    """
    mismatches: list[Mismatch] = []
    figure_names = {p.name for p in (docs / FIGURE_FOLDER).glob("*.png")}

    def context(name: str, language: str) -> Context:
        return Context(expected, language, translations(language), figure_names, config.mkdocs_yml, mismatches, name)

    check_page_in_every_language(docs, page, context, mismatches)
    return mismatches


def check_page_in_every_language(docs: Path, page: str, context: Callable[[str, str], Context],
                                 mismatches: list[Mismatch]) -> None:
    readings = {}
    for language in LANGUAGES:
        path = docs / f"{page}.{language}.md"
        if not path.exists():
            mismatches.append(Mismatch(path.name, "page", "a translation of every page", "missing"))
            continue
        text = page_text(path)
        if text is None:
            mismatches.append(Mismatch(path.name, "page", "UTF-8 Markdown", UNREADABLE))
            continue
        readings[language] = read_page(path.name, text, context(path.name, language))
        for source in dict.fromkeys(readings[language].images):
            check_image_file(path.name, docs, source, mismatches)
    if len(readings) == len(LANGUAGES):
        compare_languages(page, readings, mismatches)


def page_text(path: Path) -> str | None:
    """A page's Markdown, read like every docs file (see published_bytes); None if it is not UTF-8 text."""
    data = published_bytes(path)
    try:
        return data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError:
        return None


def check_image_file(page: str, docs: Path, source: str, mismatches: list[Mismatch]) -> None:
    from PIL import Image, UnidentifiedImageError

    path = docs / source
    if not path.exists():
        mismatches.append(Mismatch(page, f"figure {source}", "a non-empty PNG file", "missing"))
        return
    data = published_bytes(path)
    if not data:
        mismatches.append(Mismatch(page, f"figure {source}", "a non-empty PNG file", "empty" if data == b"" else UNREADABLE))
        return
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            if image.format != "PNG":
                raise UnidentifiedImageError(image.format)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        mismatches.append(Mismatch(page, f"figure {source}", "a valid PNG", f"unreadable ({error})"))


def verify(docs: Path, config: Config, reproduce_outputs: bool = True, *, expected: Expected | None = None,
           explorer_reference: Reference | None = None, explorer_data: bool = True) -> None:
    """Raise MismatchError listing every disagreement, one per line."""
    mismatches = check_docs(docs, config, reproduce_outputs, expected=expected, explorer_reference=explorer_reference,
                            explorer_data=explorer_data)
    if mismatches:
        listing = "\n".join(f"  {m}" for m in mismatches[:50])
        more = f"\n  ... and {len(mismatches) - 50} more" if len(mismatches) > 50 else ""
        raise MismatchError(f"{len(mismatches)} mismatch(es) between the pages and the model:\n{listing}{more}")
