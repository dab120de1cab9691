"""The ResNet family page: computed numbers equal torchvision's, and every kind of wrong number on it is caught.

The mutations break a private copy of the shared build and read it against
values derived once for the module; none of them needs the figures again.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
import torch
from torchvision import models as tv_models

from generator.core import sources
from generator.report import family, pages
from generator.report.facts import FamilySummary, SummaryRow
from generator.report.summary import collect_summary
from generator.verify import expected
from generator.verify import family as expected_family
from generator.verify.gate import CheckInputs, check_docs, check_page_pair

from .conftest import Build, Derived
from .site_edits import edit, insert_before_heading, markdown_html
from .test_check import only, span


@pytest.fixture(scope="module")
def values(derived: Derived) -> expected.Expected:
    return derived.expected


@pytest.fixture
def mismatches(derived: Derived):
    def run(build: Build, page: str | None = None, wanted: expected.Expected | None = None) -> list[str]:
        if page is not None:
            return [str(m) for m in check_page_pair(build.docs, build.site, page, build.config,
                                                    wanted or derived.expected)]
        return [str(m) for m in check_docs(build.docs, build.site, build.config, CheckInputs(
            reproduce=False, expected=wanted or derived.expected, reference=derived.reference))]

    return run


# ---------------------------------------------------------------- the numbers


def test_every_computed_family_number_equals_torchvisions_metadata(built: Build) -> None:
    models = {model.name: model for model in built.facts.family.models}
    assert list(models) == expected_family.listed_resnets()
    for name, model in models.items():
        entries = list(tv_models.get_model_weights(name))
        assert entries, name
        for entry in entries:
            assert model.params == entry.meta["num_params"], (name, entry.name)
            assert round(model.macs / 1e9, 3) == entry.meta["_ops"], (name, entry.name)
    published = [(w.model, w.name, w.num_params, w.gflops, w.top1, w.top5) for w in built.facts.family.weights]
    assert published == [
        (name, entry.name, entry.meta["num_params"], entry.meta["_ops"], entry.meta["_metrics"]["ImageNet-1K"]["acc@1"],
         entry.meta["_metrics"]["ImageNet-1K"]["acc@5"])
        for name in models for entry in tv_models.get_model_weights(name)
    ]


def test_the_walk_and_the_checks_forward_pass_agree_on_every_value(built: Build, values: expected.Expected) -> None:
    walked = {key: value for key, value in values.values.items() if key.startswith("family.")}
    facts = json.loads(built.facts.to_json())["family"]
    from generator.verify.values import flatten

    assert flatten(facts, "family") == walked
    assert values.family_failures == ()


def test_the_family_does_not_depend_on_the_image_or_the_weights(built: Build) -> None:
    assert family.describe_family() == built.facts.family
    assert [m.weighted_layers for m in built.facts.family.models] == [int(m.name[6:]) for m in built.facts.family.models]
    for model in built.facts.family.models:
        shares = model.stem_share + sum(model.stage_shares) + model.fc_share
        assert shares == pytest.approx(1.0)


def test_the_degradation_sentences_are_true_for_the_cited_numbers() -> None:
    """The page says deeper plain nets do worse and deeper residual nets better: the data must say so too."""
    cited = sources.cited_numbers()
    assert cited["plain34_top1_error"] > cited["plain18_top1_error"]
    assert cited["resnet34_top1_error"] < cited["resnet18_top1_error"]
    for key in ("plain18_top1_error", "plain34_top1_error", "resnet18_top1_error", "resnet34_top1_error"):
        entry = json.loads(sources.SOURCES_FILE.read_text(encoding="utf-8"))["numbers"][key]
        assert entry["source"] == "he2016" and "Table 2" in entry["where"], key


# ---------------------------------------------------------------- the gate against torchvision's metadata


@pytest.mark.parametrize(
    ("field", "change", "failing"),
    [("num_params", 1, True), ("_ops", 0.001, True), ("_ops", -0.0006, True), ("_ops", 0.0004, False)],
    ids=["one-parameter-more", "ops-a-unit-off", "ops-beyond-rounding", "ops-within-rounding"],
)
def test_torchvisions_metadata_disagreeing_with_the_model_fails(monkeypatch, field: str, change: float,
                                                                failing: bool) -> None:
    meta = tv_models.ResNet50_Weights.IMAGENET1K_V2.meta
    monkeypatch.setitem(meta, field, meta[field] + change)
    _, failures = expected_family.derive_family(224, sources.cited_numbers())
    if failing:
        assert len(failures) == 1 and failures[0].startswith("resnet50 IMAGENET1K_V2"), failures
    else:
        assert failures == []


def test_a_table_whose_rows_miss_a_parameter_fails(monkeypatch) -> None:
    """A layer that holds parameters but is never called has no row: the table would not add up to the model."""
    def with_unused_layer(name: str) -> torch.nn.Module:
        model = family.meta_model(name)
        if name != "resnet34":
            return model
        changed = getattr(tv_models, name)(weights=None).to("meta").eval()
        changed.unused = torch.nn.Linear(2, 3, device="meta")
        return changed

    monkeypatch.setattr(expected_family, "meta_model", with_unused_layer)
    _, failures = expected_family.derive_family(224, sources.cited_numbers())
    assert "resnet34: the rows of its summary table add up to 21797672 parameters, the model has 21797681" in failures


def test_a_family_failure_fails_the_check(built: Build, values: expected.Expected, mismatches) -> None:
    broken = dataclasses.replace(values, family_failures=("resnet50 IMAGENET1K_V2: torchvision publishes 1 parameters",))
    only(mismatches(built, wanted=broken), "family", "resnet50 IMAGENET1K_V2")


# ---------------------------------------------------------------- the page


def test_the_unchanged_family_page_passes(built: Build, mismatches) -> None:
    assert mismatches(built, "family") == []


def test_a_parameter_count_changed_on_one_page_is_caught(editable_build: Build, mismatches) -> None:
    key = "family.models.2.params"
    edit(editable_build.page("family", "en"), span(key) + "25,557,032<", span(key) + "25,557,033<")
    found = mismatches(editable_build, "family")
    only(found, "family.en", f"fact {key}", "25557032", "25,557,033")
    only(found, "family.en", "numbers compared with family/index.html (family.es)")


def test_a_cited_number_changed_in_one_language_only_is_caught(editable_build: Build, mismatches) -> None:
    key = "cited.resnet34_top1_error"
    edit(editable_build.page("family", "es"), span(key, "percent2") + "25,03\u202f%<",
         span(key, "percent2") + "25,30\u202f%<")
    found = mismatches(editable_build, "family")
    only(found, "family.es", f"fact {key}", "0.2503", "25,30")
    assert not any("family.en" in line and f"fact {key}" in line for line in found)


def test_a_blocks_per_stage_cell_changed_is_caught(editable_build: Build, mismatches) -> None:
    key = "family.models.3.blocks.2"
    edit(editable_build.page("family", "es"), span(key) + "23<", span(key) + "22<")
    only(mismatches(editable_build, "family"), "family.es", f"fact {key}", "23", "'22'")


def test_a_row_shown_under_another_models_name_is_caught(editable_build: Build, mismatches) -> None:
    """The name and its tag changed together: the row's numbers now sit beside another model's name."""
    page = editable_build.page("family", "en")
    text = page.read_text(encoding="utf-8")
    cell = text.index(span("family.models.2.blocks.0"))
    row = text[text.rindex("<tr>", 0, cell):text.index("</tr>", cell)]
    page.write_text(text.replace(row, row.replace(span("family.models.2.name", "plain") + "resnet50<",
                                                  span("family.models.3.name", "plain") + "resnet101<")), encoding="utf-8")
    only(mismatches(editable_build, "family"), "family.en", "fact family.models.2.params", "'resnet50'", "without it")


def test_a_model_name_typed_without_its_tag_is_caught(editable_build: Build, mismatches) -> None:
    insert_before_heading(editable_build.page("family", "en"), "sources", "The resnet50 is larger.")
    only(mismatches(editable_build, "family"), "family.en", "untagged number 'resnet50'")


def test_a_cited_number_changed_in_the_data_file_is_caught(built: Build, tmp_path: Path, monkeypatch) -> None:
    data = json.loads(sources.SOURCES_FILE.read_text(encoding="utf-8"))
    data["numbers"]["plain34_top1_error"]["value"] = 0.2864
    changed = tmp_path / "sources.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(sources, "SOURCES_FILE", changed)
    sources._data.cache_clear()
    try:
        found = [str(m) for m in check_docs(built.docs, built.site, built.config, CheckInputs(reproduce=False))]
    finally:
        sources._data.cache_clear()
    only(found, "family.es", "fact cited.plain34_top1_error", "0.2864", "28,54")
    only(found, "family.en", "fact cited.plain34_top1_error", "0.2864", "28.54")
    only(found, "facts.json: cited.plain34_top1_error")


# ---------------------------------------------------------------- BasicBlock and Bottleneck


def test_each_blocks_formulas_add_up_to_torchvisions_parameters(built: Build) -> None:
    kinds = [example.block for example in built.facts.family.examples]
    assert kinds == ["BasicBlock", "Bottleneck"]
    for example in built.facts.family.examples:
        block = family.meta_model(example.model).get_submodule(example.name)
        assert example.params == sum(p.numel() for p in block.parameters())
        for layer in example.layers:
            assert sum(math.prod(term) for term in layer.formula) == layer.params, (example.name, layer.name)
        assert sum(layer.params for layer in example.layers) == example.params


def test_a_formula_factor_changed_on_one_page_is_caught(editable_build: Build, mismatches) -> None:
    key = "family.examples.1.layers.0.formula.0.1"
    edit(editable_build.page("family", "es"), span(key) + "256<", span(key) + "255<")
    found = mismatches(editable_build, "family")
    only(found, "family.es", f"fact {key}", "256", "'255'")
    only(found, "family.en", "numbers compared with family/index.html (family.es)")  # the languages compared, reported on the second


def test_the_block_comparison_worded_for_other_values_is_caught(built: Build, values: expected.Expected,
                                                               mismatches) -> None:
    other = dataclasses.replace(values, values={**values.values, "claims.bottleneck_params": "not_fewer"})
    found = mismatches(built, "family", wanted=other)
    only(found, "family.es", "claim bottleneck_params", "not_fewer", "fewer")
    only(found, "family.en", "claim bottleneck_params")


# ---------------------------------------------------------------- kept between builds


def test_a_build_keeps_the_family_for_later_builds_and_never_the_checks_values(built: Build) -> None:
    """The writer's numbers are a shortcut for later builds; the check's would be a reference anyone could edit."""
    from generator.core import memo
    from generator.core.cache import cache_folder
    from generator.report import facts

    kept = cache_folder() / f"family-{memo.code_key()}.json"
    assert facts.family_from_json(kept.read_text(encoding="utf-8")) == built.facts.family
    assert not list(cache_folder().glob("check-family-*")) and not list(cache_folder().glob("expected-*"))


# ---------------------------------------------------------------- each model's torchsummary table


TABLE_HEAD = "|Layer (type)|Output Shape|Calculation|Parameters|\n| :- | :- | :- | -: |\n"


def table_line(row: SummaryRow, **changed: str) -> str:
    """A row of a summary table as the built page shows it (its ``<tr>``), with some cells replaced."""
    cells = {"name": f"{row.layer_type}-{row.index}", "shape": pages.shape(row.output_shape),
             "formula": pages.formula(row.formula), "params": pages.torchsummary_count(row.params)}
    html = markdown_html(TABLE_HEAD + "|" + "|".join({**cells, **changed}.values()) + "|")
    return html[html.index("<tr>", html.index("<tbody>")):html.index("\n</tbody>")]


def total_line(line: str, shown: str) -> str:
    """The first two cells of a summary table's total line as the built page shows them."""
    return f'<td style="text-align: left;">{line}</td>\n<td style="text-align: left;">{shown}</td>'


