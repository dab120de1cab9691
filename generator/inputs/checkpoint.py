"""Describe a torch.save archive from its bytes: every tensor's metadata, no tensor built, no code run.

torch.load believes what an archive declares: a member deflated from 47 MB
inflates to 4.3 GB, a 50000 x 50000 tensor is rebuilt from a single float,
and checking its values then needs gigabytes. This module reads only the
zip's central directory and the small pickle that names the tensors, with an
unpickler of its own that knows nothing but dicts, tensor records and
storage references. The caller can then check every key, dtype, shape and
storage size against what it expects before torch reads a single value.

Since torch 1.6 torch.save writes a zip of uncompressed (STORED) members:
``<prefix>/data.pkl`` (the pickle), one ``<prefix>/data/<key>`` per storage,
and a few small records (version, byteorder, ...).
"""

from __future__ import annotations

import collections
import functools
import io
import pickle
import struct
import warnings
from dataclasses import dataclass

import torch

from ..core.names import printable_name

# ResNet18 saved by torch.save has 122 tensors in 128 members; twice that is
# more than any plain checkpoint of it needs.
MAX_MEMBERS = 256
# ResNet18's pickle is 10-15 KB (key names and tensor metadata); 256 KiB
# leaves 17 times that and keeps the unpickler's objects to a few MB.
MAX_PICKLE_BYTES = 256 * 1024

_EOCD = struct.Struct("<4sHHHHIIH")
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_MAX_COMMENT = 0xFFFF
_ZIP64_EXTRA = 0x0001
_NAME_LIMIT = 64  # storage keys and locations; torch writes short numbers and "cpu"/"cuda:0"
_NAME_SHOWN = 80  # characters of a name from the file that a message quotes


class CheckpointError(Exception):
    """The archive is not a plain, well-formed torch.save checkpoint; the text says how."""


class ForbiddenGlobal(CheckpointError):
    """The pickle asks for a Python object that a plain state_dict never holds."""

    def __init__(self, name: str) -> None:
        super().__init__(f"it asks for {_shown(name)}")
        self.name = name


@dataclass(frozen=True, slots=True)
class TensorRecord:
    """What the archive declares about one tensor, without its values."""

    dtype: torch.dtype
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    offset: int
    storage: str
    storage_elements: int


@dataclass(frozen=True, slots=True)
class _StorageType:
    dtype: torch.dtype
    untyped: bool


@dataclass(frozen=True, slots=True)
class _Storage:
    key: str
    dtype: torch.dtype
    untyped: bool
    nbytes: int


def read_metadata(data: bytes) -> object:
    """The checkpoint's pickled object, with a TensorRecord wherever a tensor would be.

    Raises CheckpointError for an archive that is not a plain torch.save zip
    within the limits above, and ForbiddenGlobal for a pickle that asks for
    anything but dicts and tensors.
    """
    members = _members(memoryview(data))
    prefix = next(iter(members)).split("/", 1)[0]
    pickle_name = f"{prefix}/data.pkl"
    if pickle_name not in members:
        raise CheckpointError(f"it has no {_shown(pickle_name)}: it is not a torch.save checkpoint")
    start, size = members[pickle_name]
    if size > MAX_PICKLE_BYTES:
        raise CheckpointError(
            f"its pickle {_shown(pickle_name)} is {size:,} bytes, over the limit of {MAX_PICKLE_BYTES:,} "
            "(a ResNet18 state_dict needs about 15,000)"
        )
    unpickler = _MetadataUnpickler(io.BytesIO(data[start : start + size]))
    try:
        tree = unpickler.load()
    except CheckpointError:
        raise
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError, IndexError,
            KeyError, struct.error, UnicodeDecodeError, RecursionError) as exc:
        raise CheckpointError(f"its pickle data is damaged ({type(exc).__name__})") from exc
    for storage in unpickler.storages.values():
        record = f"{prefix}/data/{storage.key}"
        if record not in members:
            raise CheckpointError(f"storage {storage.key!r} has no record {_shown(record)}")
        if members[record][1] != storage.nbytes:
            raise CheckpointError(
                f"storage {storage.key!r} declares {storage.nbytes:,} bytes but its record "
                f"{_shown(record)} holds {members[record][1]:,}"
            )
    return tree


