"""The check's own tensors for the explorer, and what the explorer page states about its data.

The check's forward pass (verify/expected.py) makes them; the comparison
with the published files (verify/explorer.py) reads them. The data are
float16, so a value is right within half of float16's gap at that value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..core.limits import MAX_PIXELS
from .onnx_model import ModelReference

FLOAT16 = np.finfo(np.float16)
RELATIVE_ERROR = float(FLOAT16.eps) / 2  # rounding to nearest: half the gap between neighbours, relative
ABSOLUTE_ERROR = float(FLOAT16.smallest_subnormal) / 2  # below float16's normal range the gap is fixed
STAGE_MODULES: tuple[str, ...] = ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4")
ROLES: tuple[str, ...] = ("shortcut", "residual", "output")
VALUE_BYTES = 2
SMALL_CORRECTION_SHARE = 0.25  # the explorer calls F(x) a correction at or below this share of a block's sum


@dataclass(frozen=True)
class Reference:
    """The check's own tensors, batch axis removed, as float32 (widened one file at a time when compared)."""

    stages: dict[str, np.ndarray]
    blocks: dict[str, tuple[bool, list[np.ndarray]]]  # name -> (downsamples, [shortcut, F(x), output])
    filters: np.ndarray
    model: ModelReference  # the check's model, against which the site's ONNX file is compared (verify/onnx_model.py)


def _array(tensor: torch.Tensor) -> np.ndarray:
    array = tensor.detach().to(torch.float32).numpy()
    return array[0] if array.ndim == 4 and array.shape[0] == 1 else array


def reference_from(stages: dict[str, torch.Tensor], blocks: dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
                   downsamples: dict[str, bool], filters: torch.Tensor, model: ModelReference) -> Reference:
    """The check's tensors as arrays: each stage's output, each block's (shortcut, F(x), output), conv1's weights."""
    return Reference(stages={name: _array(stages[name]) for name in STAGE_MODULES},
                     blocks={name: (downsamples[name], [_array(t) for t in tensors]) for name, tensors in blocks.items()},
                     filters=_array(filters), model=model)


def explorer_values(stages: list[torch.Tensor], block_outputs: list[torch.Tensor], filters: torch.Tensor) -> dict[str, Any]:
    """What the explorer page states about its data, as facts.json's dotted paths.

    The data hold each stage's output, three tensors of its output's shape
    per block (shortcut, F(x), output) and conv1's filters, in float16.
    """
    values = sum(t.numel() for t in stages) + len(ROLES) * sum(t.numel() for t in block_outputs) + filters.numel()
    return {"explorer.relative_error": RELATIVE_ERROR, "explorer.absolute_error": ABSOLUTE_ERROR,
            "explorer.data_bytes": VALUE_BYTES * values, "explorer.small_correction_share": SMALL_CORRECTION_SHARE,
            "explorer.reader_max_pixels": MAX_PIXELS}
