"""Open a user's input file once, under a size limit, and read only through that descriptor.

A path can name a FIFO (opening it blocks until a writer comes), a device
(``/dev/zero`` never ends), a directory, or a file far larger than anything
the report needs. So the file is opened without blocking, the open
descriptor itself is checked to be a regular file of acceptable size before
a single byte is read, and every later read or hash goes through that same
descriptor: no second open by name can see a different file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import stat
from pathlib import Path
from types import TracebackType

from .errors import ReportError
from .names import printable_name

_CHUNK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class InputFile:
    """A regular file opened once; its size is known before any byte is read."""

    def __init__(self, path: Path, fd: int, size: int, error: type[ReportError], noun: str) -> None:
        self.path = path
        self.size = size
        self._fd = fd
        self._error = error
        self._noun = noun

    def __enter__(self) -> InputFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def read_at(self, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes from ``offset``, never past the size found at open."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ValueError(f"read of {length} bytes at {offset} is outside a {self.size}-byte file")
        parts = []  # one pread normally returns it all: no second copy of a large read
        while length:
            try:
                part = os.pread(self._fd, length, offset)
            except OSError as exc:
                raise self._error(
                    f"cannot read {self._noun} {printable_name(str(self.path))}: {exc.strerror or exc}"
                ) from exc
            if not part:
                raise self._error(
                    f"{self._noun} {printable_name(str(self.path))} got shorter while it was being read; "
                    "wait until whatever writes it has finished, then try again"
                )
            parts.append(part)
            offset += len(part)
            length -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read_all(self) -> bytes:
        return self.read_at(0, self.size)

    def sha256(self) -> str:
        """Hex SHA-256 of the file's bytes, read in 1 MiB chunks."""
        digest = hashlib.sha256()
        for offset in range(0, self.size, _CHUNK):
            digest.update(self.read_at(offset, min(_CHUNK, self.size - offset)))
        return digest.hexdigest()

    def stream(self) -> io.BufferedReader:
        """A file object over this descriptor that ends where the file ended at open."""
        return io.BufferedReader(_BoundedRaw(self))


class _BoundedRaw(io.RawIOBase):
    """Positional reads of an InputFile; it has no fileno, so no reader can go around the bound."""

    def __init__(self, source: InputFile) -> None:
        self._source = source
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._source.size}[whence]
        if base + offset < 0:
            raise OSError(errno.EINVAL, "negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        length = min(len(buffer), max(0, self._source.size - self._position))
        data = self._source.read_at(self._position, length)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def open_input(
    path: Path,
    *,
    limit: int,
    error: type[ReportError],
    noun: str,
    advice: str,
    missing_hint: str = "check the path",
    exact: bool = False,
    allow_empty: bool = False,
) -> InputFile:
    """Open ``path`` for reading if it is a non-empty regular file of at most ``limit`` bytes.

    With ``exact``, any size other than ``limit`` is refused; with
    ``allow_empty``, an empty file is accepted. Symlinks are
    followed, so a link is accepted only when its target is a regular file.
    Every refusal is ``error`` with a one-line message: ``noun``, the path,
    what is wrong, and ``advice`` (or ``missing_hint``) saying what to do.
    """
    path = Path(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError as exc:
        raise error(f"{noun} not found: {printable_name(str(path))} ({missing_hint})") from exc
    except OSError as exc:  # a socket cannot be opened at all (ENXIO): say what it is, if not a file
        with contextlib.suppress(OSError):
            _require_regular(path, os.stat(path).st_mode, error, noun)
        raise error(f"cannot open {noun} {printable_name(str(path))}: {exc.strerror or exc}; {advice}") from exc
    try:
        return _checked(path, fd, limit=limit, error=error, noun=noun, advice=advice, exact=exact,
                        allow_empty=allow_empty)
    except BaseException:
        os.close(fd)
        raise


def _checked(
    path: Path, fd: int, *, limit: int, error: type[ReportError], noun: str, advice: str, exact: bool,
    allow_empty: bool,
) -> InputFile:
    info = os.fstat(fd)
    _require_regular(path, info.st_mode, error, noun)
    size = info.st_size
    if size == 0 and not allow_empty:
        raise error(f"{noun} is empty (0 bytes): {printable_name(str(path))}; {advice}")
    if exact and size != limit:
        raise error(
            f"{noun} {printable_name(str(path))} is {size:,} bytes, not the expected {limit:,}, and was not read; {advice}"
        )
    if size > limit:
        raise error(
            f"{noun} too large: {printable_name(str(path))} is {size:,} bytes, over the limit of {limit:,}, "
            f"and was not read; {advice}"
        )
    os.set_blocking(fd, True)
    return InputFile(path, fd, size, error, noun)


def _require_regular(path: Path, mode: int, error: type[ReportError], noun: str) -> None:
    if stat.S_ISDIR(mode):
        raise error(f"{noun} {printable_name(str(path))} is a directory, not a file; pass the file itself")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), "a special file")
        raise error(
            f"{noun} {printable_name(str(path))} is {kind}, not a regular file, and was not read; "
            "pass a regular file (save the data to disk first)"
        )
