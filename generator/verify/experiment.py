"""The check's account of the degradation experiment: the results file's numbers, as the pages must show them.

The build turns the file into facts (experiment_results.experiment_facts);
this side reads the file again, refuses it when it is stale (the code's
hash differs from the one it records), and computes every shown value its
own way: each error as the count of mistakes over the size of its set, each
mean over the seeds from the summed counts, and which wording of the outcome
is true by comparing those sums (and, for each seed alone, its own counts).

A file whose hash is right may still have been edited, so everything in it
that needs no training is derived again from the code and the data set:
the setup (recipe.SETUP), the sizes of both sets, the images' size and the
classes (the digits read as train.py reads them, without importing
scikit-learn when its data file is the known one: experiment/digits.py),
and each net's kind, depth and parameters (built from nets.py on the CPU,
about 20 ms each). The curves need training: ``start_rerun`` trains the
first batches of one net from the first seed in the experiment's own child
process, and ``finish_rerun`` compares their state digests and counts
exactly; the standalone check does this (about 1.5 s of one core on a quiet
machine, beside the gate), each build's gate does not.
"""

from __future__ import annotations

import platform
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from ..core.errors import MismatchError
from ..experiment import results as experiment_results
from ..experiment.results import SETTLE_EPOCHS, SETTLE_SPAN, NetResult, Results

RERUN_NET = ("residual", 20)  # (kind, depth): the smallest net, and the one tests/test_experiment.py re-runs
Curves = dict[tuple[str, int], list[list[int]]]  # (kind, depth) -> each seed's counts of mistakes, epoch by epoch


def derive_experiment() -> dict[str, Any]:
    """Dotted path -> value for everything under ``experiment.``, and the outcome's claims."""
    results = experiment_results.read()
    refuse_disagreements(recorded(results), derivable(), "the experiment's code and data set")
    setup = results.setup
    v: dict[str, Any] = {f"experiment.{key}": value for key, value in {
        "dataset": setup.dataset, "train_size": results.train_size, "heldout_size": results.heldout_size,
        "image_size": results.image_size, "classes": results.classes, "heldout_every": setup.heldout_every,
        "epochs": setup.epochs, "batch_size": setup.batch_size, "warmup_epochs": setup.warmup_epochs,
        "warmup_learning_rate": setup.warmup_learning_rate, "learning_rate": setup.learning_rate,
        "momentum": setup.momentum, "weight_decay": setup.weight_decay, "seed_count": len(setup.seeds),
        "threads": setup.threads, "first_batches": setup.first_batches, "torch_version": results.torch_version,
        "code_sha256": results.code_sha256, "settle_epochs": SETTLE_EPOCHS, "settle_span": SETTLE_SPAN,
    }.items()}
    v.update({f"experiment.widths.{i}": width for i, width in enumerate(setup.widths)})
    v.update({f"experiment.seeds.{i}": seed for i, seed in enumerate(setup.seeds)})
    v.update({f"experiment.kernels.{key}": value for key, value in results.kernels.items()})
    for i, net in enumerate(results.nets):
        v.update(net_values(f"experiment.nets.{i}", net, results.train_size, results.heldout_size))
    train: Curves = {(net.kind, net.depth): [list(run.train_mistakes) for run in net.runs] for net in results.nets}
    heldout: Curves = {(net.kind, net.depth): [list(run.heldout_mistakes) for run in net.runs] for net in results.nets}
    claims = outcome_claims(train, heldout, results.train_size)
    v["experiment.unsettled"] = ", ".join(net.name for net in results.nets
                                          if max(span(run.train_mistakes) for run in net.runs) > SETTLE_SPAN * results.train_size)
    v.update({f"experiment.agreement.{name}": agreeing_seeds(train, heldout, results.train_size, name, variant)
              for name, variant in claims.items()})
    v.update({f"claims.{name}": variant for name, variant in claims.items()})
    return v


