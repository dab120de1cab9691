"""The torchsummary tables, cell by cell: the report's and each family model's, the totals block included."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .context import Context, squash
from .visible import Element

SUMMARY_HEADER = "Layer (type)"
FAMILY_SUMMARY_NAME = re.compile(r"family\.summaries\.[0-9]+\.name")


def check_summary_table(root: Element, ctx: Context) -> set[int]:
    """Every torchsummary table on the page, cell by cell, against the model it belongs to.

    A table inside a collapsed section belongs to the model named (a checked label) in the section's title,
    any other to the report's model; each model a page must show has exactly one table.
    """
    tables = [t for t in root.walk() if t.tag == "table" and _header_cells(t)[:1] == [SUMMARY_HEADER]]
    owners = [_summary_owner(table) for table in tables]
    family = _family_summaries(ctx.expected.values)
    required = {"index": [""], "family": family}.get(ctx.page_key, [])
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
    body = [[squash(cell.text()) for cell in row.walk() if cell.tag == "td"] for row in table.walk() if row.tag == "tr"]
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
    return [squash(cell.text()) for cell in table.walk() if cell.tag == "th"]
