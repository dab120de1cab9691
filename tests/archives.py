"""Hand-made torch.save archives for the tests: real ones taken apart, forged ones put together.

Everything is built in memory at test time; nothing binary is committed.
"""

from __future__ import annotations

import collections
import io
import math
import pickle
import struct
import zipfile
import zlib
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Member:
    """One zip member as written, with whatever its headers should claim.

    ``declared``: the uncompressed size claimed (for a STORED member, both
    sizes). ``alias``: write no bytes, point the directory at that member's.
    """

    name: str
    payload: bytes = b""
    method: int = 0
    declared: int | None = None
    crc: int | None = None
    flags: int = 0
    alias: str | None = None


def saved(obj: object, **options) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, **options)
    return buffer.getvalue()


def members_of(data: bytes) -> list[Member]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [Member(info.filename, archive.read(info)) for info in archive.infolist()]


def zip_archive(members: list[Member], trailing: bytes = b"") -> bytes:
    """A zip (no data descriptors, no zip64) holding exactly what ``members`` say, true or not."""
    out = io.BytesIO()
    directory = []
    offsets: dict[str, int] = {}
    for member in members:
        name = member.name.encode()
        size = len(member.payload) if member.declared is None else member.declared
        stored = len(member.payload) if member.method else size
        crc = zlib.crc32(member.payload) if member.crc is None else member.crc
        header = (member.flags, member.method, 0, 0, crc, stored, size, len(name))
        if member.alias is None:
            offsets[member.name] = out.tell()
            out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, *header, 0) + name + member.payload)
        offset = offsets[member.alias or member.name]
        directory.append(
            struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, *header, 0, 0, 0, 0, 0, offset) + name
        )
    start = out.tell()
    out.write(b"".join(directory))
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(directory), len(directory), out.tell() - start, start, 0)
    return out.getvalue() + end + trailing


def deflated(members: list[Member]) -> bytes:
    """The same members written by Python's zipfile with deflate, as zip tools do."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in members:
            archive.writestr(member.name, member.payload)
    return buffer.getvalue()


def deflated_zeros(nbytes: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``nbytes`` zeros (a whole number of MiB) and its CRC-32, made in milliseconds.

    One MiB of zeros compressed with a full flush is self-contained, so the
    stream is that block repeated, then an empty final block.
    """
    chunk = bytes(1 << 20)
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = block.compress(chunk) + block.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(nbytes >> 20):
        crc = zlib.crc32(chunk, crc)
    return one * (nbytes >> 20) + final, crc


@dataclass(frozen=True)
class FakeTensor:
    """Pickles as a tensor record (torch's own _rebuild_tensor_v2) without any data behind it."""

    shape: tuple[int, ...]
    storage: str = "0"
    elements: int | None = None  # storage size; default: exactly what the shape needs
    stride: tuple[int, ...] | None = None
    storage_type: str = "FloatStorage"

    def __reduce__(self):
        stride = self.stride or tuple(math.prod(self.shape[index + 1 :]) for index in range(len(self.shape)))
        return (
            torch._utils._rebuild_tensor_v2,
            (_StorageRef(self), 0, self.shape, stride, False, collections.OrderedDict()),
        )


@dataclass(frozen=True)
class FakeTensorWithState(FakeTensor):
    """Pickles as a tensor record followed by BUILD: legacy pickles set a tensor's shape that way."""

    def __reduce__(self):
        return (*super().__reduce__(), ((_StorageRef(self), 0, (10**5, 10**5), (0, 0)),))


@dataclass(frozen=True)
class _StorageRef:
    tensor: FakeTensor


def pickled(obj: object) -> bytes:
    """Protocol 2, as torch.save writes it, with FakeTensor storages as persistent ids."""

    class Pickler(pickle.Pickler):
        def persistent_id(self, value: object) -> object:
            if not isinstance(value, _StorageRef):
                return None
            tensor = value.tensor
            elements = math.prod(tensor.shape) if tensor.elements is None else tensor.elements
            return ("storage", getattr(torch, tensor.storage_type), tensor.storage, "cpu", elements)

    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def archive_of(tensors: dict[str, FakeTensor], storages: dict[str, Member] | None = None) -> bytes:
    """A STORED archive of fake tensors whose storages hold zeros of the declared size, unless given."""
    members = [Member("archive/data.pkl", pickled(tensors))]
    for tensor in tensors.values():
        if storages and tensor.storage in storages:
            members.append(storages[tensor.storage])
        elif all(member.name != f"archive/data/{tensor.storage}" for member in members):
            elements = math.prod(tensor.shape) if tensor.elements is None else tensor.elements
            members.append(Member(f"archive/data/{tensor.storage}", bytes(4 * elements)))
    return zip_archive([*members, Member("archive/version", b"3\n")])


def deflate_bomb(nbytes: int) -> bytes:
    """A small archive whose one storage, deflated, declares ``nbytes`` of float32 zeros."""
    payload, crc = deflated_zeros(nbytes)
    return zip_archive([
        Member("archive/data.pkl", pickled({"fc.weight": FakeTensor((nbytes // 4,))})),
        Member("archive/data/0", payload, method=zipfile.ZIP_DEFLATED, declared=nbytes, crc=crc),
        Member("archive/version", b"3\n"),
    ])
