"""A table has exactly the columns its kind has, with the headers of its kind in the page's language.

A content rule: pass it the page's content (the article), where every table is one the pages wrote. Each
kind is a list of columns, named by the translation key of its header (the words the writer uses, read
from generator/translations/ as data) or, for a column headed by checked labels, by the labels' fact keys
("@stages" is one column per stage). Cell values are other rules' business (summary_table.py checks the
torchsummary tables cell by cell); this one checks the shape: which table it is, and its columns.
"""

from __future__ import annotations

import re
from functools import cache

from ..core.config import LANGUAGES
from ..core.translations import translations
from .context import Context, squash
from .visible import Element

STAGES = "@stages"
KINDS: dict[str, tuple[str, ...]] = {
    "torchsummary": ("summary_layer", "summary_shape", "summary_formula", "summary_params"),
    "modules": ("module", "output", "summary_params", "macs"),
    "residual": ("block", "shortcut", "residual_min", "residual_allclose", "max_difference"),
    "predictions": ("prediction_rank", "class", "class_index", "probability"),
    "correction shares": ("block", "table.correction_share"),
    "family architecture": ("table.model", "block", "table.blocks_per_stage", "table.weighted_layers",
                            "summary_params", "table.gmacs"),
    "family block": ("block_layer", "block_type", "summary_formula", "summary_params"),
    "family shapes": ("table.model", STAGES),
    "family shares": ("table.model", "@modules.0.name+modules.1.name", STAGES, "@modules.9.name"),
    "family weights": ("table.model", "table.weights", "summary_params", "table.gflops", "table.acc1", "table.acc5"),
    "family paper": ("table.model", "table.paper_billions", "table.this_count", "table.paper_stride",
                     "table.without_projections", "table.with_both", "table.rounds_to_paper"),
    "experiment results": ("table.network", "table.weighted_layers", "summary_params", "table.train_error",
                           "table.heldout_error", "table.moved"),
    "experiment paper": ("table.network", "table.paper_cifar_error", "table.heldout_digits"),
    "provenance": ("repro_item", "repro_value"),
    "software": ("repro_software", "repro_version"),
}
MARKDOWN_MARKS = re.compile(r"\\(.)|[`*]")


def check_tables(root: Element, ctx: Context) -> None:
    """Every table is of a known kind, headed in the page's language, and every row has the kind's columns."""
    stages = _stage_count(ctx)
    for number, table in enumerate((e for e in root.walk() if e.tag == "table"), start=1):
        rows = [row for row in table.walk() if row.tag == "tr"]
        found = [_signature(cell) for cell in _cells(rows[0])] if rows else []
        kind, language, wanted = _identify(found, ctx.language, stages)
        place = f"table {number} ({kind or 'of no known kind'})"
        if kind is None:
            ctx.fail(place, f"the header row of a known kind ({', '.join(KINDS)})", repr(" | ".join(found)[:80]))
            continue
        if found != wanted or language != ctx.language:
            ctx.fail(place, f"its {len(wanted)} headers in {ctx.language}: {' | '.join(wanted)}",
                     f"{len(found)}: {' | '.join(found)}" + (f" (the {language} headers)" if language != ctx.language
                                                              else ""))
        wrong = [(index, width) for index, width in enumerate(map(_width, rows[1:]), start=1) if width != len(wanted)]
        if wrong:
            ctx.fail(f"{place}, rows", f"{len(wanted)} cells in every row",
                     ", ".join(f"row {index}: {width}" for index, width in wrong[:5])
                     + (f" and {len(wrong) - 5} more" if len(wrong) > 5 else ""))


def _identify(found: list[str], language: str, stages: int) -> tuple[str | None, str, list[str]]:
    """The kind, and the language of the headers found, that share the most cells with them in place (the
    page's language first on a tie), with the headers it must have here; no kind when under half of a
    kind's headers are there."""
    best: tuple[str, str] | None = None
    best_score = 0
    for kind in KINDS:
        for candidate in (language, *(other for other in LANGUAGES if other != language)):
            wanted = headers(kind, candidate, stages)
            score = sum(1 for mine, theirs in zip(found, wanted) if mine == theirs) + (found == wanted)
            if score > best_score and 2 * score >= len(wanted):
                best, best_score = (kind, candidate), score
    if best is None:
        return None, language, []
    return best[0], best[1], headers(best[0], language, stages)


def headers(kind: str, language: str, stages: int) -> list[str]:
    """A kind's header row as the check compares it: each header's words, or '@' and the labels' keys."""
    strings = _strings(language)
    cells: list[str] = []
    for column in KINDS[kind]:
        if column == STAGES:
            cells.extend(f"@stages.{index}.name" for index in range(stages))
        elif column.startswith("@"):
            cells.append(column)
        else:
            cells.append(squash(MARKDOWN_MARKS.sub(r"\1", strings[column])))
    return cells


@cache
def _strings(language: str) -> dict[str, str]:
    return translations(language)


def _stage_count(ctx: Context) -> int:
    values = ctx.expected.values
    count = 0
    while f"stages.{count}.name" in values:
        count += 1
    return count


def _cells(row: Element) -> list[Element]:
    return [cell for cell in row.children if isinstance(cell, Element) and cell.tag in ("th", "td")]


def _signature(cell: Element) -> str:
    """A header cell as the check compares it: its labels' keys when it holds checked labels, else its words."""
    keys = [e.attrs["data-fact"] for e in cell.walk() if "data-fact" in e.attrs]
    return "@" + "+".join(keys) if keys else squash(cell.text())


def _width(row: Element) -> int:
    """The columns a row spans, colspan counted (an unreadable colspan counts as the one column it shows)."""
    spans = [cell.attrs.get("colspan", "1") for cell in _cells(row)]
    return sum(int(span) if span.isdigit() and span != "0" else 1 for span in spans)
