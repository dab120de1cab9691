"""The bounded reader: only regular files of acceptable size are opened, and nothing is read twice by name.

Every special file is made here in tmp_path (FIFOs, sockets, symlinks, sparse files).
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.core.errors import ImageError, ReportError, WeightsError
from generator.core.input_file import open_input

_ADVICE = "pass a proper file"


def _open(path: Path, limit: int = 1000, error: type[ReportError] = ImageError, **options):
    return open_input(path, limit=limit, error=error, noun="test file", advice=_ADVICE, **options)


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "listening.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield path
    server.close()


def test_regular_file_is_read_whole_hashed_and_streamed(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    content = bytes(range(256)) * 7
    path.write_bytes(content)
    with _open(path, limit=len(content)) as file:
        assert file.size == len(content)
        assert file.read_all() == content
        assert file.read_at(10, 5) == content[10:15]
        assert file.sha256() == hashlib.sha256(content).hexdigest()
        stream = file.stream()
        assert stream.read(3) == content[:3]
        stream.seek(-4, os.SEEK_END)
        assert stream.read() == content[-4:]


def test_reads_come_from_the_descriptor_not_the_name(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"first version")
    with _open(path) as file:
        path.unlink()
        path.write_bytes(b"a different file under the same name")
        assert file.read_all() == b"first version"


def test_the_stream_ends_where_the_file_ended_at_open(tmp_path: Path) -> None:
    path = tmp_path / "growing.bin"
    path.write_bytes(b"12345")
    with _open(path) as file:
        with path.open("ab") as writer:
            writer.write(b"appended later")
        assert file.stream().read() == b"12345"


def test_a_file_that_shrinks_while_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shrinking.bin"
    path.write_bytes(b"x" * 100)
    with _open(path) as file:
        os.truncate(path, 10)
        with pytest.raises(ImageError, match=r"got shorter while it was being read"):
            file.read_all()


def test_symlink_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    target = tmp_path / "target.bin"
    target.write_bytes(b"content")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    with _open(link) as file:
        assert file.read_all() == b"content"


def _refusal(path: Path, **options) -> str:
    with pytest.raises(WeightsError) as caught:
        _open(path, error=WeightsError, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_fifo_is_refused_at_once_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pth"
    os.mkfifo(fifo)  # no writer: a blocking open would wait forever
    assert _refusal(fifo) == (
        f"test file {fifo} is a FIFO (named pipe), not a regular file, and was not read; "
        "pass a regular file (save the data to disk first)"
    )


def test_socket_is_refused(unix_socket: Path) -> None:
    assert "is a socket, not a regular file" in _refusal(unix_socket)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_character_devices_are_refused(device: str) -> None:
    assert _refusal(Path(device)).startswith(f"test file {device} is a character device, not a regular file")


def test_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "innocent.png"
    link.symlink_to("/dev/zero")
    assert "is a character device, not a regular file, and was not read" in _refusal(link)


def test_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "weights.pth"
    link.symlink_to(fifo)
    assert "is a FIFO (named pipe), not a regular file" in _refusal(link)


def test_directory_is_refused(tmp_path: Path) -> None:
    assert _refusal(tmp_path) == f"test file {tmp_path} is a directory, not a file; pass the file itself"


def test_missing_file_names_the_hint(tmp_path: Path) -> None:
    path = tmp_path / "nope.bin"
    assert _refusal(path, missing_hint="use --thing") == f"test file not found: {path} (use --thing)"


def test_dangling_symlink_is_missing(tmp_path: Path) -> None:
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "gone")
    assert _refusal(link).startswith(f"test file not found: {link}")


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.bin"
    path.touch()
    assert _refusal(path) == f"test file is empty (0 bytes): {path}; {_ADVICE}"


def test_size_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.bin"
    path.write_bytes(b"x")
    os.truncate(path, 50 * 10**9)  # sparse: instant, and reading it would take minutes
    assert _refusal(path, limit=1000) == (
        f"test file too large: {path} is 50,000,000,000 bytes, over the limit of 1,000, "
        f"and was not read; {_ADVICE}"
    )


def test_size_at_the_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "exact.bin"
    path.write_bytes(b"y" * 1000)
    with _open(path, limit=1000) as file:
        assert file.size == 1000


@pytest.mark.parametrize("size", [999, 1001])
def test_exact_size_refuses_any_other(tmp_path: Path, size: int) -> None:
    path = tmp_path / "known.bin"
    path.write_bytes(b"z" * size)
    assert _refusal(path, limit=1000, exact=True) == (
        f"test file {path} is {size:,} bytes, not the expected 1,000, and was not read; {_ADVICE}"
    )


def test_an_open_error_is_one_line(tmp_path: Path) -> None:
    parent = tmp_path / "photo.png"
    parent.write_bytes(b"not a folder")
    path = parent / "inside"
    assert _refusal(path) == f"cannot open test file {path}: Not a directory; {_ADVICE}"


def test_descriptor_is_closed_after_a_refusal(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        _refusal(fifo)
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize("kind", ["missing", "fifo", "empty", "too-large", "directory"])
def test_a_refusal_names_the_file_on_one_line_whatever_its_name(tmp_path: Path, kind: str) -> None:
    """A file name may hold a newline, a tab or a bidi override; the refusal shows each escaped, on one line."""
    path = tmp_path / "photo\nerror: fake second line\u202e\tgnp.png"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "too-large":
        path.write_bytes(b"x" * 2000)
    elif kind == "directory":
        path.mkdir()
    with pytest.raises(ImageError) as refused:
        _open(path)
    message = str(refused.value)
    assert "\n" not in message and "\t" not in message and "\u202e" not in message, message
    assert "photo\\nerror: fake second line\\u202e\\tgnp.png" in message, message
