"""The check's account of the degradation experiment: the results file's numbers, as the pages must show them.

The build turns the file into facts (experiment_results.experiment_facts);
this side reads the file again, refuses it when it is stale (the code's
hash differs from the one it records), and computes every shown value its
own way: each error as the count of mistakes over the size of its set, and
which wording of the outcome is true by comparing the nets it names.
"""

from __future__ import annotations

from typing import Any

from ..experiment import results as experiment_results
from ..experiment.results import SETTLE_EPOCHS, SETTLE_SPAN


def derive_experiment() -> dict[str, Any]:
    """Dotted path -> value for everything under ``experiment.``, and the outcome's claims."""
    results = experiment_results.read()
    setup = results.setup
    v: dict[str, Any] = {f"experiment.{key}": value for key, value in {
        "dataset": setup.dataset, "train_size": results.train_size, "heldout_size": results.heldout_size,
        "image_size": results.image_size, "classes": results.classes, "heldout_every": setup.heldout_every,
        "epochs": setup.epochs, "batch_size": setup.batch_size, "learning_rate": setup.learning_rate,
        "momentum": setup.momentum, "weight_decay": setup.weight_decay, "seed": setup.seed,
        "threads": setup.threads, "torch_version": results.torch_version, "code_sha256": results.code_sha256,
    }.items()}
    v.update({f"experiment.widths.{i}": width for i, width in enumerate(setup.widths)})
    v.update({f"experiment.kernels.{key}": value for key, value in results.kernels.items()})
    train_errors: dict[tuple[str, int], list[float]] = {}
    heldout_final: dict[tuple[str, int], float] = {}
    for i, net in enumerate(results.nets):
        row = f"experiment.nets.{i}"
        train = [count / results.train_size for count in net.train_mistakes]
        heldout = [count / results.heldout_size for count in net.heldout_mistakes]
        v.update({f"{row}.name": net.name, f"{row}.kind": net.kind, f"{row}.depth": net.depth,
                  f"{row}.params": net.params, f"{row}.final_train_error": train[-1],
                  f"{row}.final_heldout_error": heldout[-1]})
        v.update({f"{row}.train_error.{epoch}": error for epoch, error in enumerate(train)})
        v.update({f"{row}.heldout_error.{epoch}": error for epoch, error in enumerate(heldout)})
        train_errors[net.kind, net.depth] = train
        heldout_final[net.kind, net.depth] = heldout[-1]
    v.update({"experiment.settle_epochs": SETTLE_EPOCHS, "experiment.settle_span": SETTLE_SPAN})
    v.update({f"claims.{name}": variant for name, variant in outcome_claims(train_errors, heldout_final).items()})
    return v


def outcome_claims(train_errors: dict[tuple[str, int], list[float]], heldout_final: dict[tuple[str, int], float],
                   ) -> dict[str, str]:
    """Which wording of each outcome sentence is true, from the errors this side computed from the counts."""
    depths = sorted({depth for _, depth in train_errors})
    final = {net: errors[-1] for net, errors in train_errors.items()}
    plain_deep, residual_deep = final["plain", depths[-1]], final["residual", depths[-1]]
    degraded = plain_deep > final["plain", depths[0]]
    if not residual_deep < plain_deep:
        cure = "not_reduced"
    elif residual_deep > final["residual", depths[0]]:
        cure = "reduced"
    else:
        cure = "removed"
    held = heldout_final["residual", depths[-1]] - heldout_final["residual", depths[0]]
    moved = [max(errors[-SETTLE_EPOCHS:]) - min(errors[-SETTLE_EPOCHS:]) for errors in train_errors.values()]
    return {
        "experiment_degradation": "degraded" if degraded else "not_degraded",
        "experiment_cure": cure,
        "experiment_shape": {"removed": "reproduced", "reduced": "partly", "not_reduced": "degradation_only"}[cure]
        if degraded else "not_reproduced",
        "experiment_heldout": "as_paper" if held < 0 else ("reversed" if held > 0 else "equal"),
        "experiment_settled": "not_settled" if max(moved) > SETTLE_SPAN else "settled",
    }
