"""The gate's side of the explorer: its data files hold this run's tensors, within the precision the page states.

This module never imports the writer (report/explorer_data.py). Its tensors come
from the check's own forward pass (verify/expected.py), each block's shortcut and
F(x) from calling the block's submodules on the block's input. It reads index.json, and
for every file it lists: the file is there, of the size its shape needs,
with the SHA-256 the index gives, and every decoded value is within half a
float16 unit in the last place of the check's own value. The index must
cover every channel of every tensor exactly once, with this run's names,
shapes and scales, and the folder may hold nothing else. Each problem is one
mismatch naming the file.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..core.config import DATA_FOLDER
from ..core.json_input import PUBLISHED_JSON_MAX_DEPTH, loads_bounded
from ..core.names import printable_name
from ..publish.journal import published_bytes
from .explorer_reference import ABSOLUTE_ERROR, RELATIVE_ERROR, ROLES, VALUE_BYTES, Reference
from .mismatch import UNREADABLE, Mismatch

INDEX = "index.json"
SCALED_LIMIT = 2.0**15  # a file is scaled by the least power of two that brings every value below this


def scale_exponent(values: np.ndarray) -> int:
    largest = float(np.abs(values).max()) if values.size else 0.0
    exponent = 0
    while largest / 2.0**exponent >= SCALED_LIMIT:
        exponent += 1
    return exponent


Group = tuple[str, dict[str, Any], list[np.ndarray]]  # what, its index entry, the check's tensors


def compare(folder: Path, reference: Reference) -> list[Mismatch]:
    """The data files in folder against the check's tensors: the index first, then every file it lists."""
    index_name = f"{DATA_FOLDER}/{INDEX}"
    data = published_bytes(folder / INDEX)
    try:
        index = loads_bounded(data.decode("utf-8"), PUBLISHED_JSON_MAX_DEPTH) if data is not None else None
    except ValueError as error:
        return [Mismatch(index_name, "file", "the explorer's index as JSON", f"unreadable ({error})")]
    if data is None:
        return [Mismatch(index_name, "file", "the explorer's index as JSON", UNREADABLE)]
    if not isinstance(index, dict):
        return [Mismatch(index_name, "file", "the explorer's index as a JSON object", type(index).__name__)]
    mismatches: list[Mismatch] = []

    def fail(place: str, expected: str, found: str) -> None:
        mismatches.append(Mismatch(index_name, place, expected, found))

    listed: set[str] = {INDEX}
    for what, entry, arrays in indexed_groups(index, reference, fail):
        if entry.get("shape") != list(arrays[0].shape):
            fail(f"{what} shape", repr(list(arrays[0].shape)), repr(entry.get("shape")))
            continue
        files = _entries(entry.get("files"))
        runs = [_channel_run(file) for file in files]
        starts, ends = [run[0] if run else None for run in runs], [run[1] if run else None for run in runs]
        if not files or starts != [0, *ends[:-1]] or ends[-1] != arrays[0].shape[0]:
            fail(f"{what} channels", f"runs covering 0 to {arrays[0].shape[0]} once, in order",
                 repr([file.get("channels") for file in files]))
            continue
        for file in files:
            listed.add(str(file.get("file")))
            problem = check_file(folder, file, arrays)
            if problem:
                mismatches.append(Mismatch(f"{DATA_FOLDER}/{printable_name(str(file.get('file')))}", *problem))
    extra = sorted(printable_name(p.name) for p in folder.iterdir() if p.name not in listed) if folder.is_dir() else []
    mismatches += [Mismatch(f"{DATA_FOLDER}/{name}", "file", "only the files the index lists", "an extra file")
                   for name in extra]
    return mismatches


