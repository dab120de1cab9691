"""The archive is described from its zip directory and pickle alone: no tensor built, no value read, no code run."""

from __future__ import annotations

import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import torch
from torchvision.models import resnet18

from generator.inputs import checkpoint
from generator.inputs.checkpoint import CheckpointError, ForbiddenGlobal, TensorRecord, read_metadata

from .archives import (
    FakeTensor,
    FakeTensorWithState,
    Member,
    archive_of,
    deflate_bomb,
    deflated,
    members_of,
    pickled,
    saved,
    zip_archive,
)


def _refused(data: bytes) -> str:
    with pytest.raises(CheckpointError) as caught:
        read_metadata(data)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def _traced_peak(action) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- what is described --------------------------------------------------------


def test_a_saved_state_dict_is_described_tensor_by_tensor() -> None:
    state_dict = resnet18(weights=None).state_dict()
    described = read_metadata(saved(state_dict))
    assert list(described) == list(state_dict)
    for key, tensor in state_dict.items():
        record = described[key]
        assert (record.dtype, record.shape, record.stride) == (tensor.dtype, tuple(tensor.shape), tensor.stride())
        assert record.storage_elements == tensor.numel(), key
    assert described._metadata == state_dict._metadata


def test_parameters_and_newer_dtypes_are_described() -> None:
    tensors = {
        "parameter": torch.nn.Parameter(torch.ones(2, 3)),
        "half": torch.zeros(4, dtype=torch.float16),
        "float8": torch.zeros(5, dtype=torch.float8_e4m3fn),  # saved through _rebuild_tensor_v3
        "complex": torch.zeros(2, dtype=torch.complex64),
        "flag": torch.zeros(3, dtype=torch.bool),
    }
    described = read_metadata(saved(tensors))
    assert {key: (record.dtype, record.shape) for key, record in described.items()} == {
        key: (tensor.dtype, tuple(tensor.shape)) for key, tensor in tensors.items()
    }


def test_values_are_never_read() -> None:
    """Storage bytes replaced by garbage of the same size: the description does not change."""
    original = saved({"weight": torch.arange(6.0).reshape(2, 3)})
    garbage = [
        Member(m.name, b"\xff" * len(m.payload)) if "/data/" in m.name else m for m in members_of(original)
    ]
    assert read_metadata(zip_archive(garbage)) == read_metadata(original)


def test_a_huge_expanded_tensor_is_described_in_a_few_bytes() -> None:
    """torch.zeros(1).expand(50000, 50000): one float on disk, 10 GB once its values are checked."""
    data = saved({"conv1.weight": torch.zeros(1).expand(50000, 50000)})
    described, peak = _traced_peak(lambda: read_metadata(data))
    assert described["conv1.weight"] == TensorRecord(torch.float32, (50000, 50000), (0, 0), 0, "0", 1)
    assert len(data) < 2000 and peak < 1_000_000


def test_a_real_resnet18_checkpoint_is_well_within_the_limits() -> None:
    members = members_of(saved(resnet18(weights=None).state_dict()))
    pickle_size = next(len(m.payload) for m in members if m.name.endswith("/data.pkl"))
    assert 2 * len(members) <= checkpoint.MAX_MEMBERS
    assert 10 * pickle_size <= checkpoint.MAX_PICKLE_BYTES


# --- the zip directory ----------------------------------------------------------


def test_a_deflate_bomb_is_refused_from_the_directory() -> None:
    data = deflate_bomb(1 << 30)  # 1 MB on disk, 1 GiB once inflated
    message, peak = _traced_peak(lambda: _refused(data))
    assert message == (
        "member archive/data/0 is compressed (zip method 8); torch.save stores members "
        "uncompressed, and a compressed one could inflate to any size"
    )
    assert peak < 5_000_000


def test_a_real_checkpoint_deflated_by_a_zip_tool_is_refused() -> None:
    members = members_of(saved({"weight": torch.zeros(1000)}))
    assert read_metadata(zip_archive(members))["weight"].shape == (1000,)
    assert "is compressed (zip method 8)" in _refused(deflated(members))


def test_too_many_members_are_refused_before_any_is_read() -> None:
    members = [Member("archive/data.pkl", pickled({}))] + [Member(f"archive/extra/{i}") for i in range(300)]
    assert _refused(zip_archive(members)) == "it has 301 members, over the limit of 256 for a ResNet18 checkpoint"


def test_a_large_pickle_is_refused_unread() -> None:
    big = pickled({"conv1.weight": "x" * 300_000})
    assert _refused(zip_archive([Member("archive/data.pkl", big)])) == (
        f"its pickle archive/data.pkl is {len(big):,} bytes, over the limit of 262,144 "
        "(a ResNet18 state_dict needs about 15,000)"
    )


