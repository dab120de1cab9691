"""Number formats per language, and the check reading them back."""

from __future__ import annotations

import pytest

from generator.check import parse_number, value_matches
from generator.pages import format_number, torchsummary_count

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "style", "language", "text"),
    [
        (11_689_512, "auto", "en", "11,689,512"),
        (11_689_512, "auto", "es", f"11{NNBSP}689{NNBSP}512"),
        (9536, "auto", "es", "9536"),
        (9536, "auto", "en", "9,536"),
        (1.814, "auto", "es", "1,814"),
        (0.8321, "percent", "es", f"83,2{NNBSP}%"),
        (0.8321, "percent", "en", "83.2%"),
        (1_814_073_344, "gmacs", "es", "1,814"),
        (1e-5, "sci", "en", "1.00e-05"),
        (True, "auto", "es", "True"),
        (3, "plain", "es", "3"),
    ],
)
def test_numbers_are_written_as_each_language_writes_them(value, style, language, text) -> None:
    assert format_number(value, style, language) == text
    assert value_matches(text, value, style, language)


def test_a_number_in_the_other_languages_format_is_not_taken_for_the_right_one() -> None:
    assert parse_number("1,814", "es") == pytest.approx(1.814)
    assert parse_number("1,814", "en") == 1814
    assert not value_matches("1.814", 1.814, "auto", "es")


def test_the_summary_table_keeps_torchsummarys_format_in_every_language() -> None:
    assert torchsummary_count(11_689_512) == "11,689,512"


def test_both_languages_translate_the_same_keys() -> None:
    from generator.pages import translations

    assert list(translations("es")) == list(translations("en"))
    assert all(translations("es").values()) and all(translations("en").values())
