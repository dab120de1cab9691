"""JSON read back from disk is measured for depth before it is parsed: a deep file is refused, never a crash."""

from __future__ import annotations

import pytest

from generator.core.json_input import loads_bounded, nesting_depth


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert nesting_depth('{"a": "[[[{", "b": [1, {"c": "\\"]]["}]}') == 3
    assert nesting_depth('"no brackets [ here"') == 0


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 10_000 + "1" + "}" * 10_000, "[" * 100_000])
def test_json_deeper_than_allowed_is_a_value_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(ValueError, match="levels deep, more than the 8 allowed"):
        loads_bounded(text, 8)


def test_json_within_the_depth_parses_as_json_loads_does() -> None:
    assert loads_bounded('{"files": {"a.md": null}, "s": "[["}', 2) == {"files": {"a.md": None}, "s": "[["}
    with pytest.raises(ValueError):
        loads_bounded("{not json}", 8)
