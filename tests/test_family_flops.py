"""The family page's paper table: each row's reading of the paper's FLOPs is chosen by the counts, on both sides.

For every model the build (report/family.py, walking the modules) and the
check (verify/family.py, a forward pass under hooks) count the
multiply-accumulates as torchvision builds it, with the paper's stride
placement, without the projection shortcuts and with both changes; the
first of those counts that rounds to the paper's Table 1 number names the
row's reading. A cited number changed so that another reading is true must
change both sides' choice, and a page that keeps the old one must fail.
"""

from __future__ import annotations

import dataclasses

import pytest
from torch import nn

from generator.core import sources
from generator.report import family
from generator.report.derive import paper_flops
from generator.verify import expected
from generator.verify import family as expected_family
from generator.verify.gate import check_page_pair

from .conftest import Build, Derived
from .site_edits import edit
from .test_check import only, span

ROWS = ("macs", "macs_paper_stride", "macs_without_projections", "macs_paper_stride_without_projections")


def projection_macs(model: nn.Module) -> int:
    """Each projection shortcut's convolution, by hand: weights times the positions of its output."""
    size, total = 56, 0  # layer1's input at 224 x 224
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in stage:
            if block.downsample is not None:
                conv = block.downsample[0]
                size //= conv.stride[0]
                total += conv.weight.numel() * size * size
    return total


def test_each_rows_counts_and_reading(built: Build) -> None:
    rows = {model.name: model for model in built.facts.family.models}
    assert [rows[name].paper_flops_reading for name in family.MODELS] == [
        "agrees", "projections", "unexplained", "stride", "stride"]
    # resnet34's three projections are each 6,422,528 multiply-accumulates (1x1, stride 2): the whole difference
    assert rows["resnet34"].macs - rows["resnet34"].macs_without_projections == 3 * 6_422_528
    for name, row in rows.items():
        model = family.meta_model(name)
        assert row.macs - row.macs_without_projections == projection_macs(model), name
        assert (row.macs_paper_stride - row.macs_paper_stride_without_projections
                == row.macs - row.macs_without_projections), name
        if row.block == "BasicBlock":  # its stride is in its first convolution already
            assert row.macs_paper_stride == row.macs, name
        else:  # conv1 of the three blocks that halve the size runs on a quarter of the positions
            saved = sum(stage[0].conv1.weight.numel() * (2 * size) ** 2 * 3 // 4
                        for stage, size in ((model.layer2, 28), (model.layer3, 14), (model.layer4, 7)))
            assert row.macs - row.macs_paper_stride == saved, name


def test_the_claim_over_the_rows_is_chosen_by_the_readings() -> None:
    assert paper_flops(("agrees",) * 5) == "agree"
    assert paper_flops(("agrees", "projections", "stride", "stride_and_projections", "stride")) == "explained"
    assert paper_flops(("agrees", "projections", "unexplained", "stride", "stride")) == "unexplained"


FLIPS = [  # model, index, the paper's number changed to, the reading that becomes true, the claim over the rows
    ("resnet50", 2, 3.9e9, "stride", "explained"),
    ("resnet34", 1, 3.7e9, "agrees", "unexplained"),
    ("resnet101", 3, 7.2e9, "stride_and_projections", "unexplained"),
    ("resnet152", 4, 11.2e9, "projections", "unexplained"),
]


def flipped(derived: Derived, name: str, paper: float) -> dict:
    """The check's values when the cited Table 1 number of one model is another: family, citation and claims."""
    cited = {**sources.cited_numbers(), f"paper_flops_{name}": paper}
    family_values, failures = expected_family.derive_family(224, cited)
    assert failures == []
    values = {**derived.expected.values, **family_values, f"cited.paper_flops_{name}": paper}
    claims = expected._claims(values, values["provenance.weights.kind"], values["prediction_ties"])
    return {**values, **{f"claims.{claim}": variant for claim, variant in claims.items()}}


@pytest.mark.parametrize(("name", "index", "paper", "reading", "claim"), FLIPS, ids=[flip[0] for flip in FLIPS])
def test_a_changed_paper_number_changes_both_choices_and_the_old_page_fails(
        built: Build, derived: Derived, name: str, index: int, paper: float, reading: str, claim: str) -> None:
    old = built.facts.family.models[index]
    assert old.paper_flops_reading != reading
    build_side = family.describe_model(name, 224, paper)
    values = flipped(derived, name, paper)
    assert build_side.paper_flops_reading == values[f"family.models.{index}.paper_flops_reading"] == reading
    readings = [family.describe_model(other, 224, paper if other == name else sources.cited_numbers()[
        f"paper_flops_{other}"]).paper_flops_reading for other in family.MODELS]
    assert paper_flops(tuple(readings)) == values["claims.paper_flops"] == claim

    wanted = dataclasses.replace(derived.expected, values=values)
    found = [str(m) for m in check_page_pair(built.docs, built.site, "family", built.config, wanted)]
    key = f"family.models.{index}.paper_flops_reading"
    only(found, "family.en", f"fact {key}", repr(reading))
    only(found, "family.es", f"fact {key}", repr(reading))
    if claim != built.facts.claims["paper_flops"]:
        only(found, "family.en", "claim paper_flops", claim)
        only(found, "family.es", "claim paper_flops", claim)


@pytest.mark.parametrize(("language", "key", "old", "new"), [
    ("en", "family.models.2.macs_paper_stride", "3.9<", "3.8<"),
    ("es", "family.models.1.macs_without_projections", "3,6<", "3,7<"),
    ("en", "family.models.3.macs_paper_stride_without_projections", "7.2<", "7.6<"),
])
def test_a_wrong_counterfactual_count_is_caught(editable_build: Build, derived: Derived, language: str, key: str,
                                                old: str, new: str) -> None:
    edit(editable_build.page("family", language), span(key, "gmacs1") + old, span(key, "gmacs1") + new)
    found = [str(m) for m in check_page_pair(editable_build.docs, editable_build.site, "family", editable_build.config,
                                             derived.expected)]
    only(found, f"family.{language}", f"fact {key}", repr(new[:-1]))


@pytest.mark.parametrize(("language", "old", "new"), [
    ("en", "none of the four<", "the count with the paper&#x27;s stride<"),
    ("es", "ninguno de los cuatro<", "el cálculo con el paso del artículo<"),
])
def test_a_reading_in_other_words_is_caught(editable_build: Build, derived: Derived, language: str, old: str,
                                            new: str) -> None:
    key = "family.models.2.paper_flops_reading"
    edit(editable_build.page("family", language), span(key, "paper_flops") + old, span(key, "paper_flops") + new)
    found = [str(m) for m in check_page_pair(editable_build.docs, editable_build.site, "family", editable_build.config,
                                             derived.expected)]
    only(found, f"family.{language}", f"fact {key}", "'unexplained'")


def test_the_checks_counts_come_from_its_own_forward_pass() -> None:
    """The check's projections are the hooks' downsample convolutions, and its reading tries the counts in order."""
    for name in family.MODELS:
        model = expected_family.meta_model(name)
        counts = expected_family.paper_counts(expected_family._measure(model, 224))
        assert counts["agrees"] - counts["projections"] == projection_macs(model), name
        assert counts["stride"] - counts["stride_and_projections"] == projection_macs(model), name
    counts = {"agrees": 3_700_000_000, "stride": 3_640_000_000, "projections": 3_620_000_000,
              "stride_and_projections": 3_600_000_000}
    assert expected_family.paper_reading(counts, 3.6e9) == "stride"  # the first that rounds, not the closest
    assert expected_family.paper_reading(counts, 3.5e9) == "unexplained"
