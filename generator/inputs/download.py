"""Download torchvision's ImageNet file into torch's hub cache, verified, never trusting the network.

The transfer runs in a daemon thread so that a deadline without progress
also covers what socket timeouts cannot (a slow DNS lookup); the file lands
under a temporary name and is moved into place only when its full SHA-256 is
torchvision's. A failure says why in a few words, which the weights module
repeats when it falls back to random weights.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ..core import imagenet
from ..core.errors import WeightsError, one_line

_CHUNK = 1 << 20


def max_download_bytes() -> int:
    """A server sending more than twice the real file is not sending it."""
    return 2 * imagenet.IMAGENET_SIZE


class DownloadFailed(WeightsError):
    """A failed download, with its short reason kept for the fallback warning."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file this module wrote itself (a download), read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download_imagenet(dest: Path, timeout_s: float, log: Callable[[str], None] = lambda _: None) -> None:
    """Download the ImageNet file to ``dest``, verified, giving up after ``timeout_s`` without progress.

    The download runs in a daemon thread so that the deadline also covers what
    socket timeouts cannot (a slow DNS lookup); a late thread only ever writes
    to its temporary file, which is removed here. A download that keeps
    receiving bytes goes on, and says how far it got.
    """
    dest = Path(dest)
    url = imagenet.IMAGENET_URL

    def failure(reason: str) -> DownloadFailed:
        return DownloadFailed(
            f"could not download ImageNet weights from {url}: {reason}; "
            f"put {imagenet.IMAGENET_FILENAME} at {dest} by hand (the folder follows $TORCH_HOME) "
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
        while worker.is_alive() and received[0] > seen and received[0] <= max_download_bytes():
            seen = received[0]
            worker.join(timeout_s)
            if worker.is_alive() and received[0] > seen:
                log(f"downloading {imagenet.IMAGENET_FILENAME}: {received[0] / imagenet.IMAGENET_SIZE:.0%}")
        if worker.is_alive():
            raise failure(f"no progress for {timeout_s:g} s")
        if errors:
            raise failure(_describe_download_error(errors[0], timeout_s)) from errors[0]
        try:
            digest = sha256_file(partial)
        except OSError as exc:
            raise failure(f"cannot read back the file received: {exc.strerror or exc}") from exc
        if digest != imagenet.IMAGENET_SHA256:
            raise failure(f"the file received has SHA-256 {digest}, expected {imagenet.IMAGENET_SHA256}")
        try:
            os.replace(partial, dest)
        except OSError as exc:
            raise failure(f"cannot move the file into place: {exc.strerror or exc}") from exc
    finally:
        cancel.set()
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


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
                if received[0] > max_download_bytes():
                    raise ValueError(f"the server sent more than {max_download_bytes():,} bytes")
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
        return one_line(reason) if isinstance(reason, BaseException) else str(reason)
    return one_line(exc)
