"""Find, verify and load ResNet18 weights without trusting the file.

torchvision's own loader checks only an 8-hex prefix of the SHA-256, only when
it downloads, and unpickles with full pickle semantics: a tampered file in the
hub cache would run code. So this module finds the ImageNet file itself, checks
its full SHA-256 before reading it, loads every file with ``weights_only=True``
and compares the result with torchvision's resnet18 before anyone uses it.

When no trained weights can be had, ``auto`` falls back to seeded random
weights and says so loudly; ``imagenet`` refuses instead. A cache file that is
present but wrong is never replaced silently: that is an error in every mode.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import torch
from torchvision.models import ResNet18_Weights, resnet18

from generator.errors import WeightsError

IMAGENET_WEIGHTS = ResNet18_Weights.IMAGENET1K_V1
IMAGENET_URL: str = IMAGENET_WEIGHTS.url
IMAGENET_FILENAME: str = PurePosixPath(urlsplit(IMAGENET_URL).path).name
# Full digest of torchvision's published file (DESIGN.md); torchvision itself
# only checks the 8 hex digits that appear in the file name.
IMAGENET_SHA256 = "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec"
IMAGENET_SIZE = 46_830_571

_CHUNK = 1 << 20
_HEAD_BYTES = 512
_ZIP_MAGIC = b"PK\x03\x04"
# torch.save's pre-1.6 format opens with its magic number pickled at protocol 2.
_LEGACY_MAGIC = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)[:-1]
_MAX_DOWNLOAD_BYTES = 2 * IMAGENET_SIZE
_EXPECTED = (
    "expected a plain ResNet18 state_dict (tensors under keys like 'conv1.weight'); "
    "save model.state_dict()"
)
_WRAPPER_KEYS = ("state_dict", "model")
_CHOICES = "--weights auto|imagenet|random|PATH"


@dataclass(frozen=True)
class WeightsProvenance:
    """Where the model's weights came from, as the report states it."""

    choice: str  # what the user asked: "auto", "imagenet", "random" or a path
    source: str  # "imagenet-cache", "imagenet-download", "file" or "random"
    trained: bool  # real weights (verified ImageNet file or the user's file)
    path: str | None  # file used; None for random
    sha256: str | None  # full hex digest of the file used
    size_bytes: int | None
    seed: int  # seed for random initialisation, recorded always
    fallback_reason: str | None  # why auto fell back: "no-cache-offline", "download-failed"


class _DownloadFailed(WeightsError):
    """A failed download, with its short reason kept for the fallback warning."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def imagenet_cache_path() -> Path:
    """Where torch's hub cache keeps the ImageNet file (follows $TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / IMAGENET_FILENAME


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Load a checkpoint with ``weights_only=True`` and check it is a clean state_dict."""
    path = Path(path)
    head = _read_head(path)
    if _looks_like_web_page(head):
        raise WeightsError(
            f"weights file {path} looks like an HTML page, not a checkpoint "
            "(likely a failed download): download it again"
        )
    if not head.startswith((_ZIP_MAGIC, _LEGACY_MAGIC)):
        raise WeightsError(
            f"weights file {path} is not a PyTorch checkpoint (no torch.save header): "
            "pass a file written by torch.save(model.state_dict(), PATH)"
        )
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise WeightsError(_unpickling_message(path, exc)) from exc
    except Exception as exc:  # torch reports damaged archives as RuntimeError, EOFError, ...
        raise WeightsError(
            f"cannot read weights file {path}: it is truncated or corrupt "
            f"({_one_line(exc)}); save or download it again"
        ) from exc
    return _plain_state_dict(loaded, path)


def check_resnet18_state_dict(state_dict: Mapping[str, torch.Tensor]) -> None:
    """Raise WeightsError unless the keys and shapes are exactly torchvision's resnet18."""
    expected = _resnet18_shapes()
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    wrong = [
        f"{key} shape {list(tensor.shape)} expected {list(expected[key])}"
        for key, tensor in state_dict.items()
        if key in expected and tuple(tensor.shape) != expected[key]
    ]
    problems = [
        f"{label} {_first_three(items)}"
        for label, items in (
            ("missing keys", missing),
            ("unexpected keys", unexpected),
            ("wrong shapes", wrong),
        )
        if items
    ]
    if problems:
        raise WeightsError(
            f"weights do not fit: {'; '.join(problems)}; "
            "expected torchvision resnet18 (1000-class fc)"
        )


def verify_imagenet_file(path: Path) -> str:
    """Check the full SHA-256 of the ImageNet file without loading it; return the digest."""
    path = Path(path)
    try:
        digest = sha256_file(path)
        size = path.stat().st_size
    except OSError as exc:
        raise WeightsError(
            f"cannot read ImageNet weights at {path}: {exc.strerror or exc}; "
            f"replace it with torchvision's {IMAGENET_FILENAME}"
        ) from exc
    if digest != IMAGENET_SHA256:
        raise WeightsError(
            f"ImageNet weights at {path} fail the SHA-256 check "
            f"(got {digest}, {size:,} bytes; expected {IMAGENET_SHA256}, "
            f"{IMAGENET_SIZE:,} bytes) and were not loaded: delete the file and "
            f"download {IMAGENET_FILENAME} again"
        )
    return digest


