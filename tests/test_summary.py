"""The parameter table against the report's own table, torchvision's published numbers and arithmetic."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import torch
from torchvision.models import ResNet18_Weights, resnet18

from generator.model.resnet import build_model, preprocess
from generator.report.pages import formula, shape
from generator.report.summary import collect_summary

from .conftest import Build

REPORT_TABLE = Path(__file__).parent / "fixtures" / "report_summary.md"


def report_rows() -> list[list[str]]:
    """The report's table, with its Markdown escapes and stray spaces removed."""
    rows = []
    for line in REPORT_TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not line.startswith(("|Layer", "| :-")):
            cells = [re.sub(r"`\s*`", "", c).replace("\\*", "*").strip() for c in line.strip("|").split("|")]
            rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def rows():
    model = build_model(None, seed=0)
    return collect_summary(model, torch.zeros(1, 3, 224, 224))


def test_report_fixture_is_the_whole_table() -> None:
    table = report_rows()
    assert len(table) == 69
    assert table[0][0] == "Conv2d-1" and table[-2][0] == "Linear-68" and table[-1][0] == "Total params"


def test_every_row_matches_the_report(rows) -> None:
    expected = report_rows()[:-1]
    assert len(rows) == len(expected) == 68
    for row, (name, out_shape, calculation, params) in zip(rows, expected):
        assert f"{row.layer_type}-{row.index}" == name
        assert shape(row.output_shape) == out_shape, name
        assert formula(row.formula).replace("\\*", "*") == calculation, name
        assert f"{row.params:,}" == params, name


def test_total_matches_report_torchvision_and_the_model(rows) -> None:
    report_total = int(report_rows()[-1][1].replace(",", ""))
    model_total = sum(p.numel() for p in resnet18(weights=None).parameters())
    assert sum(row.params for row in rows) == report_total == model_total
    assert model_total == ResNet18_Weights.IMAGENET1K_V1.meta["num_params"]


def test_every_formula_evaluates_to_its_row(rows) -> None:
    for row in rows:
        assert sum(math.prod(term) for term in row.formula) == row.params, row.module


def test_torchsummary_size_lines_match_torchsummarys_published_resnet18_output(built: Build) -> None:
    """torchsummary prints 0.57 / 62.79 / 44.59 / 107.96 MB for resnet18 at 3x224x224."""
    totals = built.facts.totals
    printed = [f"{value:0.2f}" for value in (totals.input_size_mb, totals.forward_backward_mb,
                                            totals.params_size_mb, totals.estimated_total_mb)]
    assert printed == ["0.57", "62.79", "44.59", "107.96"]


def test_module_rows_sum_to_the_totals_and_carry_their_own_output(built: Build) -> None:
    facts = built.facts
    assert [module.name for module in facts.modules] == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
    assert sum(module.params for module in facts.modules) == facts.totals.params
    assert sum(module.macs for module in facts.modules) == facts.totals.macs
    assert facts.totals.trainable == facts.totals.params and facts.totals.non_trainable == 0
    shapes = {module.name: module.output_shape for module in facts.modules}
    assert shapes["conv1"] == (64, 112, 112) and shapes["maxpool"] == (64, 56, 56)
    assert shapes["avgpool"] == (512, 1, 1) and shapes["fc"] == (1000,)


def test_multiply_adds_match_torchvisions_published_gflops(built: Build) -> None:
    assert math.isclose(built.facts.totals.macs / 1e9, ResNet18_Weights.IMAGENET1K_V1.meta["_ops"], abs_tol=5e-4)


def test_summary_does_not_depend_on_the_image(rows) -> None:
    from PIL import Image

    image = Image.new("RGB", (300, 500), (200, 30, 30))
    other = collect_summary(build_model(None, seed=1), preprocess(image))
    assert other == rows
