"""Memory and time stay bounded for any input: hostile files go through the real CLI under a hard memory limit.

A normal build's peak memory is measured first, in a child process. Every
hostile input then runs through ``generator.cli.main`` in one child whose
address space may grow, after its imports, by no more than 1.5 x that peak
minus what it already holds (RLIMIT_AS relative to the post-import size:
torch maps about 3 GB of libraries at import, so an absolute limit would stop
the import itself). A regression then fails with MemoryError, a traceback or a
wrong message instead of swapping; an alarm turns a hang into a failure.
Each run's own peak (VmHWM, reset before it) must stay under 1.5 x normal too,
and it may read (rchar) no more bytes than its input's limit: a refused file is
not hashed whole first either.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from PIL import Image
from torchvision.models import resnet18

from generator.core import imagenet, limits
from generator.core.errors import EXIT_CODES
from generator.inputs import image, weights

from .archives import deflate_bomb
from .conftest import ROOT

# Runs each argv list through the CLI and prints one JSON result per run.
_CHILD = r"""
import contextlib, io, json, os, re, resource, signal, sys
from generator import cli  # with all a build imports, before the limit
from generator.pipeline import mkdocs_child, site
from generator.report import compute, notebook
from generator.verify import expected, gate

def status(key):
    return int(re.search(key + r":\s+(\d+) kB", open("/proc/self/status").read()).group(1)) * 1024

def bytes_read():
    return int(re.search(r"rchar: (\d+)", open("/proc/self/io").read()).group(1))

class Hang(Exception):
    pass

def hang(*_):
    raise Hang(f"no answer after {sys.argv[3]} s")  # raised inside a blocked open() or read()

limit, runs = int(sys.argv[1]), json.loads(sys.argv[2])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (status("VmSize") + limit - status("VmRSS"), resource.RLIM_INFINITY))
signal.signal(signal.SIGALRM, hang)
results = []
for run in runs:
    os.environ["TORCH_HOME"] = run["torch_home"]
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM restarts from here: this run's peak
    err = io.StringIO()
    read_before = bytes_read()
    signal.alarm(int(sys.argv[3]))  # a hang fails its own case instead of blocking the batch
    try:
        with contextlib.redirect_stderr(err):
            rc = cli.main(run["argv"])
    except BaseException as exc:  # a crash is a result too, not the end of the batch
        rc, err = -1, io.StringIO(f"crash: {type(exc).__name__}: {exc}")
    signal.alarm(0)
    results.append({"rc": rc, "stderr": err.getvalue(), "peak": status("VmHWM"), "read": bytes_read() - read_before})
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"results": results, "children_peak": children}))
"""

_HANG_GUARD_S = 120  # per run: far beyond any refusal, so only a hang reaches it


def _run_children(runs: list[dict], limit: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(limit), json.dumps(runs), str(_HANG_GUARD_S)],
        cwd=ROOT, capture_output=True, text=True, timeout=_HANG_GUARD_S * (len(runs) + 1), check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _build_argv(root: Path, *options: str) -> list[str]:
    docs = root / "docs"
    if not docs.exists():
        shutil.copytree(ROOT / "docs" / "assets" / "static", docs / "assets" / "static")
    return ["build", "--offline", "--no-notebook-execution", "--no-pdf", "--quiet", "--out", str(root / "site"),
            "--docs", str(docs), "--mkdocs-yml", str(ROOT / "mkdocs.yml"), *options]


@pytest.fixture(scope="module")
def normal_peak(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Peak resident memory of a normal build (random weights, the sample image), in bytes."""
    root = tmp_path_factory.mktemp("normal")
    report = _run_children(
        [{"argv": _build_argv(root, "--weights", "random"), "torch_home": str(root / "torch")}], limit=0
    )
    (run,) = report["results"]
    assert run["rc"] == 0, run["stderr"]
    return max(run["peak"], report["children_peak"])


# --- the hostile inputs: each makes its file in `folder` and returns the CLI options --------


def _expand_bomb(folder: Path) -> list[str]:
    path = folder / "expand.pth"
    torch.save({"conv1.weight": torch.zeros(1).expand(50000, 50000)}, path)  # 1.6 KB, 10 GB expanded
    return ["--weights", str(path)]


def _deflate_bomb(folder: Path) -> list[str]:
    path = folder / "deflate.pth"
    path.write_bytes(deflate_bomb(2 << 30))  # 2 MB, declaring 2 GiB
    return ["--weights", str(path)]