def test_a_member_declaring_more_than_the_file_holds_is_refused() -> None:
    data = archive_of({"w": FakeTensor((4,))}, {"0": Member("archive/data/0", bytes(16), declared=10**8)})
    assert _refused(data) == (
        "member archive/data/0 declares 100,000,000 bytes, more than the file holds: it is truncated or corrupt"
    )


def test_members_sharing_bytes_are_refused() -> None:
    """Many storages pointing at one byte range would let a small file declare its size many times over."""
    members = [
        Member("archive/data.pkl", pickled({"a": FakeTensor((4,), "0"), "b": FakeTensor((4,), "1")})),
        Member("archive/data/0", bytes(16)),
        Member("archive/data/1", bytes(16), alias="archive/data/0"),
    ]
    assert _refused(zip_archive(members)) == "member archive/data/1 overlaps another or lies outside the file"


def test_a_member_with_two_sizes_is_refused() -> None:
    data = zip_archive([Member("archive/data.pkl", pickled({})), Member("archive/x", b"abc")])
    at = data.rindex(b"PK\x01\x02")  # the last directory entry: archive/x
    forged = data[: at + 20] + struct.pack("<I", 1) + data[at + 24 :]  # compressed size 1, size 3
    assert _refused(forged) == "member archive/x declares two different sizes: it is corrupt"


def test_encrypted_member_is_refused() -> None:
    assert _refused(zip_archive([Member("archive/data.pkl", pickled({}), flags=0x1)])) == (
        "member archive/data.pkl is encrypted"
    )


def test_a_truncated_archive_is_refused() -> None:
    data = saved({"w": torch.zeros(300)})
    assert _refused(data[: len(data) // 2]) == "it has no zip end record: it is truncated or corrupt"


def test_bytes_after_the_end_record_are_refused() -> None:
    data = zip_archive([Member("archive/data.pkl", pickled({}))], trailing=b"junk")
    assert _refused(data) == "it has bytes after its zip end record: it is truncated or corrupt"


def test_a_directory_outside_the_file_is_refused() -> None:
    data = zip_archive([Member("archive/data.pkl", pickled({}))])
    forged = data[:-6] + struct.pack("<I", 10**6) + data[-2:]  # the end record's directory offset
    assert _refused(forged) == "its zip directory lies beyond the end of the file: it is truncated or corrupt"


def test_members_outside_one_folder_are_refused() -> None:
    members = [Member("archive/data.pkl", pickled({})), Member("other/data/0", bytes(4))]
    assert _refused(zip_archive(members)) == "member other/data/0 is outside the archive's folder archive/"


def test_no_pickle_member() -> None:
    assert _refused(zip_archive([Member("archive/version", b"3\n")])) == (
        "it has no archive/data.pkl: it is not a torch.save checkpoint"
    )


# --- the pickle -----------------------------------------------------------------


def test_storage_record_of_another_size_is_refused() -> None:
    data = archive_of({"w": FakeTensor((1000,))}, {"0": Member("archive/data/0", bytes(40))})
    assert _refused(data) == "storage '0' declares 4,000 bytes but its record archive/data/0 holds 40"


def test_storage_without_record_is_refused() -> None:
    data = zip_archive([Member("archive/data.pkl", pickled({"w": FakeTensor((3,), "7")}))])
    assert _refused(data) == "storage '7' has no record archive/data/7"


@pytest.mark.parametrize(
    ("tensor", "reach"),
    [
        (FakeTensor((10, 10), elements=50), "reaches element 99 of storage '0', which holds 50"),
        (FakeTensor((2, 3), elements=6, stride=(1000, 1)), "reaches element 1,002 of storage '0', which holds 6"),
    ],
    ids=["storage-too-small", "stride-beyond-storage"],
)
def test_a_tensor_reaching_past_its_storage_is_refused(tensor: FakeTensor, reach: str) -> None:
    assert reach in _refused(archive_of({"w": tensor}))


_MALFORMED_TENSOR = "a tensor record in its pickle is malformed"


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        (FakeTensor((10**5000,), elements=1, stride=(0,)), _MALFORMED_TENSOR),
        (FakeTensor((2**63,), elements=1, stride=(0,)), _MALFORMED_TENSOR),
        (FakeTensor((4,), elements=2**63), "a storage reference in its pickle is malformed"),
    ],
    ids=["5000-digit-size", "size-beyond-int64", "storage-beyond-int64"],
)
def test_sizes_beyond_int64_are_refused(tensor: FakeTensor, message: str) -> None:
    """Not a real tensor, and Python refuses to print an int of over 4,300 digits in a message."""
    data = zip_archive([Member("archive/data.pkl", pickled({"w": tensor})), Member("archive/data/0", bytes(4))])
    assert _refused(data) == message