def summary_of(build: Build, name: str) -> FamilySummary:
    return next(summary for summary in build.facts.family.summaries if summary.name == name)


def row_of(build: Build, name: str, module: str) -> SummaryRow:
    return next(row for row in summary_of(build, name).rows if row.module == module)


def edit_table(build: Build, language: str, name: str, old: str, new: str) -> None:
    """Replace a row of one model's table only: the page shows the same row text in other models' tables."""
    page = build.page("family", language)
    text = page.read_text(encoding="utf-8")
    i = [summary.name for summary in build.facts.family.summaries].index(name)
    start = text.index(span(f"family.summaries.{i}.name", "plain"))
    end = text.index("</details>", start)
    assert text.count(old, start, end) == 1, f"{old!r} not once in {name}'s table"
    page.write_text(text[:start] + text[start:end].replace(old, new) + text[end:], encoding="utf-8")


def test_each_table_has_torchsummarys_rows_and_torchvisions_total(built: Build) -> None:
    """Rows as torchsummary's hooks record them on each model (the report's own collector), totals as published."""
    summaries = built.facts.family.summaries
    assert [summary.name for summary in summaries] == expected_family.listed_resnets()
    for summary in summaries:
        model = getattr(tv_models, summary.name)(weights=None).to("meta").eval()
        rows = collect_summary(model, torch.empty(1, 3, 224, 224, device="meta"))
        assert len(summary.rows) == len(rows) and list(summary.rows) == rows, summary.name
        assert summary.totals.params == sum(row.params for row in summary.rows) == summary.totals.trainable
        assert summary.totals.non_trainable == 0
        for entry in tv_models.get_model_weights(summary.name):
            assert summary.totals.params == entry.meta["num_params"], (summary.name, entry.name)
    kinds = {summary.name: {row.layer_type for row in summary.rows} for summary in summaries}
    assert [("Bottleneck" in kinds[name], "BasicBlock" in kinds[name]) for name in kinds] == \
        [(False, True)] * 2 + [(True, False)] * 3


