"""Every sentence the experiment page says about its results is chosen by those results, on both sides.

The build chooses a wording from its facts (experiment/results.outcome);
the check chooses it again from the counts in the file, with its own code
(verify/experiment.outcome_claims). Each case below sets the numbers so that
one wording is true, the opposite of what the stored run says where it can,
and both sides must choose it.
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


def with_errors(results: experiment_results.Results, train: dict[str, list[float]],
                heldout: dict[str, float] | None = None) -> experiment_results.Results:
    """The stored run with the named nets' last training errors (fractions, oldest first) and final held-out error."""
    nets = []
    for net in results.nets:
        mistakes = list(net.train_mistakes)
        for offset, error in enumerate(reversed(train.get(net.name, []))):
            mistakes[-1 - offset] = round(error * results.train_size)
        held = list(net.heldout_mistakes)
        if heldout and net.name in heldout:
            held[-1] = round(heldout[net.name] * results.heldout_size)
        nets.append(dataclasses.replace(net, train_mistakes=tuple(mistakes), heldout_mistakes=tuple(held)))
    return dataclasses.replace(results, nets=tuple(nets))


def flat(error: float) -> list[float]:
    """The same training error over the last epochs the settle rule reads: a net that has settled."""
    return [error] * experiment_results.SETTLE_EPOCHS


def claims_of_both_sides(results: experiment_results.Results) -> tuple[dict[str, str], dict[str, str]]:
    built = experiment_results.outcome(experiment_results.experiment_facts(results))
    train = {(net.kind, net.depth): [count / results.train_size for count in net.train_mistakes] for net in results.nets}
    heldout = {(net.kind, net.depth): net.heldout_mistakes[-1] / results.heldout_size for net in results.nets}
    return built, check_experiment.outcome_claims(train, heldout)


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
    everyone_flat = {net.name: flat(net.train_mistakes[-1] / stored().train_size) for net in stored().nets}
    built, checked = claims_of_both_sides(with_errors(stored(), {**everyone_flat, f"plain-{DEEP}": last}))
    assert built["experiment_settled"] == checked["experiment_settled"] == wanted


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
    found = [str(m) for m in check_page_pair(built.docs, "experiment", built.config,
                                             dataclasses.replace(derived.expected, values=values))]
    for language in ("es", "en"):
        for name in sorted(changed):
            only(found, f"experiment.{language}.md", f"claim {name}", before[name])
    assert json.loads(path.read_text(encoding="utf-8"))["code_sha256"] == stored().code_sha256
