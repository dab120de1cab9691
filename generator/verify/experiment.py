"""The check's account of the degradation experiment: the results file's numbers, as the pages must show them.

The build turns the file into facts (experiment_results.experiment_facts);
this side reads the file again, refuses it when it is stale (the code's
hash differs from the one it records), and computes every shown value its
own way: each error as the count of mistakes over the size of its set, and
which wording of the outcome is true by comparing the nets it names.

A file whose hash is right may still have been edited, so everything in it
that needs no training is derived again from the code and the data set:
the setup (train.SETUP), the sizes of both sets, the images' size and the
classes (the digits loaded as train.py loads them), and each net's kind,
depth and parameters (built from nets.py on the CPU, about 20 ms each).
The curves need training: ``rerun_first_epoch`` trains one small net for
one epoch in the experiment's own child process and compares it exactly,
which the standalone check does and each build's gate does not (5 to 10 s).
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from typing import Any

from ..core.errors import MismatchError
from ..experiment import results as experiment_results
from ..experiment.results import SETTLE_EPOCHS, SETTLE_SPAN, Results

RERUN_NET = ("residual", 20)  # (kind, depth): the smallest net, and the one tests/test_experiment.py re-runs


def derive_experiment() -> dict[str, Any]:
    """Dotted path -> value for everything under ``experiment.``, and the outcome's claims."""
    results = experiment_results.read()
    refuse_disagreements(recorded(results), derivable(), "the experiment's code and data set")
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


def recorded(results: Results, epochs: int = 0) -> dict[str, object]:
    """The file's fields by dotted name, each net's by its name, with the first ``epochs`` points of its curves."""
    fields: dict[str, object] = {f"setup.{key}": value for key, value in asdict(results.setup).items()}
    fields.update({key: getattr(results, key) for key in (
        "train_size", "heldout_size", "image_size", "classes", "code_sha256", "torch_version", "kernels")})
    for net in results.nets:
        fields.update({f"nets.{net.name}.{key}": getattr(net, key) for key in ("kind", "depth", "params")})
        for key in ("train_mistakes", "heldout_mistakes", "state_sha256"):
            fields.update({f"nets.{net.name}.{key}.{epoch}": value
                           for epoch, value in enumerate(getattr(net, key)[:epochs])})
    return fields


@cache
def derivable() -> dict[str, object]:
    """What the results file must hold for this code and data set, whatever the training gave.

    Once per process: the code and the data set do not change while it runs (and callers only read it).
    """
    import torch

    from ..experiment import train
    from ..experiment.nets import CifarNet, weighted_layers

    setup = train.SETUP
    data = train.load_data(setup)
    fields: dict[str, object] = {f"setup.{key}": value for key, value in asdict(setup).items()}
    fields.update(train_size=len(data.train_labels), heldout_size=len(data.heldout_labels),
                  image_size=data.train_images.shape[-1], classes=data.classes,
                  code_sha256=experiment_results.code_sha256())
    with torch.random.fork_rng(devices=[]):  # building a net draws its initial weights: leave the caller's state
        for kind in setup.kinds:
            for depth in setup.depths:
                net = CifarNet(depth, kind, data.train_images.shape[1], data.classes, setup.widths)
                row = f"nets.{experiment_results.net_name(kind, depth)}"
                fields.update({f"{row}.kind": kind, f"{row}.depth": weighted_layers(net),
                               f"{row}.params": sum(p.numel() for p in net.parameters())})
    return fields


def refuse_disagreements(found: dict[str, object], wanted: dict[str, object], source: str) -> None:
    """MismatchError naming, in one line, every field of the file that differs from ``wanted`` (type included)."""
    wrong = [f"{key} {found.get(key)!r}, not {value!r}" for key, value in wanted.items()
             if type(found.get(key)) is not type(value) or found.get(key) != value]
    if wrong:
        raise MismatchError(f"{experiment_results.RESULTS_FILE} disagrees with {source}: {'; '.join(wrong)}; "
                            f"{experiment_results.RERUN}")


def rerun_first_epoch(progress: Callable[[str], None]) -> str:
    """Train RERUN_NET for one epoch as the experiment does; the file must hold exactly what it gives.

    The kernels are fixed for every x86-64 processor, not across
    architectures (README): on another machine than the file's the curves
    are not compared, and the returned note says so.
    """
    from ..experiment import runner

    results = experiment_results.read()
    made_on = results.kernels.get("machine")
    if made_on != platform.machine():
        return f"the experiment's curves were made on {made_on} and not re-run on {platform.machine()}"
    short = runner.run(progress, epochs=1, nets=(RERUN_NET,))
    refuse_disagreements(recorded(results, epochs=1), recorded(short, epochs=1),
                         f"a re-run of {short.nets[0].name}'s first epoch")
    return f"the first epoch of {short.nets[0].name} trained again gives the file's numbers"
