"""The degradation experiment's results file: its format, its staleness rule, and the facts pages show from it.

The file (data/degradation-experiment.json) is committed, and a build reads
it instead of training. It records the setup, and for every net and every
seed the errors after every epoch (as counts of misclassified images), a
SHA-256 of the state after every epoch and after each of the first batches,
the torch version and the SHA-256 of the experiment's code (the modules
that define the data, the nets and the training). A file whose recorded
hash is not the code's own is stale: the build and the check refuse it, and
say how to make it again. The run's wall time is not in the file, so that
two runs write the same bytes. No torch here: pages are written from facts
alone.

The pages speak of all seeds together: a net's final error as the mean over
seeds with its lowest and highest, every claim chosen by those means (and
"settled" only when every seed settled), and beside each claim how many
seeds, taken alone, would choose the same wording.
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
MAX_DEPTH = 8  # the file nests 5 levels deep (the nets, a net, its runs, a run, its curve)
CODE_FILES: tuple[str, ...] = ("experiment/recipe.py", "experiment/train.py", "experiment/nets.py",
                               "experiment/kernels.py", "experiment/digits.py")
FORMAT = 3
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
    warmup_epochs: int  # epochs at warmup_learning_rate, before the schedule starts
    warmup_learning_rate: float
    learning_rate: float  # where the schedule starts, after the warm-up; it lowers it step by step
    momentum: float
    weight_decay: float
    schedule: str  # "cosine": down to zero over every step after the warm-up
    heldout_every: int  # every n-th image (by index) is held out
    seeds: tuple[int, ...]  # each net is trained once from each seed
    threads: int
    first_batches: int  # the steps after which every run records its state (the check trains them again)


@dataclass(frozen=True)
class SeedRun:
    seed: int
    train_mistakes: tuple[int, ...]  # after each epoch, on the whole training set
    heldout_mistakes: tuple[int, ...]
    state_sha256: tuple[str, ...]  # after each epoch: every parameter and buffer (train.state_sha256)
    batch_mistakes: tuple[int, ...]  # in each of the first batches, as its training step classified them
    batch_sha256: tuple[str, ...]  # the state after each of the first batches


@dataclass(frozen=True)
class NetResult:
    name: str  # plain-20, resnet-56
    kind: str
    depth: int
    params: int
    runs: tuple[SeedRun, ...]  # one per seed, in the setup's order


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
class Spread:
    """One number over the seeds: its mean, lowest and highest."""

    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class ExperimentRun:
    seed: int
    train_error: tuple[float, ...]  # per epoch
    heldout_error: tuple[float, ...]
    moved: float  # how far the training error moved over the last SETTLE_EPOCHS epochs


@dataclass(frozen=True)
class ExperimentNet:
    """One net as the pages show it: every seed's errors as fractions of their sets, and their spread."""

    name: str
    kind: str
    depth: int
    params: int
    runs: tuple[ExperimentRun, ...]
    final_train_error: Spread
    final_heldout_error: Spread
    moved: float  # the most any seed's training error moved over the last SETTLE_EPOCHS epochs


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
    warmup_epochs: int
    warmup_learning_rate: float
    learning_rate: float
    momentum: float
    weight_decay: float
    seeds: tuple[int, ...]
    seed_count: int
    threads: int
    first_batches: int
    torch_version: str
    code_sha256: str
    kernels: dict[str, str]
    nets: tuple[ExperimentNet, ...]
    unsettled: str  # the nets that did not settle in every seed, by name ("" when all did)
    agreement: dict[str, int]  # claim -> how many seeds, each taken alone, choose the wording shown
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
    """Results from their JSON, whole or narrowed to some nets, seeds and epochs; ValueError names what is wrong."""
    try:
        _refuse_deep(text)
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, not {FORMAT}")
        setup = Setup(**_tuples(data["setup"]))
        nets = tuple(NetResult(**{**_tuples(net), "runs": tuple(SeedRun(**_tuples(run)) for run in net["runs"])})
                     for net in data["nets"])
        return Results(setup=setup, nets=nets, **{key: data[key] for key in (
            "train_size", "heldout_size", "image_size", "classes", "code_sha256", "torch_version", "kernels")})
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{where} is not a results file of the experiment ({error})") from error


