"""The degradation experiment's training: the paper's degradation, trained here in miniature.

Plain and residual nets of two depths (experiment/nets.py) learn
scikit-learn's handwritten digits, a data set that ships inside the package
(no download). This module runs only in the child process that
``python -m generator experiment`` starts (experiment/runner.py), whose
kernels are fixed for every x86-64 processor (experiment/kernels.py). The
result is then the same on any such machine with the same torch: the
thread count and every seed are fixed here, torch's deterministic
algorithms are on, the held-out split is a rule on the sample's index, and
the batches come from a generator seeded per net. Errors are recorded as
counts of misclassified images, and the state after each epoch as a
SHA-256 of every parameter and buffer, which a re-run reproduces exactly.
The results file (experiment/results.py) is what the build reads: a build
never trains.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

from ..runtime.lifeline import die_with_parent
from . import kernels as experiment_kernels
from . import results as experiment_results
from .nets import WIDTHS, CifarNet, weighted_layers
from .results import NetResult, Results, Setup

SETUP = Setup(
    dataset="digits",
    depths=(20, 56),
    kinds=("plain", "residual"),
    widths=WIDTHS,
    epochs=12,
    batch_size=64,
    optimiser="SGD",
    learning_rate=0.1,
    momentum=0.9,
    weight_decay=0.0001,
    schedule="cosine",
    heldout_every=5,
    seed=0,
    # One thread: these tensors are tiny, and with two, any other load on the second core made a step ten times
    # slower (0.12 s against 1.4 s for a 56-layer net, measured on a shared two-core machine).
    threads=experiment_kernels.THREADS,
)


@dataclass(frozen=True)
class Data:
    train_images: torch.Tensor  # (N, 1, 8, 8), standardised with the training set's mean and deviation
    train_labels: torch.Tensor
    heldout_images: torch.Tensor
    heldout_labels: torch.Tensor
    classes: int


def load_data(setup: Setup) -> Data:
    """The digits, split by index: every ``heldout_every``-th image is held out, the rest trains."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(digits.target, dtype=torch.int64)
    heldout = torch.arange(len(labels)) % setup.heldout_every == setup.heldout_every - 1
    train = images[~heldout]
    mean, std = train.mean(), train.std()
    return Data(train_images=(train - mean) / std, train_labels=labels[~heldout],
                heldout_images=(images[heldout] - mean) / std, heldout_labels=labels[heldout],
                classes=len(digits.target_names))


@contextlib.contextmanager
def deterministic(threads: int) -> Iterator[None]:
    """Fixed threads and deterministic kernels for the block; the caller's settings and random state afterwards."""
    threads_before, deterministic_before = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        torch.set_num_threads(threads_before)
        torch.use_deterministic_algorithms(deterministic_before)


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


def train_net(setup: Setup, data: Data, kind: str, depth: int, epochs: int,
              progress: Callable[[str], None]) -> NetResult:
    """One net, trained for the first ``epochs`` epochs of the setup's schedule (a short run is a prefix)."""
    name = experiment_results.net_name(kind, depth)
    torch.manual_seed(setup.seed)
    net = CifarNet(depth, kind, data.train_images.shape[1], data.classes, setup.widths)
    optimiser = torch.optim.SGD(net.parameters(), lr=setup.learning_rate, momentum=setup.momentum,
                                weight_decay=setup.weight_decay)
    batches = -(-len(data.train_labels) // setup.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=setup.epochs * batches)
    order = torch.Generator().manual_seed(setup.seed)
    train_mistakes, heldout_mistakes, states = [], [], []
    for epoch in range(1, epochs + 1):
        net.train()
        permutation = torch.randperm(len(data.train_labels), generator=order)
        for step in range(batches):
            chosen = permutation[step * setup.batch_size:(step + 1) * setup.batch_size]
            loss = functional.cross_entropy(net(data.train_images[chosen]), data.train_labels[chosen])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        train_mistakes.append(mistakes(net, data.train_images, data.train_labels))
        heldout_mistakes.append(mistakes(net, data.heldout_images, data.heldout_labels))
        states.append(state_sha256(net))
        progress(f"experiment: {name} epoch {epoch}/{setup.epochs}: training error "
                 f"{train_mistakes[-1] / len(data.train_labels):6.1%}, held-out error "
                 f"{heldout_mistakes[-1] / len(data.heldout_labels):6.1%}")
    return NetResult(name=name, kind=kind, depth=weighted_layers(net),
                     params=sum(p.numel() for p in net.parameters()),
                     train_mistakes=tuple(train_mistakes), heldout_mistakes=tuple(heldout_mistakes),
                     state_sha256=tuple(states))


def train(progress: Callable[[str], None], kernels: dict[str, str], setup: Setup = SETUP, epochs: int | None = None,
          nets: tuple[tuple[str, int], ...] | None = None) -> Results:
    """Train every net of the setup (or the ``nets`` given, as (kind, depth)), each from the same seed.

    ``epochs`` stops early on the same schedule: the curves of a short run
    are the first epochs of the full one. ``kernels`` is what the results
    record about the kernels that ran (experiment_kernels.fix_in_process).
    """
    data = load_data(setup)
    chosen = nets if nets is not None else tuple((kind, depth) for kind in setup.kinds for depth in setup.depths)
    with deterministic(setup.threads):
        results = tuple(train_net(setup, data, kind, depth, setup.epochs if epochs is None else epochs, progress)
                        for kind, depth in chosen)
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
    results = train(lambda line: print(line, file=sys.stderr, flush=True), kernels,
                    epochs=request["epochs"], nets=nets)
    sys.stdout.write(results.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
