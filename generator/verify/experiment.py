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
    final_train: dict[tuple[str, int], float] = {}
    for i, net in enumerate(results.nets):
        row = f"experiment.nets.{i}"
        train = [count / results.train_size for count in net.train_mistakes]
        heldout = [count / results.heldout_size for count in net.heldout_mistakes]
        v.update({f"{row}.name": net.name, f"{row}.kind": net.kind, f"{row}.depth": net.depth,
                  f"{row}.params": net.params, f"{row}.final_train_error": train[-1],
                  f"{row}.final_heldout_error": heldout[-1]})
        v.update({f"{row}.train_error.{epoch}": error for epoch, error in enumerate(train)})
        v.update({f"{row}.heldout_error.{epoch}": error for epoch, error in enumerate(heldout)})
        final_train[net.kind, net.depth] = train[-1]
    depths = sorted({depth for _, depth in final_train})
    plain_deep, plain_shallow = final_train["plain", depths[-1]], final_train["plain", depths[0]]
    v["claims.experiment_degradation"] = "degraded" if plain_deep > plain_shallow else "not_degraded"
    v["claims.experiment_cure"] = "cured" if final_train["residual", depths[-1]] < plain_deep else "not_cured"
    return v