def _members(data: memoryview) -> dict[str, tuple[int, int]]:
    """Member name -> (data offset, size), after checking the central directory against the file."""
    count, directory, directory_size, directory_end = _directory(data)
    if count > MAX_MEMBERS:
        raise CheckpointError(f"it has {count:,} members, over the limit of {MAX_MEMBERS} for a ResNet18 checkpoint")
    if count == 0:
        raise CheckpointError("it is an empty zip archive")
    if directory + directory_size > directory_end:
        raise CheckpointError("its zip directory lies beyond the end of the file: it is truncated or corrupt")
    entries: list[tuple[int, str, int]] = []  # (local header offset, name, size)
    position = directory
    for _ in range(count):
        if position + _CENTRAL.size > directory + directory_size:
            raise CheckpointError("its zip directory is shorter than it declares: it is truncated or corrupt")
        fields = _CENTRAL.unpack_from(data, position)
        signature, flags, method, compressed, size = fields[0], fields[3], fields[4], fields[8], fields[9]
        name_length, extra_length, comment_length, local = fields[10], fields[11], fields[12], fields[16]
        if signature != b"PK\x01\x02":
            raise CheckpointError("its zip directory is damaged: it is truncated or corrupt")
        name_at = position + _CENTRAL.size
        name = _name(data[name_at : name_at + name_length])
        extra = data[name_at + name_length : name_at + name_length + extra_length]
        size, compressed, local = _zip64_values(extra, size, compressed, local)
        position = name_at + name_length + extra_length + comment_length
        if flags & 0x1:
            raise CheckpointError(f"member {_shown(name)} is encrypted")
        if method != 0:
            raise CheckpointError(
                f"member {_shown(name)} is compressed (zip method {method}); torch.save stores members "
                "uncompressed, and a compressed one could inflate to any size"
            )
        if compressed != size:
            raise CheckpointError(f"member {_shown(name)} declares two different sizes: it is corrupt")
        entries.append((local, name, size))
    if position != directory + directory_size:
        raise CheckpointError("its zip directory is longer than it declares: it is corrupt")
    return _placed(data, entries, directory)


def _directory(data: memoryview) -> tuple[int, int, int, int]:
    """(member count, directory offset, directory size, where the directory must end)."""
    tail_start = max(0, len(data) - _EOCD.size - _MAX_COMMENT)
    end = bytes(data[tail_start:]).rfind(b"PK\x05\x06")
    if end < 0:
        raise CheckpointError("it has no zip end record: it is truncated or corrupt")
    end += tail_start
    if end + _EOCD.size > len(data):
        raise CheckpointError("its zip end record is cut off: it is truncated or corrupt")
    _, disk, directory_disk, _, count, size, offset, comment = _EOCD.unpack_from(data, end)
    if end + _EOCD.size + comment != len(data):
        raise CheckpointError("it has bytes after its zip end record: it is truncated or corrupt")
    if disk or directory_disk:
        raise CheckpointError("it is a multi-part zip archive")
    locator = end - _ZIP64_LOCATOR.size
    if locator >= 0 and bytes(data[locator : locator + 4]) == b"PK\x06\x07":
        _, _, record, _ = _ZIP64_LOCATOR.unpack_from(data, locator)
        if record + _ZIP64_EOCD.size > locator or bytes(data[record : record + 4]) != b"PK\x06\x06":
            raise CheckpointError("its zip64 end record is damaged: it is truncated or corrupt")
        fields = _ZIP64_EOCD.unpack_from(data, record)
        if fields[4] or fields[5]:
            raise CheckpointError("it is a multi-part zip archive")
        count, size, offset, end = fields[7], fields[8], fields[9], record
    return count, offset, size, end


def _zip64_values(extra: memoryview, size: int, compressed: int, local: int) -> tuple[int, int, int]:
    """Apply a zip64 extra field: 64-bit values replace the 32-bit fields set to 0xFFFFFFFF."""
    position = 0
    while position + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, position)
        body = extra[position + 4 : position + 4 + length]
        position += 4 + length
        if kind != _ZIP64_EXTRA:
            continue
        values = list(struct.unpack_from(f"<{len(body) // 8}Q", body))
        fields = [size, compressed, local]
        for index, value in enumerate(fields):
            if value == 0xFFFFFFFF:
                if not values:
                    raise CheckpointError("a zip64 field is missing: it is corrupt")
                fields[index] = values.pop(0)
        return fields[0], fields[1], fields[2]
    return size, compressed, local


