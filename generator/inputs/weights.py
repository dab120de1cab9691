"""Find, verify and load ResNet18 weights without trusting the file.

torchvision's own loader checks only an 8-hex prefix of the SHA-256, only when
it downloads, and unpickles with full pickle semantics: a tampered file in the
hub cache would run code. So this module finds the ImageNet file itself, checks
its size and then its full SHA-256 before loading it, and loads every file with
``weights_only=True``.

Limits come before trust: every file is read once, through a bounded reader,
and the archive's own description of its tensors (keys, dtypes, shapes,
storage sizes) is checked against torchvision's resnet18 before torch reads a
value, so a small hostile file cannot make the loader allocate gigabytes.

When no trained weights can be had, ``auto`` falls back to seeded random
weights and says so loudly; ``imagenet`` refuses instead. A cache file that is
present but wrong is never replaced silently: that is an error in every mode.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torchvision.models import resnet18

from ..core import imagenet
from ..core.errors import WeightsError, one_line
from ..core.input_file import open_input
from ..core.limits import ARCHIVE_ALLOWANCE
from ..core.names import printable_name, printable_path
from . import download
from .checkpoint import CheckpointError, ForbiddenGlobal, TensorRecord, read_metadata

_HEAD_BYTES = 512
_ZIP_MAGIC = b"PK\x03\x04"
# torch.save's pre-1.6 format opens with its magic number pickled at protocol 2.
_LEGACY_MAGIC = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)[:-1]
_EXPECTED = (
    "expected a plain ResNet18 state_dict (tensors under keys like 'conv1.weight'); "
    "save model.state_dict()"
)
_WRAPPER_KEYS = ("state_dict", "model")
_CHOICES = "--weights auto|imagenet|random|PATH"
_RESAVE = "save it again with torch.save(model.state_dict(), PATH)"
# load_state_dict copies any of these into ResNet18's float32 parameters.
_REAL_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_INTEGERS = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
# BatchNorm counts training steps here; eval mode never reads it, and files
# saved before torch 0.4.1 (torchvision's ImageNet file among them) have none.
_COUNTER = "num_batches_tracked"
_KEY_SHOWN = 80


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


def max_file_bytes() -> int:
    """The largest weights file accepted: ResNet18 with every tensor in float64, plus its archive.

    float64 is the widest real dtype a state_dict can hold, so no honest
    ResNet18 file is larger; anything larger is refused before it is read.
    """
    return 8 * sum(math.prod(shape) for shape in _resnet18_shapes().values()) + ARCHIVE_ALLOWANCE


def load_state_dict(data: bytes, path: Path) -> dict[str, torch.Tensor]:
    """Turn a checkpoint's bytes into a checked ResNet18 state_dict, reading values last.

    Order: header; zip directory and pickle metadata (checkpoint.read_metadata);
    keys, shapes and dtypes against resnet18; only then torch.load with
    ``weights_only=True``, and the values (NaN/inf, negative running variances).
    """
    _check_header(data[:_HEAD_BYTES], path)
    try:
        declared = read_metadata(data)
    except ForbiddenGlobal as exc:
        raise WeightsError(
            f"refused {printable_path(path)}: file contains code/objects that a plain state_dict never holds "
            f"(it asks for {_short(exc.name)}); it was not executed: pass a plain state_dict saved with "
            "torch.save(model.state_dict(), PATH)"
        ) from exc
    except CheckpointError as exc:
        raise WeightsError(f"cannot use weights file {printable_path(path)}: {exc}; {_RESAVE}") from exc
    records = _plain_state_dict(declared, path)
    check_resnet18_state_dict(records, f"weights in {printable_path(path)}")
    _check_dtypes(records, path)
    try:
        loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as exc:
        raise WeightsError(
            f"cannot read weights file {printable_path(path)}: it is truncated or corrupt ({one_line(exc)}); {_RESAVE}"
        ) from exc
    state_dict = _as_declared(loaded, records, path)
    _check_values(state_dict, path)
    return state_dict


def check_resnet18_state_dict(
    state_dict: Mapping[str, torch.Tensor | TensorRecord], source: str = "weights"
) -> None:
    """Raise WeightsError unless the keys and shapes are torchvision's resnet18.

    Takes tensors or TensorRecords (both have a shape). BatchNorm's step
    counters may be missing: see _COUNTER.
    """
    expected = _resnet18_shapes()
    missing = [key for key in expected if key not in state_dict and not key.endswith(_COUNTER)]
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
            f"{source} do not fit: {'; '.join(problems)}; "
            "expected torchvision resnet18 (1000-class fc)"
        )


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
        return _load_trained(choice, "file", Path(choice).expanduser(), seed)

    path = imagenet.imagenet_cache_path()
    source = "imagenet-cache"
    if not path.exists():
        if allow_download:
            try:
                log(f"weights: downloading {imagenet.IMAGENET_URL} (gives up after {download_timeout_s:g} s without progress)")
                download.download_imagenet(path, download_timeout_s, log)
                source = "imagenet-download"
            except download.DownloadFailed as exc:
                if choice == "imagenet":
                    raise
                return _fall_back(
                    choice, seed, path, "download-failed", f"download failed: {exc.reason}", log
                )
        elif choice == "imagenet":
            raise WeightsError(
                f"ImageNet weights not found at {printable_path(path)} and downloads are off: put "
                f"{imagenet.IMAGENET_FILENAME} there (the folder follows $TORCH_HOME) or pass --weights PATH"
            )
        else:
            return _fall_back(choice, seed, path, "no-cache-offline", "downloads are off", log)

    return _load_trained(choice, source, path, seed)


def _load_trained(
    choice: str, source: str, path: Path, seed: int
) -> tuple[dict[str, torch.Tensor], WeightsProvenance]:
    """Read the file once, under its limit, then hash and load those same bytes.

    The ImageNet file must be torchvision's exact size before it is hashed,
    and its full SHA-256 must match before it is loaded.
    """
    data = _read_weights_file(path, is_imagenet=source != "file")
    digest = hashlib.sha256(data).hexdigest()
    if source != "file" and digest != imagenet.IMAGENET_SHA256:
        raise WeightsError(
            f"ImageNet weights at {printable_path(path)} fail the SHA-256 check "
            f"(got {digest}, {len(data):,} bytes; expected {imagenet.IMAGENET_SHA256}, "
            f"{imagenet.IMAGENET_SIZE:,} bytes) and were not loaded: delete the file and "
            f"download {imagenet.IMAGENET_FILENAME} again"
        )
    state_dict = load_state_dict(data, path)
    provenance = WeightsProvenance(
        choice=choice,
        source=source,
        trained=True,
        path=str(path),
        sha256=digest,
        size_bytes=len(data),
        seed=seed,
        fallback_reason=None,
    )
    return state_dict, provenance


def _read_weights_file(path: Path, is_imagenet: bool) -> bytes:
    if is_imagenet:
        opened = open_input(
            path, limit=imagenet.IMAGENET_SIZE, exact=True, error=WeightsError, noun="ImageNet weights file",
            advice=f"delete it and download {imagenet.IMAGENET_FILENAME} again (torchvision's file is "
            f"{imagenet.IMAGENET_SIZE:,} bytes, SHA-256 {imagenet.IMAGENET_SHA256})",
        )
    else:
        opened = open_input(
            path, limit=max_file_bytes(), error=WeightsError, noun="weights file",
            advice="pass a ResNet18 state_dict saved with torch.save(model.state_dict(), PATH) "
            "(even in float64 it fits the limit)",
            missing_hint=f"use {_CHOICES}",
        )
    with opened as file:
        return file.read_all()


def _fall_back(
    choice: str, seed: int, path: Path, reason: str, detail: str, log: Callable[[str], None]
) -> tuple[None, WeightsProvenance]:
    log(
        f"WARNING: ImageNet weights not found at {printable_path(path)} ({detail}); using seeded random "
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


def _check_header(head: bytes, path: Path) -> None:
    if _looks_like_web_page(head):
        raise WeightsError(
            f"weights file {printable_path(path)} looks like an HTML page, not a checkpoint "
            "(likely a failed download): download it again"
        )
    if head.startswith(_LEGACY_MAGIC):
        raise WeightsError(
            f"weights file {printable_path(path)} is in PyTorch's legacy format (before 1.6), whose tensor sizes "
            "cannot be checked before loading: re-save it with a current torch: "
            "state_dict = torch.load(OLD, weights_only=True); torch.save(state_dict, PATH)"
        )
    if not head.startswith(_ZIP_MAGIC):
        raise WeightsError(
            f"weights file {printable_path(path)} is not a PyTorch checkpoint (no torch.save header): "
            "pass a file written by torch.save(model.state_dict(), PATH)"
        )


def _looks_like_web_page(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<") and (b"<html" in text or b"<!doctype" in text)


def _plain_state_dict(loaded: object, path: Path) -> dict[str, TensorRecord]:
    """The archive's object, if it is a flat dict of tensors (checkpoint admits text keys only)."""
    if not isinstance(loaded, dict):
        raise WeightsError(f"{printable_path(path)} holds a {_type_name(loaded)}, not a state_dict: {_EXPECTED}")
    wrapper = next((key for key in _WRAPPER_KEYS if key in loaded), None)
    if wrapper is not None:
        raise WeightsError(
            f"{printable_path(path)} wraps its weights in a checkpoint dict under '{wrapper}' "
            f"(top-level keys: {_first_three(list(loaded))}); {_EXPECTED}, "
            f"e.g. torch.save(checkpoint['{wrapper}'], PATH)"
        )
    prefixed = next((key for key in loaded if key.startswith("module.")), None)
    if prefixed is not None:
        raise WeightsError(
            f"{printable_path(path)} has DataParallel keys prefixed 'module.' (e.g. '{_short(prefixed)}'); expected a "
            "plain ResNet18 state_dict with keys like 'conv1.weight': strip 'module.' from "
            "the keys or save model.module.state_dict()"
        )
    for key, value in loaded.items():
        if not isinstance(value, TensorRecord):
            raise WeightsError(
                f"{printable_path(path)}: '{_short(key)}' holds a {_type_name(value)}, not a tensor: {_EXPECTED}"
            )
    return dict(loaded)


