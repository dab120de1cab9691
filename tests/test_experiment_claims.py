"""Every sentence the experiment page says about its results is chosen by those results, on both sides.

The build chooses a wording from its facts (experiment/results.outcome, on
the means over the seeds); the check chooses it again from the counts in the
file, with its own code (verify/experiment.outcome_claims, on the counts
summed over the seeds). Each case below sets the numbers so that one wording
is true, the opposite of what the stored run says where it can, and both
sides must choose it; and both must count the same seeds as agreeing.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from generator.experiment import results as experiment_results
from generator.verify import experiment as check_experiment
from generator.verify.gate import check_page_pair

from .conftest import Build, Derived
from .test_check import only

SHALLOW, DEEP = "20", "56"


def stored() -> experiment_results.Results:
    return experiment_results.read()


def with_errors(results: experiment_results.Results, train: dict[str, list[float] | list[list[float]]],
                heldout: dict[str, float | list[float]] | None = None) -> experiment_results.Results:
    """The stored run with the named nets' last training errors and final held-out error replaced.

    A net's value is one curve end (fractions, oldest first) for every seed,
    or a list of them, one per seed.
    """
    nets = []
    for net in results.nets:
        runs = []
        for seed, run in enumerate(net.runs):
            ends = train.get(net.name, [])
            end = ends[seed] if ends and isinstance(ends[0], list) else ends
            mistakes = list(run.train_mistakes)
            for offset, error in enumerate(reversed(end)):
                mistakes[-1 - offset] = round(error * results.train_size)
            held = list(run.heldout_mistakes)
            if heldout and net.name in heldout:
                value = heldout[net.name]
                held[-1] = round((value[seed] if isinstance(value, list) else value) * results.heldout_size)
            runs.append(dataclasses.replace(run, train_mistakes=tuple(mistakes), heldout_mistakes=tuple(held)))
        nets.append(dataclasses.replace(net, runs=tuple(runs)))
    return dataclasses.replace(results, nets=tuple(nets))


def flat(error: float) -> list[float]:
    """The same training error over the last epochs the settle rule reads: a net that has settled."""
    return [error] * experiment_results.SETTLE_EPOCHS


def both_sides(results: experiment_results.Results) -> tuple[experiment_results.Experiment, dict[str, object]]:
    """The build's facts, and the check's values, for these results."""
    facts = experiment_results.experiment_facts(results)
    train = {(net.kind, net.depth): [list(run.train_mistakes) for run in net.runs] for net in results.nets}
    heldout = {(net.kind, net.depth): [list(run.heldout_mistakes) for run in net.runs] for net in results.nets}
    claims = check_experiment.outcome_claims(train, heldout, results.train_size)
    agreement = {name: check_experiment.agreeing_seeds(train, heldout, results.train_size, name, variant)
                 for name, variant in claims.items()}
    return facts, {"claims": claims, "agreement": agreement}


def claims_of_both_sides(results: experiment_results.Results) -> tuple[dict[str, str], dict[str, str]]:
    facts, checked = both_sides(results)
    assert facts.agreement == checked["agreement"]
    return experiment_results.outcome(facts), checked["claims"]  # type: ignore[return-value]


SETTLED_FINALS = {f"plain-{SHALLOW}": flat(0.01), f"resnet-{SHALLOW}": flat(0.0)}


@pytest.mark.parametrize(("train", "wanted"), [
    ({f"plain-{DEEP}": flat(0.5), f"resnet-{DEEP}": flat(0.0)},
     {"experiment_degradation": "degraded", "experiment_cure": "removed", "experiment_shape": "reproduced"}),
    ({f"plain-{DEEP}": flat(0.5), f"resnet-{DEEP}": flat(0.1)},
     {"experiment_degradation": "degraded", "experiment_cure": "reduced", "experiment_shape": "partly"}),
    ({f"plain-{DEEP}": flat(0.5), f"resnet-{DEEP}": flat(0.5)},
     {"experiment_degradation": "degraded", "experiment_cure": "not_reduced", "experiment_shape": "degradation_only"}),
    ({f"plain-{DEEP}": flat(0.01), f"resnet-{DEEP}": flat(0.0)},
     {"experiment_degradation": "not_degraded", "experiment_cure": "removed", "experiment_shape": "not_reproduced"}),
], ids=["shortcuts-remove-it", "shortcuts-reduce-it", "shortcuts-do-not-help", "no-degradation"])
def test_the_training_errors_choose_what_is_said_of_depth_and_shortcuts(train, wanted) -> None:
    built, checked = claims_of_both_sides(with_errors(stored(), {**SETTLED_FINALS, **train}))
    for name, variant in wanted.items():
        assert (built[name], checked[name]) == (variant, variant), name
    assert built["experiment_settled"] == checked["experiment_settled"] == "settled"


@pytest.mark.parametrize(("deep", "shallow", "wanted"), [
    (0.02, 0.05, "as_paper"), (0.05, 0.02, "reversed"), (0.03, 0.03, "equal"),
])
def test_the_held_out_errors_choose_whether_the_order_is_the_papers(deep: float, shallow: float, wanted: str) -> None:
    results = with_errors(stored(), {}, {f"resnet-{DEEP}": deep, f"resnet-{SHALLOW}": shallow})
    built, checked = claims_of_both_sides(results)
    assert built["experiment_heldout"] == checked["experiment_heldout"] == wanted


@pytest.mark.parametrize(("last", "wanted"), [
    ([0.10, 0.10, 0.10], "settled"),
    ([0.11, 0.10, 0.10], "settled"),  # one point exactly: the rule's bound
    ([0.13, 0.10, 0.10], "not_settled"),
    ([0.10, 0.10, 0.13], "not_settled"),  # still moving, upwards
], ids=["flat", "on-the-bound", "falling", "rising"])
def test_the_last_epochs_choose_whether_the_run_has_settled(last: list[float], wanted: str) -> None:
    everyone_flat = {net.name: flat(net.runs[0].train_mistakes[-1] / stored().train_size) for net in stored().nets}
    results = with_errors(stored(), {**everyone_flat, f"plain-{DEEP}": last})
    built, checked = claims_of_both_sides(results)
    assert built["experiment_settled"] == checked["experiment_settled"] == wanted
    unsettled = experiment_results.experiment_facts(results).unsettled
    assert unsettled == ("" if wanted == "settled" else f"plain-{DEEP}")


def test_one_seed_that_still_moves_makes_its_net_unsettled_and_is_the_only_seed_that_disagrees() -> None:
    """Settling is every seed's: two flat seeds and one moving one give "not settled", which that one seed alone says."""
    everyone_flat = {net.name: flat(net.runs[0].train_mistakes[-1] / stored().train_size) for net in stored().nets}
    moving = [flat(0.1), [0.2, 0.1, 0.1], flat(0.1)]
    results = with_errors(stored(), {**everyone_flat, f"resnet-{DEEP}": moving})
    facts, checked = both_sides(results)
    assert experiment_results.outcome(facts)["experiment_settled"] == checked["claims"]["experiment_settled"] == "not_settled"
    assert facts.agreement["experiment_settled"] == checked["agreement"]["experiment_settled"] == 1
    assert facts.unsettled == f"resnet-{DEEP}"


