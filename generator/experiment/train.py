"""The degradation experiment's training: the paper's degradation, trained here in miniature.

Plain and residual nets of two depths (experiment/nets.py) learn
scikit-learn's handwritten digits, a data set that ships inside the package
(no download; experiment/digits.py reads it). This module runs only in the
child processes that ``python -m generator experiment`` starts, one per
seed (experiment/runner.py), whose kernels are fixed for every x86-64
processor (experiment/kernels.py). The result is then the same on any such
machine with the same torch: the thread count and every seed are fixed
here, torch's deterministic algorithms are on, the held-out split is a rule
on the sample's index, and the batches come from a generator seeded per
net. Errors are recorded as counts of misclassified images, and the state
after each epoch, and after each of the first few batches, as a SHA-256 of
every parameter and buffer, which a re-run reproduces exactly. The results
file (experiment/results.py) is what the build reads: a build never trains.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

from ..core.lazy_dynamo import without_dynamo
from ..runtime.lifeline import die_with_parent
from . import digits
from . import kernels as experiment_kernels
from . import results as experiment_results
from .nets import CifarNet, weighted_layers
from .recipe import SETUP
from .results import NetResult, Results, SeedRun, Setup


@dataclass(frozen=True)
class Data:
    train_images: torch.Tensor  # (N, 1, 8, 8), standardised with the training set's mean and deviation
    train_labels: torch.Tensor
    heldout_images: torch.Tensor
    heldout_labels: torch.Tensor
    classes: int


def load_data(setup: Setup) -> Data:
    """The digits, split by index: every ``heldout_every``-th image is held out, the rest trains."""
    pixels, targets, classes = digits.load()
    images = torch.tensor(pixels, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(targets, dtype=torch.int64)
    heldout = torch.arange(len(labels)) % setup.heldout_every == setup.heldout_every - 1
    train = images[~heldout]
    mean, std = train.mean(), train.std()
    return Data(train_images=(train - mean) / std, train_labels=labels[~heldout],
                heldout_images=(images[heldout] - mean) / std, heldout_labels=labels[heldout], classes=classes)


def use_deterministic_kernels(mode: bool) -> None:
    """torch.use_deterministic_algorithms for eager code, without importing torch._inductor.

    The public function also sets inductor's flag for compiled code, and
    importing inductor's config loads torch._dynamo, sympy and
    torch.distributed: more CPU than the check's re-run of two batches
    spends training (README measures both). Nothing here is compiled, so the
    eager flag is the whole effect; a torch without that switch gets the
    public function.
    """
    eager_switch = getattr(torch._C, "_set_deterministic_algorithms", None)
    if eager_switch is None:
        torch.use_deterministic_algorithms(mode)
    else:
        eager_switch(mode, warn_only=False)
    if torch.are_deterministic_algorithms_enabled() != mode:
        raise RuntimeError(f"torch did not switch its deterministic algorithms {'on' if mode else 'off'}")


@contextlib.contextmanager
def deterministic(threads: int) -> Iterator[None]:
    """Fixed threads and deterministic kernels for the block; the caller's settings and random state afterwards."""
    threads_before, deterministic_before = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    use_deterministic_kernels(True)
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        torch.set_num_threads(threads_before)
        use_deterministic_kernels(deterministic_before)