def test_resnet18s_table_on_the_family_page_is_the_reports(built: Build) -> None:
    resnet18 = summary_of(built, "resnet18")
    assert resnet18.rows == built.facts.summary
    report = dataclasses.asdict(built.facts.totals)
    assert dataclasses.asdict(resnet18.totals) == {key: report[key] for key in dataclasses.asdict(resnet18.totals)}
    for language in ("es", "en"):
        report_lines = [line for line in (built.docs / f"index.{language}.md").read_text(encoding="utf-8").splitlines()
                        if line.startswith(("|Layer (type)", "|Conv2d-", "|Total params", "|Estimated"))]
        family_text = (built.docs / f"family.{language}.md").read_text(encoding="utf-8")
        assert all(line in family_text for line in report_lines) and len(report_lines) > 20


def test_a_parameter_count_in_resnet50s_table_is_caught(editable_build: Build, mismatches) -> None:
    row = row_of(editable_build, "resnet50", "layer2.0.conv1")
    edit_table(editable_build, "en", "resnet50", table_line(row), table_line(row, params=f"{row.params + 1:,}"))
    only(mismatches(editable_build, "family"), "family.en", f"resnet50 summary row Conv2d-{row.index}, parameters",
         f"{row.params:,}", f"{row.params + 1:,}")


