"""What the explorer says about its maps is chosen by this run's tensors and weights, on both sides.

"F(x) only adds a correction" is true of some runs and false of others: the
build chooses the wording from each block's share of F(x) in its sum
(report/derive.py), the check from its own recomputed tensors
(verify/expected.py), and a page that keeps the other wording fails.
"""

from __future__ import annotations

import dataclasses

import pytest

from generator.report.derive import choose_claims
from generator.report.facts import SMALL_CORRECTION_SHARE
from generator.verify import expected
from generator.verify.gate import check_page_pair

from .conftest import Build, Derived
from .test_check import only

CASES = {
    "small": lambda i: SMALL_CORRECTION_SHARE * 0.5,
    "large": lambda i: min(1.0, SMALL_CORRECTION_SHARE * 2),
    "mixed": lambda i: SMALL_CORRECTION_SHARE if i % 2 else SMALL_CORRECTION_SHARE * 1.01,  # the bound counts as small
}


def shares_in(values: dict, share) -> dict:
    blocks = sorted({key.split(".")[1] for key in values if key.startswith("residual.") and key.count(".") == 2})
    return {**values, **{f"residual.{i}.correction_share": share(int(i)) for i in blocks}}


@pytest.mark.parametrize("variant", CASES)
def test_each_blocks_share_of_f_of_x_chooses_whether_it_is_called_a_correction(built: Build, derived: Derived,
                                                                             variant: str) -> None:
    facts = built.facts
    residual = tuple(dataclasses.replace(block, correction_share=CASES[variant](i))
                     for i, block in enumerate(facts.residual))
    chosen = choose_claims(facts.provenance.weights.kind, residual, facts.totals, facts.prediction_ties,
                           facts.family, facts.experiment)
    values = shares_in(derived.expected.values, CASES[variant])
    checked = expected._claims(values, values["provenance.weights.kind"], values["prediction_ties"])
    assert chosen["residual_size"] == checked["residual_size"] == variant


@pytest.mark.parametrize("kind", ["imagenet", "file", "random"])
def test_the_weights_choose_whether_deep_maps_are_said_to_show_patterns(built: Build, derived: Derived,
                                                                        kind: str) -> None:
    facts = built.facts
    chosen = choose_claims(kind, facts.residual, facts.totals, facts.prediction_ties, facts.family, facts.experiment)
    checked = expected._claims(derived.expected.values, kind, derived.expected.values["prediction_ties"])
    assert chosen["explorer_patterns"] == checked["explorer_patterns"] == kind


def test_a_page_that_keeps_a_wording_its_tensors_no_longer_support_fails(built: Build, derived: Derived) -> None:
    shown = built.facts.claims["residual_size"]
    other = next(variant for variant in CASES if variant != shown)
    values = shares_in(derived.expected.values, CASES[other])
    values.update({f"claims.{name}": variant for name, variant in expected._claims(
        values, values["provenance.weights.kind"], values["prediction_ties"]).items()})
    found = [str(m) for m in check_page_pair(built.docs, built.site, "explorer", built.config,
                                             dataclasses.replace(derived.expected, values=values))]
    for language in ("es", "en"):
        only(found, f"explorer.{language}", "claim residual_size", f"the wording for {shown}")
        only(found, f"explorer.{language}", "fact residual.0.correction_share")
