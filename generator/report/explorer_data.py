"""The explorer's data: every stage output, every block's shortcut, F(x) and output, and conv1's filters.

The page loads one file per selection, never the whole network, so the
tensors are cut into files of at most ``FILE_BYTES``: a file holds a run of
whole channels (as many as fit, a power of two). Values are stored as
IEEE float16, little-endian, channel by channel, row by row: rounding to
nearest keeps every value within half a unit in the last place, that is
``RELATIVE_ERROR`` of its size, or ``ABSOLUTE_ERROR`` for values too small
for a normal float16. Each file has a power-of-two scale (2**scale, almost
always 1) so that no value overflows float16; scaling by a power of two
changes no bit of the precision.

A block's file holds, for its channels, the shortcut (x itself, or the
projection of a downsampling block), F(x) and the block's output, in that
order: the page computes x + F(x) and ReLU(x + F(x)) itself. The block's x
of a downsampling block is the previous block's output, in its own file.

``index.json`` lists every file with its tensor, shape, channel range,
scale, size and SHA-256; the check (verify/explorer.py) decodes the files and
compares every value with its own forward pass.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import torch

from ..core import atomic
from ..core.limits import MAX_PIXELS
from ..model.resnet import RunCapture
from .facts import SMALL_CORRECTION_SHARE, ExplorerFacts

INDEX = "index.json"
FILE_BYTES = 256 * 1024
VALUE_BYTES = 2
FLOAT16 = np.finfo(np.float16)
RELATIVE_ERROR = float(FLOAT16.eps) / 2  # half a unit in the last place of a normal float16: 2**-11
ABSOLUTE_ERROR = float(FLOAT16.smallest_subnormal) / 2  # below the normal range: 2**-25
SCALED_LIMIT = 2.0**15  # values are scaled below this, safely under float16's largest finite value
BLOCK_ROLES: tuple[str, ...] = ("shortcut", "residual", "output")


def scale_exponent(values: np.ndarray) -> int:
    """The smallest non-negative e with every |value| / 2**e below SCALED_LIMIT."""
    largest = float(np.abs(values).max()) if values.size else 0.0
    return max(0, math.floor(math.log2(largest / SCALED_LIMIT)) + 1) if largest >= SCALED_LIMIT else 0


def encode(values: np.ndarray, exponent: int) -> bytes:
    return (values.astype(np.float64) / 2.0**exponent).astype("<f2").tobytes()


def channels_per_file(channel_bytes: int, channels: int) -> int:
    """As many whole channels as fit in FILE_BYTES, a power of two (at least one)."""
    fitting = max(1, FILE_BYTES // channel_bytes)
    return min(channels, 1 << (fitting.bit_length() - 1))


def chunked(prefix: str, tensors: list[np.ndarray]) -> tuple[list[dict[str, object]], dict[str, bytes]]:
    """Index entries and bytes of one tensor (or a block's tensors of one shape side by side), channel runs per file."""
    channels = tensors[0].shape[0]
    per_channel = math.prod(tensors[0].shape[1:]) * VALUE_BYTES * len(tensors)
    step = channels_per_file(per_channel, channels)
    entries, files = [], {}
    for first in range(0, channels, step):
        last = min(channels, first + step)
        parts = [tensor[first:last] for tensor in tensors]
        exponent = scale_exponent(np.stack(parts))
        data = b"".join(encode(part, exponent) for part in parts)
        name = f"{prefix}-{first}.bin"
        files[name] = data
        entries.append({"file": name, "channels": [first, last], "scale": exponent, "bytes": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()})
    return entries, files


def as_array(tensor: torch.Tensor) -> np.ndarray:
    """A batch-of-one activation (or a weight) as float32 numpy, without the batch axis."""
    array = tensor.detach().to(torch.float32).cpu().numpy()
    return array[0] if array.ndim == 4 and array.shape[0] == 1 else array


def explorer_files(capture: RunCapture, conv1_weight: torch.Tensor) -> dict[str, bytes]:
    """Every data file by name under DATA_FOLDER, index.json included: byte-identical for the same run."""
    files: dict[str, bytes] = {}
    stages = []
    views = {"conv1": capture.convolved, "maxpool": capture.pooled_stem, **capture.stages}
    for name, tensor in views.items():
        array = as_array(tensor)
        entries, data = chunked(f"stage-{name}", [array])
        files.update(data)
        stages.append({"name": name, "shape": list(array.shape), "files": entries})
    blocks = []
    for block in capture.blocks:
        arrays = [as_array(getattr(block, role)) for role in BLOCK_ROLES]
        entries, data = chunked(f"block-{block.name}", arrays)
        files.update(data)
        blocks.append({"name": block.name, "downsample": block.downsample, "shape": list(arrays[0].shape),
                       "files": entries})
    weights = as_array(conv1_weight)
    entries, data = chunked("filters-conv1", [weights])
    files.update(data)
    index = {
        "format": "float16-le", "relative_error": RELATIVE_ERROR, "absolute_error": ABSOLUTE_ERROR,
        "roles": list(BLOCK_ROLES), "stages": stages, "blocks": blocks,
        "filters": {"name": "conv1", "shape": list(weights.shape), "files": entries},
    }
    files[INDEX] = (json.dumps(index, indent=1, sort_keys=True) + "\n").encode("utf-8")
    return files


def explorer_facts(capture: RunCapture, conv1_weight: torch.Tensor) -> ExplorerFacts:
    """The precision and the size of the data, from the tensors' shapes: the files need not be encoded for it."""
    stages = [capture.convolved, capture.pooled_stem, *capture.stages.values()]
    blocks = [getattr(block, role) for block in capture.blocks for role in BLOCK_ROLES]
    values = sum(tensor.numel() for tensor in [*stages, *blocks, conv1_weight])
    return ExplorerFacts(relative_error=RELATIVE_ERROR, absolute_error=ABSOLUTE_ERROR, data_bytes=values * VALUE_BYTES,
                         small_correction_share=SMALL_CORRECTION_SHARE, reader_max_pixels=MAX_PIXELS)


def write_files(capture: RunCapture, conv1_weight: torch.Tensor, folder: Path) -> list[str]:
    """Every data file into folder; returns their names."""
    files = explorer_files(capture, conv1_weight)
    for name, data in files.items():
        atomic.write_bytes(folder / name, data)
    return sorted(files)