def test_a_formula_in_resnet101s_table_is_caught(editable_build: Build, mismatches) -> None:
    row = row_of(editable_build, "resnet101", "layer3.7.conv3")
    wrong = pages.formula(((row.formula[0][0], row.formula[0][1], 3, 3),))
    edit_table(editable_build, "es", "resnet101", table_line(row), table_line(row, formula=wrong))
    only(mismatches(editable_build, "family"), "family.es", f"resnet101 summary row Conv2d-{row.index}, formula",
         "1024 * 256 * 1 * 1", "1024 * 256 * 3 * 3")


def test_an_output_shape_in_resnet34s_table_is_caught(editable_build: Build, mismatches) -> None:
    row = row_of(editable_build, "resnet34", "layer3.2.bn2")
    edit_table(editable_build, "en", "resnet34", table_line(row), table_line(row, shape="[-1, 256, 14, 15]"))
    only(mismatches(editable_build, "family"), "family.en", f"resnet34 summary row BatchNorm2d-{row.index}, output shape",
         "[-1, 256, 14, 14]", "[-1, 256, 14, 15]")


def test_a_dropped_row_in_resnet152s_table_is_named_once(editable_build: Build, mismatches) -> None:
    row = row_of(editable_build, "resnet152", "layer3.20.relu")
    edit_table(editable_build, "en", "resnet152", table_line(row) + "\n", "")
    found = mismatches(editable_build, "family")
    rows = len(summary_of(editable_build, "resnet152").rows)
    only(found, "family.en", "resnet152 summary table", f"{rows} rows", f"{rows - 1} rows")
    only(found, "family.en", f"resnet152 summary row ReLU-{row.index}: expected the row, found none")
    assert len(found) == 3, found  # and the table's size compared with the other language's: nothing shifted