def test_the_means_over_the_seeds_choose_the_wording_and_the_seeds_that_disagree_are_counted() -> None:
    """Two seeds without degradation and one with much: the mean degrades, and only one seed alone says so."""
    plain_deep = [flat(0.0), flat(0.0), flat(0.6)]
    results = with_errors(stored(), {**SETTLED_FINALS, f"plain-{DEEP}": plain_deep, f"resnet-{DEEP}": flat(0.0)})
    facts, checked = both_sides(results)
    assert experiment_results.outcome(facts)["experiment_degradation"] == "degraded"
    assert checked["claims"]["experiment_degradation"] == "degraded"
    assert facts.agreement["experiment_degradation"] == checked["agreement"]["experiment_degradation"] == 1
    plain = next(net for net in facts.nets if net.name == f"plain-{DEEP}")
    assert (plain.final_train_error.low, plain.final_train_error.high) == (0.0, round(0.6 * 1438) / 1438)


def test_equal_totals_over_the_seeds_give_equal_means_on_the_build_side() -> None:
    """Seed by seed the residual nets differ, summed they do not: "equal", on both sides, without a rounding step."""
    results = with_errors(stored(), {}, {f"resnet-{DEEP}": [0.1, 0.2, 0.3], f"resnet-{SHALLOW}": [0.3, 0.2, 0.1]})
    built, checked = claims_of_both_sides(results)
    assert built["experiment_heldout"] == checked["experiment_heldout"] == "equal"


def test_the_check_holds_the_page_to_the_results_it_reads(built: Build, derived: Derived, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages were written for the stored run; a file where the opposite holds makes every such sentence false."""
    before = claims_of_both_sides(stored())[1]
    flipped = with_errors(stored(), {f"plain-{DEEP}": flat(0.0), f"resnet-{DEEP}": flat(0.0),
                                     f"resnet-{SHALLOW}": flat(0.0), f"plain-{SHALLOW}": flat(0.0)},
                          {f"resnet-{DEEP}": 0.01, f"resnet-{SHALLOW}": 0.05})
    after = claims_of_both_sides(flipped)[1]
    changed = {name for name in after if after[name] != before[name]}
    assert {"experiment_degradation", "experiment_shape", "experiment_heldout"} <= changed
    path = tmp_path / "degradation-experiment.json"
    path.write_text(flipped.to_json(), encoding="utf-8")
    monkeypatch.setattr(experiment_results, "RESULTS_FILE", path)
    values = {**derived.expected.values, **check_experiment.derive_experiment()}
    found = [str(m) for m in check_page_pair(built.docs, built.site, "experiment", built.config,
                                             dataclasses.replace(derived.expected, values=values))]
    for language in ("es", "en"):
        for name in sorted(changed):
            only(found, f"experiment.{language}", f"claim {name}", before[name])
    assert json.loads(path.read_text(encoding="utf-8"))["code_sha256"] == stored().code_sha256
