"""The check's model-side values as plain data, and facts.json's tree as the dotted paths they are compared by.

``derive_expected`` (verify/expected.py) needs torch and a forward pass. These
values are never kept in a cache: an edited cache entry could otherwise be
the very reference the gate compares the pages with. The build's gate and
``check`` both derive them afresh, from the inputs and the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Expected:
    """What the check derived from the model and its sources: the reference every page is compared with."""

    values: dict[str, Any]  # dotted path -> value; empty lists and dicts are leaves too
    summary: tuple[tuple[str, str, str, int], ...]  # torchsummary rows: name, output shape, formula, parameters
    module_names: frozenset[str]
    residual_failures: tuple[str, ...]
    family_failures: tuple[str, ...]  # torchvision's published numbers that the family's models contradict
    weights_source: str  # where the weights came from, as the notebook prints it
    layer1_shape: tuple[int, ...]  # the first stage's output shape, which the notebook prints
    layer1_picture: str | None  # base64 PNG of its channel 0, which the notebook shows (None: not drawn)


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """facts.json's tree as dotted paths; an empty list or dict is kept as a leaf."""
    if isinstance(tree, dict) and tree:
        items = tree.items()
    elif isinstance(tree, (list, tuple)) and tree:
        items = ((str(i), value) for i, value in enumerate(tree))
    else:
        return {prefix: list(tree) if isinstance(tree, tuple) else tree}
    flat: dict[str, Any] = {}
    for key, value in items:
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else key))
    return flat