def test_an_added_row_in_resnet152s_table_is_named(editable_build: Build, mismatches) -> None:
    row = row_of(editable_build, "resnet152", "layer4.2.conv2")
    edit_table(editable_build, "es", "resnet152", table_line(row), table_line(row) + "\n" + table_line(row))
    only(mismatches(editable_build, "family"), "family.es", f"resnet152 summary row Conv2d-{row.index}", "2")


def test_a_renamed_row_in_resnet50s_table_is_caught(editable_build: Build, mismatches) -> None:
    row = row_of(editable_build, "resnet50", "layer4.0.downsample.0")
    edit_table(editable_build, "en", "resnet50", table_line(row), table_line(row, name=f"Linear-{row.index}"))
    only(mismatches(editable_build, "family"), "family.en", f"resnet50 summary row Conv2d-{row.index}",
         f"Linear-{row.index}")


@pytest.mark.parametrize("line", ["Total params", "Trainable params", "Params size (MB)"])
def test_a_changed_total_is_caught(editable_build: Build, mismatches, line: str) -> None:
    page = editable_build.page("family", "en")
    totals = summary_of(editable_build, "resnet101").totals
    shown = {"Total params": f"{totals.params:,}", "Trainable params": f"{totals.trainable:,}",
             "Params size (MB)": f"{totals.params_size_mb:0.2f}"}[line]
    edit_table(editable_build, "en", "resnet101", total_line(line, shown), total_line(line, f"{shown[:-1]}9"))
    assert page.read_text(encoding="utf-8").count(total_line(line, f"{shown[:-1]}9")) == 1
    only(mismatches(editable_build, "family"), "family.en", f"resnet101 summary {line}", shown, f"{shown[:-1]}9")


def test_a_missing_table_or_one_under_another_models_title_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("family", "es")
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace(span("family.summaries.3.name", "plain") + "resnet101<",
                                 span("family.summaries.2.name", "plain") + "resnet50<"), encoding="utf-8")
    found = mismatches(editable_build, "family")
    only(found, "family.es", "resnet101 summary table", "none")
    only(found, "family.es", "summary table", "another table for family.summaries.2")
