"""Tagged values follow the language's grammar: no exponent unless the fact's style is scientific, and
then in the language's own notation (translations: number.scientific), which the writer uses too.

The sample of issue 27 is a count written ``1e+2``: the old grammar took any exponent for any style.
"""

from __future__ import annotations

import pytest

from generator.core.translations import translations
from generator.report.pages import format_number
from generator.verify.numbers import canonical, parse_number, value_matches


@pytest.mark.parametrize(("text", "value", "style", "language"), [
    ("1e+2", 100, "auto", "en"),  # the sample: a count with an exponent
    ("1e+2", 123.4, "auto", "en"),  # a measurement: the old grammar took it, to within fifty
    ("1,0e+2", 100.0, "auto", "es"),
    ("1e+0%", 0.99, "percent0", "en"),
    ("1E2", 100, "auto", "en"),  # the capital E
    ("1.0e2", 100.0, "auto", "en"),  # a float with an exponent and no sign
    ("1,0e2", 100.0, "auto", "es"),
    ("1e2%", 1.0, "percent0", "en"),
    ("1.00e-05", 1e-5, "sci", "en"),  # a scientific value, but in Python's notation, not the language's
    ("1,00e-05", 1e-5, "sci", "es"),
    ("1,00·10⁻⁵", 1e-5, "sci", "en"),  # the Spanish notation on the English page
    ("1.00 × 10⁻⁵", 1e-5, "sci", "es"),  # the English notation on the Spanish page
    ("1.00 × 10-5", 1e-5, "sci", "en"),  # an exponent not raised
    ("10⁻⁵", 1e-5, "sci", "en"),  # no mantissa
    ("1.00 × 10⁻⁵", 1e-5, "auto", "en"),  # the notation where the fact's style is not scientific
])
def test_a_value_outside_its_languages_grammar_fails(text: str, value: float, style: str, language: str) -> None:
    assert not value_matches(text, value, style, language, translations(language))


@pytest.mark.parametrize(("text", "value", "language"), [
    ("1.00 × 10⁻⁵", 1e-5, "en"),
    ("1,00·10⁻⁵", 1e-5, "es"),
    ("\u22122.50 × 10¹²", -2.5e12, "en"),
    ("0", 0.0, "es"),  # an exact zero, in every notation
])
def test_a_scientific_value_in_the_languages_notation_is_read(text: str, value: float, language: str) -> None:
    assert value_matches(text, value, "sci", language, translations(language))
    assert float(canonical(text, value, "sci", language)) == pytest.approx(value)


def test_the_precision_of_a_scientific_value_is_its_mantissas() -> None:
    notation = translations("en")["number.scientific"]
    assert parse_number("1.00 × 10⁻⁵", "en", notation) == pytest.approx((1e-5, 0.5e-7))
    assert not value_matches("1.00 × 10⁻⁵", 1.01e-5, "sci", "en", translations("en"))
    assert not value_matches("1.00 × 10⁻⁴", 1e-5, "sci", "en", translations("en"))


@pytest.mark.parametrize("text", ["1e+2", "1E2", "1.0e2", "1e2"])
def test_no_exponent_is_read_without_a_scientific_notation(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text, "en")


@pytest.mark.parametrize(("value", "language", "text"), [
    (1.2344e-7, "en", "0.0000001234"),
    (-2.5e-5, "es", "\u22120,00002500"),
    (1234.56, "en", "1,235"),
    (1234.56, "es", "1235"),
    (123456.7, "es", "123\u202f457"),
    (999.96, "en", "1,000"),
    (0.5, "es", "0,5"),
])
def test_the_writer_never_gives_a_measured_value_an_exponent(value: float, language: str, text: str) -> None:
    """What the writer prints in the automatic style is what the check reads: no exponent, grouped as counts."""
    assert format_number(value, "auto", language) == text
    assert value_matches(text, value, "auto", language, translations(language))