def _fifo(name: str, option: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        os.mkfifo(folder / name)  # nobody ever writes: a blocking open or read waits forever
        return [option, str(folder / name), *(["--weights", "random"] if option == "--image" else [])]

    return make


def _device(device: str, option: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        return [option, device, *(["--weights", "random"] if option == "--image" else [])]

    return make


def _sparse_weights(folder: Path) -> list[str]:
    path = folder / "huge.pth"
    path.write_bytes(b"PK\x03\x04")
    os.truncate(path, 200_000_000)
    return ["--weights", str(path)]


def _cache(make_file: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    """The ImageNet file in the hub cache under $TORCH_HOME=folder/torch, made by make_file."""

    def make(folder: Path) -> list[str]:
        cached = folder / "torch" / "hub" / "checkpoints" / imagenet.IMAGENET_FILENAME
        cached.parent.mkdir(parents=True)
        make_file(cached)
        return ["--weights", "imagenet"]

    return make


def _sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(b"PK\x03\x04")
        os.truncate(path, size)

    return make


def _png(width: int, height: int, extra: int = 0) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / f"{width}x{height}.png"
        Image.new("RGB", (width, height), (200, 30, 30)).save(path)
        if extra:
            os.truncate(path, path.stat().st_size + extra)  # zeros after IEND: garbage, sparse on disk
        return ["--image", str(path), "--weights", "random"]

    return make


def _truncated_large_png(folder: Path) -> list[str]:
    """A header saying 6000 x 6000 (within the pixel limit) and no pixel data: decoding fails late."""
    path = folder / "promise.png"
    Image.new("RGB", (6000, 6000)).save(path, compress_level=1)
    path.write_bytes(path.read_bytes()[:4000])
    return ["--image", str(path), "--weights", "random"]


_CASES: dict[str, tuple[Callable[[Path], list[str]], str, str]] = {
    # name: (make, exit code name, the refusal's words)
    "weights-expand-bomb": (_expand_bomb, "weights", "do not fit: missing keys"),
    "weights-deflate-bomb": (_deflate_bomb, "weights", "member archive/data/0 is compressed (zip method 8)"),
    "weights-fifo": (_fifo("pipe.pth", "--weights"), "weights", "pipe.pth is a FIFO (named pipe), not a regular file"),
    "weights-dev-zero": (_device("/dev/zero", "--weights"), "weights", "/dev/zero is a character device"),
    "weights-200MB-sparse": (_sparse_weights, "weights", "weights file too large: "),
    "cache-symlink-to-dev-zero": (
        _cache(lambda path: path.symlink_to("/dev/zero")), "weights", "is a character device, not a regular file"
    ),
    "cache-fifo": (_cache(os.mkfifo), "weights", "is a FIFO (named pipe), not a regular file"),
    "cache-20GB-sparse": (
        _cache(_sparse(20 * 10**9)), "weights",
        f"is 20,000,000,000 bytes, not the expected {imagenet.IMAGENET_SIZE:,}, and was not read",
    ),
    "image-40000x1": (_png(40000, 1), "image", "image too elongated: "),
    "image-1x40000": (_png(1, 40000), "image", "image too elongated: "),
    "image-dev-zero": (_device("/dev/zero", "--image"), "image", "/dev/zero is a character device"),
    "image-dev-urandom": (_device("/dev/urandom", "--image"), "image", "/dev/urandom is a character device"),
    "image-64x64-then-2GiB": (_png(64, 64, extra=2 << 30), "image", "image file too large: "),
    "image-fifo": (_fifo("pipe.png", "--image"), "image", "pipe.png is a FIFO (named pipe), not a regular file"),
    "image-truncated-36MP": (_truncated_large_png, "image", "cannot decode image "),
}


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory: pytest.TempPathFactory, normal_peak: int) -> dict[str, dict]:
    """Every hostile case through the CLI in one child, under 1.5 x the normal build's peak."""
    runs, names = [], []
    for name, (make, _, _) in _CASES.items():
        folder = tmp_path_factory.mktemp(name)
        options = make(folder)
        runs.append({"argv": _build_argv(folder, *options), "torch_home": str(folder / "torch")})
        names.append(name)
    report = _run_children(runs, limit=int(1.5 * normal_peak))
    return dict(zip(names, report["results"]))


@pytest.mark.build
@pytest.mark.parametrize("case", list(_CASES))
def test_hostile_input_is_refused_in_bounded_memory(case: str, hostile_runs, normal_peak: int) -> None:
    _, exit_name, words = _CASES[case]
    run = hostile_runs[case]
    lines = run["stderr"].strip().splitlines()
    assert run["rc"] == EXIT_CODES[exit_name], run["stderr"]
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], run["stderr"]
    assert run["peak"] <= 1.5 * normal_peak, (run["peak"], normal_peak)
    limit = {"weights": limits.WEIGHTS_FILE_BOUND, "image": limits.MAX_IMAGE_FILE_BYTES}[exit_name]
    assert run["read"] <= limit, f"read {run['read']:,} bytes, past the {limit:,} an input may have"


def test_limits_leave_room_for_every_honest_input() -> None:
    """The caps are derived, not guessed: ResNet18 in float64, an RGBA picture at the pixel limit."""
    float64_bytes = 8 * sum(tensor.numel() for tensor in resnet18(weights=None).state_dict().values())
    assert weights.max_file_bytes() == float64_bytes + (1 << 20)
    assert imagenet.IMAGENET_SIZE < weights.max_file_bytes() < 2 * imagenet.IMAGENET_SIZE + (1 << 20)
    assert limits.MAX_IMAGE_FILE_BYTES == 4 * image.MAX_PIXELS + (1 << 20)
    assert weights.max_file_bytes() <= limits.WEIGHTS_FILE_BOUND < weights.max_file_bytes() + (1 << 20)
    resize = imagenet.IMAGENET_WEIGHTS.transforms().resize_size
    assert resize == [image.MODEL_SHORT_SIDE]
    assert image.MAX_ASPECT_RATIO * image.MODEL_SHORT_SIDE**2 <= image.MAX_PIXELS