def _type_name(value: object) -> str:
    return "tensor" if isinstance(value, TensorRecord) else type(value).__name__


def _check_dtypes(records: Mapping[str, TensorRecord], path: Path) -> None:
    """Parameters and running statistics are real floats; step counters are integers."""
    for key, record in records.items():
        counter = key.endswith(_COUNTER)
        allowed = _INTEGERS if counter else _REAL_FLOATS
        if record.dtype not in allowed:
            role = "a BatchNorm step counter is an integer" if counter else (
                "ResNet18's parameters and running statistics are real floats"
            )
            names = ", ".join(_dtype_name(dtype) for dtype in allowed)
            raise WeightsError(
                f"{printable_path(path)}: tensor '{key}' is {_dtype_name(record.dtype)}, but {role} ({names}): "
                "these are not trained float ResNet18 weights; pass the float state_dict itself"
            )


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _as_declared(loaded: object, records: Mapping[str, TensorRecord], path: Path) -> dict[str, torch.Tensor]:
    """torch.load's result, once it is exactly what the archive's metadata declared."""
    same = (
        isinstance(loaded, dict)
        and list(loaded) == list(records)
        and all(
            isinstance(tensor, torch.Tensor)
            and (tensor.dtype, tuple(tensor.shape), tensor.stride()) == (record.dtype, record.shape, record.stride)
            for tensor, record in zip(loaded.values(), records.values())
        )
    )
    if not same:
        raise WeightsError(
            f"cannot use weights file {printable_path(path)}: torch read it differently from its own description; "
            f"{_RESAVE}"
        )
    return {key: tensor.detach() for key, tensor in loaded.items()}


def _check_values(state_dict: Mapping[str, torch.Tensor], path: Path) -> None:
    for key, value in state_dict.items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            kind = "NaN" if bool(torch.isnan(value).any()) else "infinite values"
            raise WeightsError(
                f"{printable_path(path)}: tensor '{key}' contains {kind}; these weights are broken "
                "(diverged training or a damaged file): use another file"
            )
        if key.endswith("running_var") and bool((value < 0).any()):
            raise WeightsError(
                f"{printable_path(path)}: tensor '{key}' has negative values (down to {value.min().item():g}); "
                "a variance cannot be negative, so these weights are broken: use another file"
            )


@functools.cache
def _resnet18_shapes() -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):
        model = resnet18(weights=None)
    return {key: tuple(tensor.shape) for key, tensor in model.state_dict().items()}


def _first_three(items: list[str]) -> str:
    shown = ", ".join(_short(item) for item in items[:3])
    return shown + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")


def _short(key: str) -> str:
    """A key from the file as a message quotes it: escaped, and cut, since a 200 KB key would make a 200 KB line."""
    key = printable_name(key)
    return key if len(key) <= _KEY_SHOWN else key[: _KEY_SHOWN - 1] + "…"