def _tuples(fields: dict) -> dict:
    """A JSON object's fields with its lists as tuples, as the dataclasses hold them."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in fields.items()}


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
    """Every net of the setup once, each with one run per seed holding a full curve that its sets can hold."""
    setup = results.setup
    wanted = sorted(net_name(kind, depth) for kind in setup.kinds for depth in setup.depths)
    if sorted(net.name for net in results.nets) != wanted:
        raise ValueError(f"nets {[net.name for net in results.nets]}, not {wanted}")
    for net in results.nets:
        if [run.seed for run in net.runs] != list(setup.seeds):
            raise ValueError(f"{net.name}: runs of seeds {[run.seed for run in net.runs]}, not {list(setup.seeds)}")
        for run in net.runs:
            _require_run(results, f"{net.name} seed {run.seed}", run)
    if not isinstance(results.kernels, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in results.kernels.items()):
        raise ValueError("kernels: not a record of the kernels that ran")


def _require_run(results: Results, name: str, run: SeedRun) -> None:
    """Counts of mistakes each set can hold, and a SHA-256 digest for every epoch and every first batch."""
    setup = results.setup
    for counts, size, length in ((run.train_mistakes, results.train_size, setup.epochs),
                                 (run.heldout_mistakes, results.heldout_size, setup.epochs),
                                 (run.batch_mistakes, setup.batch_size, setup.first_batches)):
        if len(counts) != length or not all(type(n) is int and 0 <= n <= size for n in counts):
            raise ValueError(f"{name}: not {length} counts of mistakes from 0 to {size}")
    for digests, length in ((run.state_sha256, setup.epochs), (run.batch_sha256, setup.first_batches)):
        if len(digests) != length or not all(
                isinstance(digest, str) and re.fullmatch("[0-9a-f]{64}", digest) for digest in digests):
            raise ValueError(f"{name}: not {length} SHA-256 digests of its state")


def spread(counts: list[int], size: int) -> Spread:
    """Counts of mistakes over the seeds as errors; the mean is one division, so equal totals give equal means."""
    return Spread(mean=sum(counts) / (len(counts) * size), low=min(counts) / size, high=max(counts) / size)


def moved(errors: tuple[float, ...]) -> float:
    """How far a curve moved over its last SETTLE_EPOCHS points."""
    return max(errors[-SETTLE_EPOCHS:]) - min(errors[-SETTLE_EPOCHS:])


def experiment_net(net: NetResult, train_size: int, heldout_size: int) -> ExperimentNet:
    runs = tuple(ExperimentRun(
        seed=run.seed, train_error=tuple(count / train_size for count in run.train_mistakes),
        heldout_error=tuple(count / heldout_size for count in run.heldout_mistakes),
        moved=moved(tuple(count / train_size for count in run.train_mistakes)),
    ) for run in net.runs)
    return ExperimentNet(
        name=net.name, kind=net.kind, depth=net.depth, params=net.params, runs=runs,
        final_train_error=spread([run.train_mistakes[-1] for run in net.runs], train_size),
        final_heldout_error=spread([run.heldout_mistakes[-1] for run in net.runs], heldout_size),
        moved=max(run.moved for run in runs),
    )


def experiment_facts(results: Results) -> Experiment:
    """What the pages show: each net's errors as fractions, their spread over seeds, and the setup they came from."""
    nets = tuple(experiment_net(net, results.train_size, results.heldout_size) for net in results.nets)
    shown = choose({(net.kind, net.depth): net.final_train_error.mean for net in nets},
                   {(net.kind, net.depth): net.final_heldout_error.mean for net in nets},
                   [net.moved for net in nets])
    agreement = dict.fromkeys(shown, 0)
    for index in range(len(results.setup.seeds)):
        alone = choose({(net.kind, net.depth): net.runs[index].train_error[-1] for net in nets},
                       {(net.kind, net.depth): net.runs[index].heldout_error[-1] for net in nets},
                       [net.runs[index].moved for net in nets])
        for name, variant in alone.items():
            agreement[name] += variant == shown[name]
    setup = results.setup
    return Experiment(
        dataset=setup.dataset, train_size=results.train_size, heldout_size=results.heldout_size,
        image_size=results.image_size, classes=results.classes, heldout_every=setup.heldout_every,
        widths=setup.widths, epochs=setup.epochs, batch_size=setup.batch_size, warmup_epochs=setup.warmup_epochs,
        warmup_learning_rate=setup.warmup_learning_rate, learning_rate=setup.learning_rate,
        momentum=setup.momentum, weight_decay=setup.weight_decay, seeds=setup.seeds, seed_count=len(setup.seeds),
        threads=setup.threads, first_batches=setup.first_batches, torch_version=results.torch_version,
        code_sha256=results.code_sha256, kernels=dict(results.kernels), nets=nets,
        unsettled=", ".join(net.name for net in nets if net.moved > SETTLE_SPAN), agreement=agreement,
    )


def outcome(experiment: Experiment) -> dict[str, str]:
    """The wordings that are true for these results: chosen by the nets' mean final errors over the seeds."""
    return choose({(net.kind, net.depth): net.final_train_error.mean for net in experiment.nets},
                  {(net.kind, net.depth): net.final_heldout_error.mean for net in experiment.nets},
                  [net.moved for net in experiment.nets])


def choose(train: dict[tuple[str, int], float], heldout: dict[tuple[str, int], float],
           movements: list[float]) -> dict[str, str]:
    """Each claim's wording, from final errors by (kind, depth) and how far each net's curve last moved.

    The deepest and shallowest nets of each kind are compared by their final
    training error, the paper's measure of degradation, and the residual
    nets by their final held-out error, the order of the paper's table.
    """
    shallow, deep = min(depth for _, depth in train), max(depth for _, depth in train)
    degraded = train["plain", deep] > train["plain", shallow]
    if train["residual", deep] >= train["plain", deep]:
        cure = "not_reduced"
    else:
        cure = "removed" if train["residual", deep] <= train["residual", shallow] else "reduced"
    deep_heldout, shallow_heldout = heldout["residual", deep], heldout["residual", shallow]
    return {
        "experiment_degradation": "degraded" if degraded else "not_degraded",
        "experiment_cure": cure,
        "experiment_shape": SHAPES[cure] if degraded else "not_reproduced",
        "experiment_heldout": ("as_paper" if deep_heldout < shallow_heldout
                               else "reversed" if deep_heldout > shallow_heldout else "equal"),
        "experiment_settled": "settled" if all(span <= SETTLE_SPAN for span in movements) else "not_settled",
    }