def test_a_storage_declared_twice_with_two_sizes_is_refused() -> None:
    data = archive_of({"a": FakeTensor((4,), "0"), "b": FakeTensor((8,), "0")})
    assert _refused(data) == "storage '0' is declared twice with different sizes"


@pytest.mark.parametrize("target", ["os.system", "builtins.eval", "torch.load", "torch.nn.parameter.Parameter"])
def test_any_other_global_is_refused_and_never_imported(target: str) -> None:
    module, name = target.rsplit(".", 1)
    payload = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\nq\x00."
    with pytest.raises(ForbiddenGlobal) as caught:
        read_metadata(zip_archive([Member("archive/data.pkl", payload)]))
    assert caught.value.name == target


def test_attributes_set_on_a_tensor_record_are_refused() -> None:
    """BUILD on a tensor is how legacy pickles call Tensor.set_ with a new shape; torch would follow it."""
    assert _refused(archive_of({"w": FakeTensorWithState((2,))})) == (
        "its pickle sets attributes on something other than the state_dict"
    )


def test_a_huge_memo_index_costs_nothing() -> None:
    """C pickle grows its memo array up to the index (gigabytes); the pure-Python one keeps a dict."""
    payload = b"\x80\x02}r" + struct.pack("<I", 0x7FFFFFF0) + b"."
    described, peak = _traced_peak(lambda: read_metadata(zip_archive([Member("archive/data.pkl", payload)])))
    assert described == {} and peak < 5_000_000


def test_a_malformed_storage_reference_is_refused() -> None:
    payload = b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01X\x03\x00\x00\x00badq\x02Q\x86q\x03s."
    assert _refused(zip_archive([Member("archive/data.pkl", payload)])) == (
        "it refers to data in a form torch.save does not write"
    )


def test_a_damaged_pickle_is_refused() -> None:
    data = saved({"w": torch.zeros(3)})
    members = [Member(m.name, m.payload[:12]) if m.name.endswith("data.pkl") else m for m in members_of(data)]
    assert _refused(zip_archive(members)).startswith("its pickle data is damaged (")


_SHALLOW_KEY = b")" + b"\x85" * 1_000  # () wrapped in 1,000 one-tuples


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"}" + _SHALLOW_KEY + b"K\x01s", "a key in its pickle is not text, as every key of a state_dict is"),
        (b"}(K\x01K\x02u", "a key in its pickle is not text, as every key of a state_dict is"),
        (b"(K\x01K\x02d", "a key in its pickle is not text, as every key of a state_dict is"),
        (b"\x8f(K\x01\x90", "its pickle builds a set, which a state_dict never holds"),
        (b"(K\x01\x91", "its pickle builds a set, which a state_dict never holds"),
        (b"ccollections\nOrderedDict\n]\x85R",
         "its pickle builds an OrderedDict from arguments, which torch.save never writes"),
    ],
    ids=["tuple-key", "int-key-setitems", "int-key-dict", "set", "frozenset", "ordereddict-arguments"],
)
def test_only_text_keys_are_hashed(body: bytes, message: str) -> None:
    assert _refused(zip_archive([Member("archive/data.pkl", b"\x80\x04" + body + b".")])) == message


@pytest.mark.process
def test_a_key_nested_250000_deep_is_refused_without_crashing(tmp_path: Path) -> None:
    """Hashing it overflows the C stack: CPython, and torch.load's own unpickler, die of a segfault.

    Run in a child, so that a regression fails this test instead of killing the test run.
    """
    body = b"\x80\x02}" + b")" + b"\x85" * 250_000 + b"K\x01s."  # within MAX_PICKLE_BYTES
    path = tmp_path / "deep.pth"
    path.write_bytes(zip_archive([Member("archive/data.pkl", body)]))
    probe = (
        "import sys; from pathlib import Path; from generator.inputs.checkpoint import read_metadata, CheckpointError\n"
        "try:\n    read_metadata(Path(sys.argv[1]).read_bytes())\n"
        "except CheckpointError as exc:\n    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=False)
    assert len(body) <= checkpoint.MAX_PICKLE_BYTES
    assert (result.returncode, result.stdout.strip()) == (
        0, "a key in its pickle is not text, as every key of a state_dict is"
    ), result.stderr[-500:]
