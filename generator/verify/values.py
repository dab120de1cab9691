"""The check's model-side values as plain data: JSON, and a cache keyed by everything that decides them.

``derive_expected`` (verify/expected.py) needs torch and a forward pass. A build
whose compute inputs are unchanged (same image, weights, options, code and
package versions: build/stamp.py's ``compute`` digest) gets the very same values,
so a build that only changed prose reads them from the cache that the last
full build wrote, and still checks every new page against them. The
``check`` command never reads the cache: it always derives its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.cache import Shelf

CACHE_VERSION = 2
SHELF = Shelf("expected-", kept=8)  # the newest entries; one per set of compute inputs


@dataclass(frozen=True)
class Expected:
    values: dict[str, Any]  # dotted path -> value; empty lists and dicts are leaves too
    summary: tuple[tuple[str, str, str, int], ...]  # torchsummary rows: name, output shape, formula, parameters
    module_names: frozenset[str]
    residual_failures: tuple[str, ...]
    family_failures: tuple[str, ...]  # torchvision's published numbers that the family's models contradict
    weights_source: str  # where the weights came from, as the notebook prints it
    layer1_shape: tuple[int, ...]  # the first stage's output shape, which the notebook prints
    layer1_picture: str | None  # base64 PNG of its channel 0, which the notebook shows (None: not drawn)

    def to_json(self) -> str:
        return json.dumps({
            "version": CACHE_VERSION, "values": self.values, "summary": self.summary,
            "module_names": sorted(self.module_names), "residual_failures": self.residual_failures,
            "family_failures": self.family_failures,
            "weights_source": self.weights_source, "layer1_shape": self.layer1_shape,
            "layer1_picture": self.layer1_picture,
        }, sort_keys=True)


def from_json(text: str) -> Expected:
    data = json.loads(text)
    if data.get("version") != CACHE_VERSION:
        raise ValueError(f"cache version {data.get('version')!r}, not {CACHE_VERSION}")
    return Expected(
        values=data["values"], summary=tuple(tuple(row) for row in data["summary"]),  # type: ignore[misc]
        module_names=frozenset(data["module_names"]), residual_failures=tuple(data["residual_failures"]),
        family_failures=tuple(data["family_failures"]),
        weights_source=data["weights_source"], layer1_shape=tuple(data["layer1_shape"]),
        layer1_picture=data["layer1_picture"],
    )


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


def cache_path(compute_key: str) -> Path:
    return SHELF.path(compute_key)


def load_cached(compute_key: str) -> Expected | None:
    """The values a full build with these compute inputs derived, or None when there are none to trust."""
    text = SHELF.read(compute_key)
    try:
        return from_json(text) if text is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def store(compute_key: str, expected: Expected) -> None:
    """Best effort: a cache that cannot be written only means the next prose edit recomputes."""
    SHELF.write(compute_key, expected.to_json())