def download_imagenet(dest: Path, timeout_s: float, log: Callable[[str], None] = lambda _: None) -> None:
    """Download the ImageNet file to ``dest``, verified, giving up after ``timeout_s`` without progress.

    The download runs in a daemon thread so that the deadline also covers what
    socket timeouts cannot (a slow DNS lookup); a late thread only ever writes
    to its temporary file, which is removed here. A download that keeps
    receiving bytes goes on, and says how far it got.
    """
    dest = Path(dest)
    url = IMAGENET_URL

    def failure(reason: str) -> _DownloadFailed:
        return _DownloadFailed(
            f"could not download ImageNet weights from {url}: {reason}; "
            f"put {IMAGENET_FILENAME} at {dest} by hand (the folder follows $TORCH_HOME) "
            "or pass --weights PATH",
            reason,
        )

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as exc:
        raise failure(f"cannot write to {dest.parent}: {exc.strerror or exc}") from exc
    partial = Path(name)
    cancel = threading.Event()
    errors: list[Exception] = []
    received = [0]
    worker = threading.Thread(
        target=_fetch,
        args=(url, handle, timeout_s, cancel, errors, received),
        name="imagenet-download",
        daemon=True,
    )
    try:
        worker.start()
        seen = -1
        while worker.is_alive() and received[0] > seen and received[0] <= _MAX_DOWNLOAD_BYTES:
            seen = received[0]
            worker.join(timeout_s)
            if worker.is_alive() and received[0] > seen:
                log(f"downloading {IMAGENET_FILENAME}: {received[0] / IMAGENET_SIZE:.0%}")
        if worker.is_alive():
            raise failure(f"no progress for {timeout_s:g} s")
        if errors:
            raise failure(_describe_download_error(errors[0], timeout_s)) from errors[0]
        try:
            digest = sha256_file(partial)
        except OSError as exc:
            raise failure(f"cannot read back the file received: {exc.strerror or exc}") from exc
        if digest != IMAGENET_SHA256:
            raise failure(f"the file received has SHA-256 {digest}, expected {IMAGENET_SHA256}")
        try:
            os.replace(partial, dest)
        except OSError as exc:
            raise failure(f"cannot move the file into place: {exc.strerror or exc}") from exc
    finally:
        cancel.set()
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def resolve_weights(
    choice: str,
    seed: int,
    allow_download: bool,
    download_timeout_s: float = 5.0,
    log: Callable[[str], None] = print,
) -> tuple[dict[str, torch.Tensor] | None, WeightsProvenance]:
    """Turn ``--weights`` into a checked state_dict (None means seeded random init)."""
    if choice == "random":
        return None, _random_provenance(choice, seed, None)
    if choice not in ("auto", "imagenet"):
        return _load_trained(choice, "file", Path(choice).expanduser(), None, seed)

    path = imagenet_cache_path()
    source = "imagenet-cache"
    if not path.exists():
        if allow_download:
            try:
                log(f"weights: downloading {IMAGENET_URL} (gives up after {download_timeout_s:g} s without progress)")
                download_imagenet(path, download_timeout_s, log)
                source = "imagenet-download"
            except _DownloadFailed as exc:
                if choice == "imagenet":
                    raise
                return _fall_back(
                    choice, seed, path, "download-failed", f"download failed: {exc.reason}", log
                )
        elif choice == "imagenet":
            raise WeightsError(
                f"ImageNet weights not found at {path} and downloads are off: put "
                f"{IMAGENET_FILENAME} there (the folder follows $TORCH_HOME) or pass --weights PATH"
            )
        else:
            return _fall_back(choice, seed, path, "no-cache-offline", "downloads are off", log)

    digest = verify_imagenet_file(path)
    return _load_trained(choice, source, path, digest, seed)


def _load_trained(
    choice: str, source: str, path: Path, digest: str | None, seed: int
) -> tuple[dict[str, torch.Tensor], WeightsProvenance]:
    """Load a file (verified first where it must be), check it is resnet18, and say where it came from.

    A user's file is hashed after loading, so a missing or bad file gets load_state_dict's message.
    """
    state_dict = load_state_dict(path)
    check_resnet18_state_dict(state_dict)
    provenance = WeightsProvenance(
        choice=choice,
        source=source,
        trained=True,
        path=str(path),
        sha256=digest or sha256_file(path),
        size_bytes=path.stat().st_size,
        seed=seed,
        fallback_reason=None,
    )
    return state_dict, provenance


