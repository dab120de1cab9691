"""The degradation experiment's results file: its format, its staleness rule, and the facts pages show from it.

The file (data/degradation-experiment.json) is committed, and a build reads
it instead of training. It records the setup, the errors of every net after
every epoch (as counts of misclassified images), the torch version and the
SHA-256 of the experiment's code (the modules that define the nets and the
training). A file whose recorded hash is not the code's own is stale: the
build and the check refuse it, and say how to make it again. The run's wall
time is not in the file, so that two runs write the same bytes. No torch
here: pages are written from facts alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ..core import atomic
from ..core.config import PACKAGE
from ..core.errors import MismatchError
from ..core.input_file import open_input

RESULTS_FILE = PACKAGE / "data" / "degradation-experiment.json"
RESULTS_LIMIT = 1 << 20  # the file is a few kilobytes
MAX_DEPTH = 8  # the file nests 3 levels deep (the nets, a net, its curve)
CODE_FILES: tuple[str, ...] = ("experiment/train.py", "experiment/nets.py", "experiment/kernels.py")
FORMAT = 2
# A net has settled when its training error moved by at most SETTLE_SPAN over its last SETTLE_EPOCHS epochs.
SETTLE_EPOCHS = 3
SETTLE_SPAN = 0.01
# What the paper's result (deeper plain nets train worse; shortcuts fix it) becomes, given what shortcuts did here.
SHAPES = {"removed": "reproduced", "reduced": "partly", "not_reduced": "degradation_only"}
RERUN = "run `python -m generator experiment` to make it again"


@dataclass(frozen=True)
class Setup:
    dataset: str  # scikit-learn's data set, as load_<dataset> names it
    depths: tuple[int, ...]
    kinds: tuple[str, ...]
    widths: tuple[int, ...]  # channels of the three stages
    epochs: int
    batch_size: int
    optimiser: str
    learning_rate: float  # at the start; the schedule lowers it step by step
    momentum: float
    weight_decay: float
    schedule: str  # "cosine": down to zero over every step of every epoch
    heldout_every: int  # every n-th image (by index) is held out
    seed: int
    threads: int


@dataclass(frozen=True)
class NetResult:
    name: str  # plain-20, resnet-56
    kind: str
    depth: int
    params: int
    train_mistakes: tuple[int, ...]  # after each epoch, on the whole training set
    heldout_mistakes: tuple[int, ...]
    state_sha256: tuple[str, ...]  # after each epoch: every parameter and buffer (experiment.state_sha256)


@dataclass(frozen=True)
class Results:
    setup: Setup
    train_size: int
    heldout_size: int
    image_size: int
    classes: int
    nets: tuple[NetResult, ...]
    code_sha256: str
    torch_version: str
    kernels: dict[str, str]  # the machine and the kernels it trained with (experiment/kernels.py)

    def to_json(self) -> str:
        """Sorted keys, one value per line: the same results give the same bytes, and a diff reads well."""
        return json.dumps({"format": FORMAT, **asdict(self)}, sort_keys=True, indent=1) + "\n"


@dataclass(frozen=True)
class ExperimentNet:
    """One trained net as the pages show it: its errors as fractions of its sets."""

    name: str
    kind: str
    depth: int
    params: int
    train_error: tuple[float, ...]  # per epoch
    heldout_error: tuple[float, ...]
    final_train_error: float
    final_heldout_error: float


@dataclass(frozen=True)
class Experiment:
    dataset: str
    train_size: int
    heldout_size: int
    image_size: int
    classes: int
    heldout_every: int
    widths: tuple[int, ...]
    epochs: int
    batch_size: int
    learning_rate: float
    momentum: float
    weight_decay: float
    seed: int
    threads: int
    torch_version: str
    code_sha256: str
    kernels: dict[str, str]
    nets: tuple[ExperimentNet, ...]
    settle_epochs: int = SETTLE_EPOCHS
    settle_span: float = SETTLE_SPAN


def net_name(kind: str, depth: int) -> str:
    """The paper's names: plain-20, ResNet-56 (written resnet-56, like torchvision's builders)."""
    return f"{'plain' if kind == 'plain' else 'resnet'}-{depth}"


def code_sha256() -> str:
    """The experiment's code, file by file: any change to the nets or the training makes the results stale."""
    digest = hashlib.sha256()
    for name in CODE_FILES:
        digest.update(name.encode() + b"\0" + hashlib.sha256((PACKAGE / name).read_bytes()).digest())
    return digest.hexdigest()


def write(results: Results) -> None:
    atomic.write_text(RESULTS_FILE, results.to_json())


def read_text(path: Path) -> str:
    """The file's text, read like every input: a regular file under a limit."""
    with open_input(path, limit=RESULTS_LIMIT, error=MismatchError, noun="experiment results file",
                    advice=RERUN, missing_hint=RERUN) as opened:
        try:
            return opened.read_all().decode("utf-8")
        except UnicodeDecodeError as error:
            raise MismatchError(f"{path} is not UTF-8 text ({error.reason}); {RERUN}") from error