def indexed_groups(index: dict[str, Any], reference: Reference, fail: Callable[[str, str, str], None]) -> list[Group]:
    """The index's format, its tensors' names and order, each paired with the check's tensors."""
    wanted = {"format": "float16-le", "relative_error": RELATIVE_ERROR, "absolute_error": ABSOLUTE_ERROR,
              "roles": list(ROLES)}
    for key, value in wanted.items():
        if index.get(key) != value:
            fail(key, repr(value), repr(index.get(key)))
    groups: list[Group] = []
    stages = _entries(index.get("stages"))
    if [entry.get("name") for entry in stages] != list(reference.stages):
        fail("stages", ", ".join(reference.stages), repr([entry.get("name") for entry in stages]))
    else:
        groups += [(f"stage {entry['name']}", entry, [reference.stages[entry["name"]]]) for entry in stages]
    blocks = _entries(index.get("blocks"))
    if [entry.get("name") for entry in blocks] != list(reference.blocks):
        fail("blocks", ", ".join(reference.blocks), repr([entry.get("name") for entry in blocks]))
    else:
        for entry in blocks:
            downsample, arrays = reference.blocks[entry["name"]]
            if entry.get("downsample") is not downsample:
                fail(f"block {entry['name']} downsample", repr(downsample), repr(entry.get("downsample")))
            groups.append((f"block {entry['name']}", entry, arrays))
    filters = index.get("filters") if isinstance(index.get("filters"), dict) else {}
    if filters.get("name") != "conv1":
        fail("filters", "conv1", repr(filters.get("name")))
    groups.append(("filters conv1", filters, [reference.filters]))
    return groups


def _entries(value: object) -> list[dict[str, Any]]:
    """A list of JSON objects; anything else (a tampered index) reads as a list with a nameless entry."""
    if not isinstance(value, list):
        return []
    return [entry if isinstance(entry, dict) else {} for entry in value]


def _channel_run(entry: dict[str, Any]) -> tuple[int, int] | None:
    run = entry.get("channels")
    if isinstance(run, list) and len(run) == 2 and all(type(value) is int for value in run) and run[0] < run[1]:
        return run[0], run[1]
    return None


def check_file(folder: Path, entry: dict[str, Any], arrays: list[np.ndarray]) -> tuple[str, str, str] | None:
    """(place, expected, found) of the first problem with one data file, or None."""
    name, (first, last) = entry.get("file"), entry["channels"]
    if not isinstance(name, str) or "/" in name or name.startswith("."):
        return "index entry", "a plain file name", repr(name)
    parts = [array[first:last].astype(np.float64) for array in arrays]
    size = sum(part.size for part in parts) * VALUE_BYTES
    exponent = scale_exponent(np.stack(parts))
    data = published_bytes(folder / name)
    if data is None:
        return "file", f"{size} bytes of data", "missing" if not (folder / name).exists() else UNREADABLE
    if len(data) != size or entry.get("bytes") != size:
        return "size", f"{size} bytes", f"{len(data)} bytes, index says {entry.get('bytes')}"
    if entry.get("sha256") != hashlib.sha256(data).hexdigest():
        return "sha256", f"the index's {entry.get('sha256')}", hashlib.sha256(data).hexdigest()
    if entry.get("scale") != exponent:
        return "scale", f"2**{exponent}", f"2**{entry.get('scale')}"
    decoded = np.frombuffer(data, dtype="<f2").astype(np.float64) * 2.0**exponent
    wanted = np.concatenate([part.ravel() for part in parts])
    bound = RELATIVE_ERROR * np.abs(wanted) + ABSOLUTE_ERROR * 2.0**exponent
    wrong = np.flatnonzero(~(np.abs(decoded - wanted) <= bound * (1 + 1e-9)))
    if wrong.size == 0:
        return None
    position = int(wrong[0])
    role, offset = divmod(position, parts[0].size)
    channel, pixel = divmod(offset, math.prod(parts[0].shape[1:]))
    where = f"{ROLES[role] if len(parts) > 1 else 'value'} at channel {first + channel}, flat position {pixel}"
    return where, f"{wanted[position]:.6g} (within {bound[position]:.2g})", f"{decoded[position]:.6g}"