def span(counts: tuple[int, ...] | list[int]) -> int:
    """How many mistakes a curve moved by over its last SETTLE_EPOCHS points."""
    return max(counts[-SETTLE_EPOCHS:]) - min(counts[-SETTLE_EPOCHS:])


def net_values(row: str, net: NetResult, train_size: int, heldout_size: int) -> dict[str, Any]:
    """One net's values: its description, each seed's curves, and its finals' mean, lowest and highest."""
    v: dict[str, Any] = {f"{row}.name": net.name, f"{row}.kind": net.kind, f"{row}.depth": net.depth,
                         f"{row}.params": net.params,
                         f"{row}.moved": max(span(run.train_mistakes) for run in net.runs) / train_size}
    for j, run in enumerate(net.runs):
        v.update({f"{row}.runs.{j}.seed": run.seed, f"{row}.runs.{j}.moved": span(run.train_mistakes) / train_size})
        v.update({f"{row}.runs.{j}.train_error.{epoch}": count / train_size
                  for epoch, count in enumerate(run.train_mistakes)})
        v.update({f"{row}.runs.{j}.heldout_error.{epoch}": count / heldout_size
                  for epoch, count in enumerate(run.heldout_mistakes)})
    for name, size, finals in (("final_train_error", train_size, [run.train_mistakes[-1] for run in net.runs]),
                               ("final_heldout_error", heldout_size, [run.heldout_mistakes[-1] for run in net.runs])):
        v.update({f"{row}.{name}.mean": sum(finals) / (len(finals) * size), f"{row}.{name}.low": min(finals) / size,
                  f"{row}.{name}.high": max(finals) / size})
    return v


def outcome_claims(train: Curves, heldout: Curves, train_size: int) -> dict[str, str]:
    """Which wording of each outcome sentence is true, from the counts summed over the seeds.

    Means over the same number of seeds and the same set compare as their
    sums do, so no division is needed; a net has settled when every seed's
    curve moved by at most SETTLE_SPAN of the training set at its end.
    """
    final = {net: sum(curve[-1] for curve in curves) for net, curves in train.items()}
    held = {net: sum(curve[-1] for curve in curves) for net, curves in heldout.items()}
    depths = sorted({depth for _, depth in final})
    plain_deep, residual_deep = final["plain", depths[-1]], final["residual", depths[-1]]
    degraded = plain_deep > final["plain", depths[0]]
    if not residual_deep < plain_deep:
        cure = "not_reduced"
    elif residual_deep > final["residual", depths[0]]:
        cure = "reduced"
    else:
        cure = "removed"
    order = held["residual", depths[-1]] - held["residual", depths[0]]
    moved = [span(curve) for curves in train.values() for curve in curves]
    return {
        "experiment_degradation": "degraded" if degraded else "not_degraded",
        "experiment_cure": cure,
        "experiment_shape": {"removed": "reproduced", "reduced": "partly", "not_reduced": "degradation_only"}[cure]
        if degraded else "not_reproduced",
        "experiment_heldout": "as_paper" if order < 0 else ("reversed" if order > 0 else "equal"),
        "experiment_settled": "not_settled" if max(moved) > SETTLE_SPAN * train_size else "settled",
    }


def agreeing_seeds(train: Curves, heldout: Curves, train_size: int, claim: str, variant: str) -> int:
    """How many seeds, each taken alone, give ``claim`` the wording chosen for all of them together."""
    seeds = len(next(iter(train.values())))
    return sum(outcome_claims({net: [curves[j]] for net, curves in train.items()},
                              {net: [curves[j]] for net, curves in heldout.items()}, train_size)[claim] == variant
               for j in range(seeds))