def parse(text: str, where: object) -> Results:
    """Results from their JSON, whole or narrowed to some nets and epochs; ValueError names what is wrong."""
    try:
        _refuse_deep(text)
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, not {FORMAT}")
        setup = Setup(**{key: tuple(value) if isinstance(value, list) else value for key, value in data["setup"].items()})
        nets = tuple(NetResult(**{key: tuple(value) if isinstance(value, list) else value for key, value in net.items()})
                     for net in data["nets"])
        return Results(setup=setup, nets=nets, **{key: data[key] for key in (
            "train_size", "heldout_size", "image_size", "classes", "code_sha256", "torch_version", "kernels")})
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{where} is not a results file of the experiment ({error})") from error


def _refuse_deep(text: str) -> None:
    """ValueError for JSON nested deeper than MAX_DEPTH, before json.loads meets it as a RecursionError.

    Strings are taken out first, so a bracket inside one does not count.
    """
    depth = 0
    for bracket in re.sub(r'"(?:[^"\\]|\\.)*"|[^\[\]{}"]+', "", text):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(bracket, 0)
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")


def read() -> Results:
    """The results, refused in one line when unreadable, malformed or made by other code than this."""
    path = RESULTS_FILE
    try:
        results = parse(read_text(path), path)
    except ValueError as error:
        raise MismatchError(f"{error}; {RERUN}") from error
    try:
        _require_complete(results)
    except (ValueError, TypeError) as error:
        raise MismatchError(f"{path} is not a results file of the experiment ({error}); {RERUN}") from error
    if results.code_sha256 != code_sha256():
        raise MismatchError(f"{path} is stale: the experiment's code changed since it was made; {RERUN}")
    return results


def _require_complete(results: Results) -> None:
    """Every net of the setup once, each with a count of mistakes per epoch that its set can hold."""
    setup = results.setup
    wanted = sorted(net_name(kind, depth) for kind in setup.kinds for depth in setup.depths)
    if sorted(net.name for net in results.nets) != wanted:
        raise ValueError(f"nets {[net.name for net in results.nets]}, not {wanted}")
    for net in results.nets:
        for counts, size in ((net.train_mistakes, results.train_size), (net.heldout_mistakes, results.heldout_size)):
            if len(counts) != setup.epochs or not all(type(n) is int and 0 <= n <= size for n in counts):
                raise ValueError(f"{net.name}: not {setup.epochs} counts of mistakes from 0 to {size}")
        if len(net.state_sha256) != setup.epochs or not all(
                isinstance(digest, str) and re.fullmatch("[0-9a-f]{64}", digest) for digest in net.state_sha256):
            raise ValueError(f"{net.name}: not {setup.epochs} SHA-256 digests of its state")
    if not isinstance(results.kernels, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in results.kernels.items()):
        raise ValueError("kernels: not a record of the kernels that ran")


def experiment_facts(results: Results) -> Experiment:
    """What the pages show: each net's errors as fractions, and the setup they came from."""
    nets = tuple(
        ExperimentNet(
            name=net.name, kind=net.kind, depth=net.depth, params=net.params,
            train_error=tuple(count / results.train_size for count in net.train_mistakes),
            heldout_error=tuple(count / results.heldout_size for count in net.heldout_mistakes),
            final_train_error=net.train_mistakes[-1] / results.train_size,
            final_heldout_error=net.heldout_mistakes[-1] / results.heldout_size,
        )
        for net in results.nets
    )
    setup = results.setup
    return Experiment(
        dataset=setup.dataset, train_size=results.train_size, heldout_size=results.heldout_size,
        image_size=results.image_size, classes=results.classes, heldout_every=setup.heldout_every, widths=setup.widths, epochs=setup.epochs,
        batch_size=setup.batch_size, learning_rate=setup.learning_rate, momentum=setup.momentum,
        weight_decay=setup.weight_decay, seed=setup.seed, threads=setup.threads,
        torch_version=results.torch_version, code_sha256=results.code_sha256, kernels=dict(results.kernels), nets=nets,
    )


def outcome(experiment: Experiment) -> dict[str, str]:
    """The wordings that are true for these results, each chosen by the numbers it speaks of.

    The deepest and shallowest nets of each kind are compared by their final
    training error, the paper's measure of degradation, and the residual
    nets by their final held-out error, the order of the paper's table.
    """
    train = {(net.kind, net.depth): net.final_train_error for net in experiment.nets}
    heldout = {(net.kind, net.depth): net.final_heldout_error for net in experiment.nets}
    shallow, deep = min(depth for _, depth in train), max(depth for _, depth in train)
    degraded = train["plain", deep] > train["plain", shallow]
    if train["residual", deep] >= train["plain", deep]:
        cure = "not_reduced"
    else:
        cure = "removed" if train["residual", deep] <= train["residual", shallow] else "reduced"
    deep_heldout, shallow_heldout = heldout["residual", deep], heldout["residual", shallow]
    settled = all(max(net.train_error[-SETTLE_EPOCHS:]) - min(net.train_error[-SETTLE_EPOCHS:]) <= SETTLE_SPAN
                  for net in experiment.nets)
    return {
        "experiment_degradation": "degraded" if degraded else "not_degraded",
        "experiment_cure": cure,
        "experiment_shape": SHAPES[cure] if degraded else "not_reproduced",
        "experiment_heldout": ("as_paper" if deep_heldout < shallow_heldout
                               else "reversed" if deep_heldout > shallow_heldout else "equal"),
        "experiment_settled": "settled" if settled else "not_settled",
    }