def _placed(data: memoryview, entries: list[tuple[int, str, int]], directory: int) -> dict[str, tuple[int, int]]:
    """Check each member's header and bytes lie inside the file without overlapping another's."""
    members: dict[str, tuple[int, int]] = {}
    prefix = entries[0][1].split("/", 1)[0]
    covered = 0
    for local, name, size in sorted(entries):
        if not name.startswith(prefix + "/"):
            raise CheckpointError(f"member {_shown(name)} is outside the archive's folder {_shown(prefix)}/")
        if name in members:
            raise CheckpointError(f"member {_shown(name)} appears twice")
        if local < covered or local + _LOCAL.size > directory:
            raise CheckpointError(f"member {_shown(name)} overlaps another or lies outside the file")
        fields = _LOCAL.unpack_from(data, local)
        if fields[0] != b"PK\x03\x04":
            raise CheckpointError(f"member {_shown(name)} has a damaged header: it is truncated or corrupt")
        start = local + _LOCAL.size + fields[9] + fields[10]
        if start + size > directory:
            raise CheckpointError(
                f"member {_shown(name)} declares {size:,} bytes, more than the file holds: it is truncated or corrupt"
            )
        members[name] = (start, size)
        covered = start + size
    return members


def _shown(name: str) -> str:
    """A member name as a message quotes it: escaped, and cut, since a name can be 64 KiB long."""
    name = printable_name(name)
    return name if len(name) <= _NAME_SHOWN else name[: _NAME_SHOWN - 1] + "…"


def _name(raw: memoryview) -> str:
    try:
        name = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError("a member name is not text: it is corrupt") from exc
    if "/" not in name:
        raise CheckpointError(f"member {_shown(name)} is not inside a folder: it is not a torch.save checkpoint")
    return name


@functools.cache
def _storage_types() -> dict[str, _StorageType]:
    """torch's legacy storage classes by name (torch.FloatStorage...) as the dtype they hold."""
    types = {"UntypedStorage": _StorageType(torch.uint8, untyped=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage is deprecated, and says so on access
        for name in dir(torch):
            dtype = getattr(getattr(torch, name), "dtype", None) if name.endswith("Storage") else None
            if isinstance(dtype, torch.dtype) and name not in ("Storage", "TypedStorage", "UntypedStorage"):
                types[name] = _StorageType(dtype, untyped=False)
    return types


@functools.cache
def _dtypes() -> dict[str, torch.dtype]:
    return {name: value for name, value in vars(torch).items() if isinstance(value, torch.dtype)}


def _load_build(unpickler: pickle._Unpickler) -> None:
    """BUILD sets attributes: allowed only for the _metadata that state_dict() attaches to its dict.

    Anywhere else it could change a record after it was checked (torch's own
    loader would call Tensor.set_ with a new shape).
    """
    state = unpickler.stack.pop()
    target = unpickler.stack[-1]
    if type(target) is not collections.OrderedDict or not isinstance(state, dict):
        raise CheckpointError("its pickle sets attributes on something other than the state_dict")
    target.__dict__.update(state)


def _load_setitem(unpickler: pickle._Unpickler) -> None:
    value = unpickler.stack.pop()
    key = unpickler.stack.pop()
    _set_items(unpickler.stack[-1], [key, value])


def _load_setitems(unpickler: pickle._Unpickler) -> None:
    items = unpickler.pop_mark()
    _set_items(unpickler.stack[-1], items)


def _load_dict(unpickler: pickle._Unpickler) -> None:
    items = unpickler.pop_mark()
    target: dict[str, object] = {}
    _set_items(target, items)
    unpickler.append(target)


def _set_items(target: object, items: list[object]) -> None:
    """Text keys only: hashing a key nested 100,000 tuples deep overflows the C stack (a segfault)."""
    keys, values = items[0::2], items[1::2]
    if not all(type(key) is str for key in keys):
        raise CheckpointError("a key in its pickle is not text, as every key of a state_dict is")
    for key, value in zip(keys, values):
        target[key] = value  # type: ignore[index]


def _refuse_set(_unpickler: pickle._Unpickler) -> None:
    raise CheckpointError("its pickle builds a set, which a state_dict never holds")


def _ordered_dict(*arguments: object) -> collections.OrderedDict:
    if arguments:  # torch.save writes OrderedDict() and then its items
        raise CheckpointError("its pickle builds an OrderedDict from arguments, which torch.save never writes")
    return collections.OrderedDict()


class _MetadataUnpickler(pickle._Unpickler):  # the pure-Python one: its memo is a dict, not an array
    """Rebuilds dicts and tensor records only; any other global is refused unimported.

    Every opcode that hashes what the pickle built is replaced by one that
    accepts text keys only, and every one that sets attributes by one that
    accepts only the _metadata of a state_dict.
    """

    dispatch = {
        **pickle._Unpickler.dispatch,
        pickle.BUILD[0]: _load_build,
        pickle.SETITEM[0]: _load_setitem,
        pickle.SETITEMS[0]: _load_setitems,
        pickle.DICT[0]: _load_dict,
        pickle.ADDITEMS[0]: _refuse_set,
        pickle.FROZENSET[0]: _refuse_set,
    }

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> object:
        if (module, name) == ("collections", "OrderedDict"):
            return _ordered_dict
        if module == "torch._utils" and name in _REBUILDERS:
            return _REBUILDERS[name]
        if module in ("torch", "torch.storage") and name in _storage_types():
            return _storage_types()[name]
        if module == "torch" and name in _dtypes():
            return _dtypes()[name]
        raise ForbiddenGlobal(f"{module}.{name}")

    def persistent_load(self, pid: object) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise CheckpointError("it refers to data in a form torch.save does not write")
        _, kind, key, location, count = pid
        if not (
            isinstance(kind, _StorageType) and _short_text(key) and _short_text(location)
            and _count(count)
        ):
            raise CheckpointError("a storage reference in its pickle is malformed")
        storage = _Storage(key, kind.dtype, kind.untyped, count * kind.dtype.itemsize)
        if self.storages.setdefault(key, storage) != storage:
            raise CheckpointError(f"storage {key!r} is declared twice with different sizes")
        return storage


def _tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None) -> TensorRecord:
    if not isinstance(storage, _Storage) or storage.untyped:
        raise CheckpointError("a tensor record in its pickle is malformed")
    return _record(storage, storage.dtype, offset, size, stride, requires_grad, hooks, metadata)


def _tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype, metadata=None) -> TensorRecord:
    if not isinstance(storage, _Storage) or not storage.untyped or not isinstance(dtype, torch.dtype):
        raise CheckpointError("a tensor record in its pickle is malformed")
    return _record(storage, dtype, offset, size, stride, requires_grad, hooks, metadata)