def recorded(results: Results, epochs: int = 0, batches: int = 0) -> dict[str, object]:
    """The file's fields by dotted name, each run's by its net and seed, with its first ``epochs`` and ``batches``."""
    fields: dict[str, object] = {f"setup.{key}": value for key, value in asdict(results.setup).items()}
    fields.update({key: getattr(results, key) for key in (
        "train_size", "heldout_size", "image_size", "classes", "code_sha256", "torch_version", "kernels")})
    for net in results.nets:
        fields.update({f"nets.{net.name}.{key}": getattr(net, key) for key in ("kind", "depth", "params")})
        for run in net.runs:
            row = f"nets.{net.name}.seed-{run.seed}"
            for key, length in (("train_mistakes", epochs), ("heldout_mistakes", epochs), ("state_sha256", epochs),
                                ("batch_mistakes", batches), ("batch_sha256", batches)):
                fields.update({f"{row}.{key}.{index}": value
                               for index, value in enumerate(getattr(run, key)[:length])})
    return fields


@cache
def derivable() -> dict[str, object]:
    """What the results file must hold for this code and data set, whatever the training gave.

    Once per process: the code and the data set do not change while it runs (and callers only read it).
    """
    import torch

    from ..experiment import train
    from ..experiment.nets import CifarNet, weighted_layers
    from ..experiment.recipe import SETUP

    data = train.load_data(SETUP)
    fields: dict[str, object] = {f"setup.{key}": value for key, value in asdict(SETUP).items()}
    fields.update(train_size=len(data.train_labels), heldout_size=len(data.heldout_labels),
                  image_size=data.train_images.shape[-1], classes=data.classes,
                  code_sha256=experiment_results.code_sha256())
    with torch.random.fork_rng(devices=[]):  # building a net draws its initial weights: leave the caller's state
        for kind in SETUP.kinds:
            for depth in SETUP.depths:
                net = CifarNet(depth, kind, data.train_images.shape[1], data.classes, SETUP.widths)
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


@dataclass
class Rerun:
    """The first batches of RERUN_NET trained again, in a thread beside whatever the check does meanwhile."""

    note: str = ""  # set when there is nothing to train on this machine
    thread: threading.Thread | None = None
    outcome: list[Results | BaseException] = field(default_factory=list)


def start_rerun(progress: Callable[[str], None]) -> Rerun:
    """Start training RERUN_NET's first batches from the first seed, as the experiment did.

    The kernels are fixed for every x86-64 processor, not across
    architectures (README): on another machine than the file's the curves
    are not compared, and the note says so. The file itself is read again
    by ``finish_rerun``, so a missing or stale one is refused there.
    """
    from ..experiment import runner
    from ..experiment.recipe import SETUP

    try:
        made_on = experiment_results.read().kernels.get("machine")
    except MismatchError as error:  # the gate says the same, in its turn; this side says it only if the gate passes
        return Rerun(outcome=[error])
    if made_on != platform.machine():
        return Rerun(note=f"the experiment's curves were made on {made_on} and not re-run on {platform.machine()}")
    rerun = Rerun()

    def train() -> None:
        try:
            rerun.outcome.append(runner.run(progress, nets=(RERUN_NET,), seeds=SETUP.seeds[:1], batches_only=True))
        except BaseException as error:  # handed to finish_rerun, which raises it in the check's own thread
            rerun.outcome.append(error)

    rerun.thread = threading.Thread(target=train, name="experiment-rerun", daemon=True)
    rerun.thread.start()
    return rerun


def finish_rerun(rerun: Rerun) -> str:
    """Wait for the re-run; the file must hold exactly the digests and counts it gave. Returns the closing note."""
    if rerun.thread is not None:
        rerun.thread.join()
    if not rerun.outcome:
        return rerun.note
    short = rerun.outcome[0]
    if isinstance(short, BaseException):
        raise short
    results = experiment_results.read()
    batches = results.setup.first_batches
    net, run = short.nets[0], short.nets[0].runs[0]
    refuse_disagreements(recorded(results, batches=batches), recorded(short, batches=batches),
                         f"a re-run of the first {batches} batches of {net.name} from seed {run.seed}")
    return f"the first {batches} batches of {net.name} trained again give the file's state digests"


def rerun_first_batches(progress: Callable[[str], None]) -> str:
    """Start and finish the re-run in one call (what a caller with nothing to do meanwhile wants)."""
    return finish_rerun(start_rerun(progress))