def _fall_back(
    choice: str, seed: int, path: Path, reason: str, detail: str, log: Callable[[str], None]
) -> tuple[None, WeightsProvenance]:
    log(
        f"WARNING: ImageNet weights not found at {path} ({detail}); using seeded random "
        f"weights (seed {seed}): predictions are meaningless"
    )
    return None, _random_provenance(choice, seed, reason)


def _random_provenance(choice: str, seed: int, reason: str | None) -> WeightsProvenance:
    return WeightsProvenance(
        choice=choice,
        source="random",
        trained=False,
        path=None,
        sha256=None,
        size_bytes=None,
        seed=seed,
        fallback_reason=reason,
    )


def _read_head(path: Path) -> bytes:
    if not path.exists():
        raise WeightsError(f"weights file not found: {path} (use {_CHOICES})")
    if path.is_dir():
        raise WeightsError(
            f"weights path is a directory, not a file: {path} (pass the .pth file itself)"
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise WeightsError(f"cannot read weights file {path}: {exc.strerror or exc}") from exc
    if not head:
        raise WeightsError(f"weights file is empty (0 bytes): {path}; save or download it again")
    return head


def _looks_like_web_page(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<") and (b"<html" in text or b"<!doctype" in text)


def _unpickling_message(path: Path, exc: pickle.UnpicklingError) -> str:
    text = str(exc)
    if "Unsupported operand" in text or "String is too long" in text:
        return (
            f"cannot read weights file {path}: it is corrupt (its pickle data is damaged); "
            "save or download it again"
        )
    marker = "GLOBAL "
    found = text.split(marker, 1)[1].split()[0] if marker in text else None
    asked = f" (it asks for {found})" if found else ""
    return (
        f"refused {path}: file contains code/objects that weights_only loading does not "
        f"allow{asked}; it was not executed: pass a plain state_dict saved with "
        "torch.save(model.state_dict(), PATH)"
    )


def _plain_state_dict(loaded: object, path: Path) -> dict[str, torch.Tensor]:
    if not isinstance(loaded, dict):
        raise WeightsError(f"{path} holds a {type(loaded).__name__}, not a state_dict: {_EXPECTED}")
    wrapper = next((key for key in _WRAPPER_KEYS if key in loaded), None)
    if wrapper is not None:
        raise WeightsError(
            f"{path} wraps its weights in a checkpoint dict under '{wrapper}' "
            f"(top-level keys: {_first_three(list(loaded))}); {_EXPECTED}, "
            f"e.g. torch.save(checkpoint['{wrapper}'], PATH)"
        )
    not_text = next((key for key in loaded if not isinstance(key, str)), None)
    if not_text is not None:
        raise WeightsError(f"{path} has a non-text key {not_text!r}: {_EXPECTED}")
    prefixed = next((key for key in loaded if key.startswith("module.")), None)
    if prefixed is not None:
        raise WeightsError(
            f"{path} has DataParallel keys prefixed 'module.' (e.g. '{prefixed}'); expected a "
            "plain ResNet18 state_dict with keys like 'conv1.weight': strip 'module.' from "
            "the keys or save model.module.state_dict()"
        )
    for key, value in loaded.items():
        if not isinstance(value, torch.Tensor):
            raise WeightsError(
                f"{path}: '{key}' holds a {type(value).__name__}, not a tensor: {_EXPECTED}"
            )
    for key, value in loaded.items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            kind = "NaN" if bool(torch.isnan(value).any()) else "infinite values"
            raise WeightsError(
                f"{path}: tensor '{key}' contains {kind}; these weights are broken "
                "(diverged training or a damaged file): use another file"
            )
    return loaded


@functools.cache
def _resnet18_shapes() -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):
        model = resnet18(weights=None)
    return {key: tuple(tensor.shape) for key, tensor in model.state_dict().items()}


def _first_three(items: list[str]) -> str:
    shown = ", ".join(items[:3])
    return shown + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text.split(". ", 1)[0] if len(text) > 160 else text


def _fetch(
    url: str, handle: int, timeout_s: float, cancel: threading.Event, errors: list[Exception],
    received: list[int],
) -> None:
    """Stream ``url`` into the open file ``handle``; runs in the download thread."""
    try:
        with (
            os.fdopen(handle, "wb") as out,
            urllib.request.urlopen(url, timeout=timeout_s) as response,
        ):
            while not cancel.is_set() and (chunk := response.read1(_CHUNK)):
                received[0] += len(chunk)
                if received[0] > _MAX_DOWNLOAD_BYTES:
                    raise ValueError(f"the server sent more than {_MAX_DOWNLOAD_BYTES:,} bytes")
                out.write(chunk)
    except Exception as exc:  # handed to the waiting thread, which reports it
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()  # it holds the error response's connection open
        errors.append(exc)


def _describe_download_error(exc: Exception, timeout_s: float) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return f"no answer within {timeout_s:g} s"
        return _one_line(reason) if isinstance(reason, BaseException) else str(reason)
    return _one_line(exc)
