"""Two sentences of the report and the family page that compare numbers, each chosen by those numbers."""

from __future__ import annotations

import dataclasses

import pytest

from generator.report.derive import choose_claims, paper_degradation
from generator.verify import expected

from .conftest import Build, Derived


@pytest.mark.parametrize("close", [True, False])
def test_the_hand_made_add_is_called_equal_only_when_allclose_says_so(built: Build, derived: Derived,
                                                                      close: bool) -> None:
    facts = built.facts
    residual = (dataclasses.replace(facts.residual[0], allclose=close), *facts.residual[1:])
    chosen = choose_claims(facts.provenance.weights.kind, residual, facts.totals, facts.prediction_ties,
                           facts.family, facts.experiment)
    values = {**derived.expected.values, "residual.0.allclose": close}
    checked = expected._claims(values, values["provenance.weights.kind"], values["prediction_ties"])
    wanted = "equal" if close else "different"
    assert chosen["comparison_result"] == checked["comparison_result"] == wanted


@pytest.mark.parametrize(("plain", "residual", "wanted"), [
    ((0.28, 0.29), (0.28, 0.25), "degraded_cured"),
    ((0.28, 0.29), (0.25, 0.28), "degraded_only"),
    ((0.29, 0.28), (0.28, 0.25), "cured_only"),
    ((0.29, 0.28), (0.25, 0.25), "neither"),  # equal errors are not fewer mistakes
])
def test_the_papers_errors_choose_what_is_said_of_depth(derived: Derived, plain, residual, wanted: str) -> None:
    cited = {"plain18_top1_error": plain[0], "plain34_top1_error": plain[1],
             "resnet18_top1_error": residual[0], "resnet34_top1_error": residual[1]}
    values = {**derived.expected.values, **{f"cited.{key}": value for key, value in cited.items()}}
    assert paper_degradation(cited) == expected._paper_degradation(values) == wanted
