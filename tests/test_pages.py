"""Number formats per language, the check reading them back strictly, and the translations' shape."""

from __future__ import annotations

import re

import pytest

from generator.core import names, sources
from generator.report.pages import format_number, torchsummary_count, translations
from generator.verify.numbers import ALLOWED_NUMBERS, parse_number, value_matches
from generator.verify.page import claim_texts

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
        (0.9, "percent0", "es", f"90{NNBSP}%"),
        (1_814_073_344, "gmacs", "es", "1,814"),
        (1e-5, "sci", "en", "1.00 × 10⁻⁵"),
        (1e-5, "sci", "es", "1,00·10⁻⁵"),
        (-2.5e12, "sci", "en", "\u22122.50 × 10¹²"),
        (-0.54321, "auto", "es", "\u22120,5432"),
        (9408, "torchsummary", "es", "9,408"),
        (3, "plain", "es", "3"),
    ],
)
def test_numbers_are_written_as_each_language_writes_them(value, style, language, text) -> None:
    assert format_number(value, style, language) == text
    assert value_matches(text, value, style, language, translations(language))


def test_a_number_in_the_other_languages_format_is_not_taken_for_the_right_one() -> None:
    assert parse_number("1,814", "es")[0] == pytest.approx(1.814)
    assert parse_number("1,814", "en")[0] == 1814
    assert not value_matches("1.814", 1.814, "auto", "es", translations("es"))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("１１２", "en"),  # full-width digits: float() accepts them, a reader may not notice
        ("١١٢", "es"),  # Arabic-Indic digits
        ("1,1689,512", "en"),  # misplaced group separator
        ("11_689_512", "en"),  # Python's digit separator
        ("11689512", "en"),  # English groups thousands
        (f"9{NNBSP}408", "es"),  # Spanish does not group four digits
        ("11 689 512", "es"),  # an ordinary space is not the narrow no-break space
        ("11.689.512", "es"),  # dots group thousands in some countries, not in this site's Spanish
        ("1.814", "es"),
        ("15.3 %", "en"),
        ("0x70", "en"),
        ("112.", "en"),
        ("+112", "en"),
        ("", "en"),
    ],
)
def test_malformed_numbers_are_refused(text: str, language: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text, language)


def test_the_precision_shown_bounds_the_tolerance() -> None:
    assert value_matches("1.814", 1.8141, "auto", "en", translations("en"))
    assert not value_matches("1.814", 1.8146, "auto", "en", translations("en"))
    assert value_matches("112", 112.4, "auto", "en", translations("en"))
    assert not value_matches("112", 112.6, "auto", "en", translations("en"))
    assert not value_matches("113", 112, "auto", "en", translations("en"))


def test_yes_no_words_are_checked_in_the_pages_language() -> None:
    assert value_matches("Sí", True, "yesno", "es", translations("es"))
    assert not value_matches("True", True, "yesno", "es", translations("es"))
    assert not value_matches("Yes", True, "yesno", "es", translations("es"))
    assert value_matches("No", False, "yesno", "en", translations("en"))


def test_the_summary_table_keeps_torchsummarys_format_in_every_language() -> None:
    assert torchsummary_count(11_689_512) == "11,689,512"


def test_both_languages_translate_the_same_keys() -> None:
    assert list(translations("es")) == list(translations("en"))
    assert all(translations("es").values()) and all(translations("en").values())


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_claim_has_a_wording_per_variant_and_no_wording_hides_inside_another(language: str) -> None:
    """The check finds a false wording by its fixed words: those of one variant must never all appear in another."""
    texts = claim_texts(translations(language))
    raw = {key: value for key, value in translations(language).items() if key.startswith("claim.")}
    for name, variants in texts.items():
        assert len(variants) >= 2, name
        for variant, fragments in variants.items():
            assert fragments, f"claim.{name}.{variant} has no fixed words the check can find"
            for other, text in raw.items():
                if other.startswith(f"claim.{name}.") and other != f"claim.{name}.{variant}":
                    assert not all(fragment in " ".join(text.split()) for fragment in fragments), (variant, other)


@pytest.mark.parametrize("language", ["es", "en"])
def test_translations_hold_no_number_of_their_own(language: str) -> None:
    """Numbers reach the pages only through tags: a digit typed into a translation is a mistake."""
    allowed = [re.compile(pattern) for pattern, _ in ALLOWED_NUMBERS]
    for key, text in translations(language).items():
        if key.startswith("conversion_"):
            # shown only as the words for a conversion code, which names its own numbers ("16bit-scaled-to-8bit")
            assert set(re.findall(r"[0-9]+", text)) <= set(re.findall(r"[0-9]+", key)), (key, text)
            continue
        if key == "number.scientific":  # a scientific value's notation: its only digits are the base, ten
            assert re.findall(r"[0-9]+", text) == ["10"], (key, text)
            continue
        words = re.sub(r"\{\{.*?\}\}", " ", text)
        for pattern in allowed:
            words = pattern.sub(" ", words)
        assert not re.search(r"[0-9]", words), (key, text)


def test_every_quotation_from_the_report_is_in_the_report_word_for_word() -> None:
    report = " ".join(sources.report_text().split())
    quoted = [q for q in sources.all_quotes() if q.source == "report"]
    assert quoted
    for entry in quoted:
        assert " ".join(entry.text.split()) in report, entry.key


def test_every_quotation_names_a_known_source_and_where_in_it() -> None:
    keys = {source.key for source in sources.all_sources()}
    for entry in sources.all_quotes():
        assert entry.source in keys
        documentation = entry.source == "torchvision"  # quoted from its docs, which have sections but no pages
        assert (entry.section and (entry.page or documentation)) if entry.source != "report" else entry.heading, entry.key


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("photo.jpg", "photo.jpg"),
        ("a\nb.png", "a\\nb.png"),
        ("tab\there", "tab\\there"),
        ("bell\x07", "bell\\u0007"),
        ("rlo\u202egnp.exe", "rlo\\u202egnp.exe"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("bad-\udcff-byte", "bad-\\xff-byte"),
        ("back\\slash", "back\\\\slash"),
        ("nbsp\u00a0x", "nbsp\\u00a0x"),
        ("línea", "línea"),
    ],
)
def test_file_names_are_shown_on_one_line_with_invisible_characters_escaped(raw: str, shown: str) -> None:
    assert names.printable_name(raw) == shown
    assert "\n" not in names.printable_name(raw) and names.printable_name(raw).isprintable()