def mistakes(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> int:
    """Misclassified images, in evaluation mode (BatchNorm's running statistics)."""
    net.eval()
    with torch.no_grad():
        return int((net(images).argmax(dim=1) != labels).sum())


def state_sha256(net: nn.Module) -> str:
    """Every parameter and buffer, by name, as little-endian bytes: one changed bit changes the digest."""
    digest = hashlib.sha256()
    for name, tensor in net.state_dict().items():
        array = tensor.detach().cpu().numpy()
        digest.update(f"{name} {array.dtype} {array.shape}\n".encode())
        digest.update(array.astype(array.dtype.newbyteorder("<")).tobytes())
    return digest.hexdigest()


def learning_rate(setup: Setup, step: int, steps_per_epoch: int) -> float:
    """The warm-up's rate for its steps, then a cosine from ``learning_rate`` down to zero after the last step."""
    warmup = setup.warmup_epochs * steps_per_epoch
    if step < warmup:
        return setup.warmup_learning_rate
    return setup.learning_rate * (1 + math.cos(math.pi * (step - warmup) / (setup.epochs * steps_per_epoch - warmup))) / 2


@dataclass
class Record:
    """What one run keeps: after every epoch, and after each of the first batches."""

    train_mistakes: list[int]
    heldout_mistakes: list[int]
    state_sha256: list[str]
    batch_mistakes: list[int]
    batch_sha256: list[str]


def train_net(setup: Setup, data: Data, kind: str, depth: int, seed: int, epochs: int,
              progress: Callable[[str], None], batches_only: bool = False) -> NetResult:
    """One net from one seed, trained for the first ``epochs`` epochs of the setup's schedule (a prefix of it).

    ``batches_only``: stop after the setup's first batches, which is all
    the check trains again; the epochs' curves are then empty.
    """
    name = experiment_results.net_name(kind, depth)
    torch.manual_seed(seed)
    net = CifarNet(depth, kind, data.train_images.shape[1], data.classes, setup.widths)
    optimiser = torch.optim.SGD(net.parameters(), lr=setup.learning_rate, momentum=setup.momentum,
                                weight_decay=setup.weight_decay)
    batches = -(-len(data.train_labels) // setup.batch_size)
    order = torch.Generator().manual_seed(seed)
    record = Record([], [], [], [], [])
    for epoch in range(1, epochs + 1):
        net.train()
        permutation = torch.randperm(len(data.train_labels), generator=order)
        for step in range(batches):
            chosen = permutation[step * setup.batch_size:(step + 1) * setup.batch_size]
            for group in optimiser.param_groups:
                group["lr"] = learning_rate(setup, (epoch - 1) * batches + step, batches)
            logits = net(data.train_images[chosen])
            loss = functional.cross_entropy(logits, data.train_labels[chosen])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if epoch == 1 and step < setup.first_batches:
                record.batch_mistakes.append(int((logits.argmax(dim=1) != data.train_labels[chosen]).sum()))
                record.batch_sha256.append(state_sha256(net))
            if batches_only and len(record.batch_sha256) == setup.first_batches:
                return net_result(net, kind, seed, record)
        record.train_mistakes.append(mistakes(net, data.train_images, data.train_labels))
        record.heldout_mistakes.append(mistakes(net, data.heldout_images, data.heldout_labels))
        record.state_sha256.append(state_sha256(net))
        progress(f"experiment: seed {seed} {name} epoch {epoch}/{setup.epochs}: training error "
                 f"{record.train_mistakes[-1] / len(data.train_labels):6.1%}, held-out error "
                 f"{record.heldout_mistakes[-1] / len(data.heldout_labels):6.1%}")
    return net_result(net, kind, seed, record)


def net_result(net: nn.Module, kind: str, seed: int, record: Record) -> NetResult:
    """The net's description and its one run, as the results file holds them."""
    depth = weighted_layers(net)
    run = SeedRun(seed=seed, train_mistakes=tuple(record.train_mistakes),
                  heldout_mistakes=tuple(record.heldout_mistakes), state_sha256=tuple(record.state_sha256),
                  batch_mistakes=tuple(record.batch_mistakes), batch_sha256=tuple(record.batch_sha256))
    return NetResult(name=experiment_results.net_name(kind, depth), kind=kind, depth=depth,
                     params=sum(p.numel() for p in net.parameters()), runs=(run,))


def train(progress: Callable[[str], None], kernels: dict[str, str], seed: int, setup: Setup = SETUP,
          epochs: int | None = None, nets: tuple[tuple[str, int], ...] | None = None,
          batches_only: bool = False) -> Results:
    """Train every net of the setup (or the ``nets`` given, as (kind, depth)) from one seed.

    ``epochs`` stops early on the same schedule: the curves of a short run
    are the first epochs of the full one. ``kernels`` is what the results
    record about the kernels that ran (experiment_kernels.fix_in_process).
    """
    data = load_data(setup)
    chosen = nets if nets is not None else tuple((kind, depth) for kind in setup.kinds for depth in setup.depths)
    with deterministic(setup.threads), without_dynamo():  # an optimizer's step would import dynamo to break no graph
        results = tuple(train_net(setup, data, kind, depth, seed, setup.epochs if epochs is None else epochs,
                                  progress, batches_only) for kind, depth in chosen)
    return Results(setup=setup, train_size=len(data.train_labels), heldout_size=len(data.heldout_labels),
                   image_size=data.train_images.shape[-1], classes=data.classes, nets=results,
                   code_sha256=experiment_results.code_sha256(), torch_version=str(torch.__version__),
                   kernels=kernels)


def main(argv: list[str]) -> int:
    """The child: a request (JSON) in, progress lines on stderr, the results (JSON) on stdout.

    Ctrl-C reaches the whole process group; the parent handles it and ends
    this process, which dies with it after a kill -9 too.
    """
    request = json.loads(argv[0])
    die_with_parent(request["parent"])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        kernels = experiment_kernels.fix_in_process()
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    nets = tuple((kind, depth) for kind, depth in request["nets"]) if request["nets"] is not None else None
    results = train(lambda line: print(line, file=sys.stderr, flush=True), kernels, request["seed"],
                    epochs=request["epochs"], nets=nets, batches_only=request["batches_only"])
    sys.stdout.write(results.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
