"""JSON read back from disk, parsed only after its nesting depth is known to be small.

json.loads recurses once per level of nesting, so a file of 100,000 opening
brackets ends in a RecursionError instead of a refusal. The depth is
measured first, outside strings and without recursion, and a text nested
deeper than its caller allows is refused like any other malformed JSON.
"""

from __future__ import annotations

import json
import re
from array import array
from itertools import accumulate
from typing import Any

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")  # an opening bracket +1, a closing one -1 (signed bytes)


def nesting_depth(text: str) -> int:
    """The deepest nesting of brackets outside JSON strings, counted without recursion."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(array("b", brackets.encode("ascii").translate(_STEPS))), default=0)


def loads_bounded(text: str, max_depth: int) -> Any:
    """json.loads for text nested at most max_depth levels deep; ValueError for anything deeper or not JSON."""
    depth = nesting_depth(text)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} levels deep, more than the {max_depth} allowed")
    return json.loads(text)
