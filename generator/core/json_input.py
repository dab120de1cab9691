"""JSON read back from disk, parsed only after its size and nesting depth are known to be small.

json.loads recurses once per level of nesting, so a file of 100,000 opening
brackets ends in a RecursionError instead of a refusal, and a file of a
gigabyte takes a gigabyte and more to parse. The size is compared first,
then the depth is measured, outside strings and without recursion, and a
text larger or nested deeper than its caller allows is refused like any
other malformed JSON: a ValueError whose message is one line.
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

# The JSON files a build publishes into docs/, as the check and a rebuild read them back: facts.json
# nests 8 levels deep, the notebooks 7, the explorer's index 6; twice the deepest leaves room to grow.
PUBLISHED_JSON_MAX_DEPTH = 16
# facts.json is about 0.5 MB: thirty times that and no more.
FACTS_MAX_BYTES = 16 * 1024**2


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


def loads_record(data: bytes, max_bytes: int, max_depth: int) -> Any:
    """A record's bytes as JSON, under a size and a depth limit; ValueError (one line) for anything else."""
    if len(data) > max_bytes:
        raise ValueError(f"{len(data):,} bytes, more than the {max_bytes:,} allowed")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text ({error.reason} at byte {error.start})") from error
    try:
        return loads_bounded(text, max_depth)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})") from error


def loads_facts(data: bytes) -> Any:
    """facts.json's bytes as JSON, bounded like every other record this tool reads back."""
    return loads_record(data, FACTS_MAX_BYTES, PUBLISHED_JSON_MAX_DEPTH)
