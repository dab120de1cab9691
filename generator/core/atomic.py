"""Write files and swap folders so that a reader never sees half of one.

Every output goes to a temporary file in the same folder and is renamed into
place, so a crash or kill -9 leaves either the old file or the new one. The
temporary name carries the writer's pid, so a later run can tell an abandoned
one from one still being written. Files are created with mode 0666 and
folders with 0777, less the user's umask, as any other tool's outputs are.
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from .errors import OutputError, UsageError
from .input_file import InputFile, open_input
from .names import printable_name

TEMP_SUFFIX = ".tmp"
RENAME_EXCHANGE = 2
AT_FDCWD = -100
_libc = ctypes.CDLL(None, use_errno=True)
_renameat2 = getattr(_libc, "renameat2", None)


def output_error(error: OSError, path: Path) -> OutputError:
    """One line naming the place and the reason, for any failed write."""
    return OutputError(f"cannot write {printable_name(str(error.filename or path))}: {error.strerror or error}; "
                       "check its permissions and free space, or choose another place")


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def temp_owner(name: str) -> int | None:
    """The pid in a temporary name made by temp_path, else None."""
    parts = name.split(".")
    if not name.startswith(".") or not name.endswith(TEMP_SUFFIX) or len(parts) < 5 or not parts[-3].isdigit():
        return None
    return int(parts[-3])


def write_bytes(path: Path, data: bytes) -> None:
    tmp = temp_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise output_error(error, path) from error


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def fsync_dir(folder: Path) -> None:
    """Make the renames in folder durable: a journal is only as good as the order its steps reach the disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno != errno.EINVAL:  # some filesystems cannot sync a folder; the rename is still atomic
            raise
    finally:
        os.close(fd)


def exchange(new: Path, old: Path) -> bool:
    """Swap two existing paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(AT_FDCWD, os.fsencode(new), AT_FDCWD, os.fsencode(old), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(old))


def copy_tree(source: Path, target: Path, file_limit: int) -> None:
    """Copy a folder of regular files without their modes, so the copies follow the umask like everything we write.

    Each file is read like any input (core/input_file.py): a pipe, a device, a
    socket, a link to one, or a file over ``file_limit`` is refused unread,
    with UsageError naming it; /dev/zero would otherwise be copied until
    the disk is full.
    """
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            _write(lambda: destination.mkdir(exist_ok=True), target)
            continue
        with _tree_file(path, source, file_limit) as opened:
            data = opened.read_all()
        _write(lambda: destination.write_bytes(data), target)


def check_tree(source: Path, file_limit: int) -> None:
    """What copy_tree would refuse, refused now, without reading a byte: before a build does any work."""
    for path in sorted(source.rglob("*")):
        if not path.is_dir():
            _tree_file(path, source, file_limit).close()


def _tree_file(path: Path, source: Path, file_limit: int) -> InputFile:
    return open_input(path, limit=file_limit, error=UsageError, noun="static file", allow_empty=True,
                      advice=f"keep only regular files of at most {file_limit:,} bytes in {printable_name(str(source))}")


def _write(write: Callable[[], object], target: Path) -> None:
    try:
        write()
    except OSError as error:
        raise output_error(error, target) from error