def _parameter(data, requires_grad, hooks) -> TensorRecord:
    if not isinstance(data, TensorRecord) or not isinstance(requires_grad, bool) or hooks:
        raise CheckpointError("a parameter record in its pickle is malformed")
    return data


def _parameter_with_state(data, requires_grad, hooks, state) -> TensorRecord:
    if state:
        raise CheckpointError("a parameter in it carries extra Python attributes")
    return _parameter(data, requires_grad, hooks)


_REBUILDERS = {
    "_rebuild_tensor_v2": _tensor_v2,
    "_rebuild_tensor_v3": _tensor_v3,
    "_rebuild_parameter": _parameter,
    "_rebuild_parameter_with_state": _parameter_with_state,
}


def _record(storage: _Storage, dtype: torch.dtype, offset, size, stride, requires_grad, hooks, metadata) -> TensorRecord:
    """A tensor's record, once its shape and strides are known to stay inside its storage."""
    well_formed = (
        _count(offset) and isinstance(size, tuple) and isinstance(stride, tuple)
        and len(size) == len(stride) and all(map(_count, size)) and all(map(_count, stride))
        and isinstance(requires_grad, bool) and not hooks and not metadata
    )
    if not well_formed:
        raise CheckpointError("a tensor record in its pickle is malformed")
    if storage.nbytes % dtype.itemsize:
        raise CheckpointError(f"storage {storage.key!r} does not hold whole {dtype} elements")
    elements = storage.nbytes // dtype.itemsize
    last = offset + sum((length - 1) * step for length, step in zip(size, stride))
    if (0 in size and offset > elements) or (0 not in size and last >= elements):
        raise CheckpointError(
            f"a tensor of shape {list(size)} reaches element {last:,} of storage {storage.key!r}, "
            f"which holds {elements:,}: it is corrupt"
        )
    return TensorRecord(dtype, size, stride, offset, storage.key, elements)


def _count(value: object) -> bool:
    """A size, stride, offset or element count: a non-negative int64, as torch stores them."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _short_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _NAME_LIMIT
