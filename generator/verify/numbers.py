"""Numbers as a reader meets them: each language's grammar, the value a written number stands for, and
the digits that are not the model's (names and the like), each with its reason."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from ..core.imagenet import IMAGENET_FILENAME
from ..core.translations import translations

# Digits on the pages that are not the model's or a source's, each with its reason. Only ASCII digits
# can match: a digit of any other script is never accounted for.
ALLOWED_NUMBERS: tuple[tuple[str, str], ...] = (
    (r"\bResNet ?(?:18|34)\b", "model name"),
    (r"^404(?=:)", "HTTP's status code for an address the site does not have, which the theme's error page names"),
    (r"\bN°1\b", "school name"),
    (r"\bSHA-256\b", "hash algorithm name"),
    (r"\bfloat16\b", "name of IEEE 754's half-precision format (the explorer's data)"),
    (r"\b[Tt]op-5\b", "name of ImageNet's top-5 error metric"),
    (r"\b[Tt]op-1\b", "name of ImageNet's top-1 error metric"),
    (r"\bacc@[15]\b", "torchvision's names of its ImageNet accuracy metrics"),
    (r"\b(?:plain|ResNet)-(?:18|34)\b", "the paper's names of its ImageNet networks (its Table 2)"),
    (r"\bCIFAR-10\b", "the paper's CIFAR-10 data set"),
    (r"\bx86-64\b", "the name of a processor architecture (the experiment's portable kernels)"),
    (r"\bAVX(?:-512|2)\b", "names of x86-64 instruction sets (the kernels the experiment's re-runs were tested under)"),
    (r"\b6n\+2\b", "the paper's depth rule for its CIFAR-10 networks"),
    (r"\bIMAGENET1K_V1\b", "torchvision's weights name"),
    (r"\bResNet18_Weights\b|\bresnet18\b", "torchvision's names"),
    (r"\b(?:Conv2d|BatchNorm2d|AdaptiveAvgPool2d|MaxPool2d)\b", "PyTorch layer types"),
    (re.escape(IMAGENET_FILENAME), "torchvision's file name for the ImageNet weights"),
)
NUMBER_CATEGORIES = {"Nd", "Nl", "No"}


SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SCIENTIFIC_STYLES = frozenset({"sci"})  # the styles whose values carry an exponent (report/pages.py writes them)
MINUS = "\u2212"  # a negative number's sign on the pages: the hyphen-minus is refused (README, "Two languages")
EXACT_ZERO = re.compile("^0(?:\u202f?%)?$")  # an exact zero: 0, in every style (0 %, 0%), never 0,00·10⁰


def number_grammar(language: str) -> re.Pattern[str]:
    """A number as the generator writes it in that language: the minus sign, ASCII digits, one grouping style,
    no exponent."""
    group, decimal = ("\u202f", ",") if language == "es" else (",", r"\.")
    return re.compile(
        rf"^(?P<sign>{MINUS}?)(?P<int>[0-9]{{1,3}}(?:{group}[0-9]{{3}})+|[0-9]+)(?:{decimal}(?P<frac>[0-9]+))?"
        rf"(?P<percent>\u202f?%)?$"
    )


@cache
def scientific_grammar(notation: str, language: str) -> re.Pattern[str]:
    """A scientific value in the language's own notation (translations: number.scientific, such as
    "{mantissa}·10{exponent}"): a mantissa in the language's decimals, a superscript exponent."""
    decimal = "," if language == "es" else r"\."
    parts = {"mantissa": rf"(?P<sign>{MINUS}?)(?P<int>[0-9])(?:{decimal}(?P<frac>[0-9]+))?",
             "exponent": f"(?P<exp>⁻?[{SUPERSCRIPT_DIGITS}]+)"}
    pieces = re.split(r"\{(mantissa|exponent)\}", notation)
    return re.compile("^" + "".join(parts[piece] if index % 2 else re.escape(piece)
                                    for index, piece in enumerate(pieces)) + "$")


def parse_number(text: str, language: str, notation: str | None = None) -> tuple[float, float]:
    """The value a reader takes from ``text`` and half a unit of its last digit; ValueError if malformed.

    With a scientific ``notation`` (a scientific style's), the text must be written in it; without one,
    an exponent in any form (1e+2, 1E2) is refused: a count or a percentage is written out in full. An exact
    zero is 0 in every style, a scientific one included.
    """
    if notation is not None and text == "0":
        return 0.0, 0.0
    if notation is not None:
        return _parse_scientific(text, language, notation)
    match = number_grammar(language).match(text)
    if match is None:
        raise ValueError(text)
    integer = match["int"].replace(",", "").replace("\u202f", "")
    grouped = integer != match["int"]
    if language == "es" and (grouped != (len(integer) >= 5)) and not match["frac"]:
        raise ValueError(text)  # RAE: group five digits and more, never four
    if language == "en" and not grouped and len(integer) > 3:
        raise ValueError(text)
    percent = match["percent"] or ""
    if percent and percent != ("\u202f%" if language == "es" else "%"):
        raise ValueError(text)
    fraction = match["frac"] or ""
    value = float(f"{'-' if match['sign'] else ''}{integer}.{fraction or '0'}")
    half_unit = 0.5 * 10.0 ** -len(fraction)
    if percent:
        return value / 100, half_unit / 100
    return value, half_unit


def _parse_scientific(text: str, language: str, notation: str) -> tuple[float, float]:
    match = scientific_grammar(notation, language).match(text)
    if match is None:
        raise ValueError(text)
    exponent = int(match["exp"].replace("⁻", "-").translate(str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")))
    fraction = match["frac"] or ""
    value = float(f"{'-' if match['sign'] else ''}{match['int']}.{fraction or '0'}e{exponent}")
    return value, 0.5 * 10.0 ** (exponent - len(fraction))


def notation_of(style: str, strings: dict[str, str]) -> str | None:
    """The scientific notation a value of this style is written in, in the language of ``strings`` (its
    translations); None: a style whose values carry no exponent."""
    return strings["number.scientific"] if style in SCIENTIFIC_STYLES else None


@cache
def _strings(language: str) -> dict[str, str]:
    return translations(language)


def value_matches(found: str, expected: Any, style: str, language: str, strings: dict[str, str]) -> bool:
    """Does the text a reader sees stand for the expected value, within the precision shown?"""
    if style == "conversion":
        return found == strings.get(f"conversion_{expected}" if expected else "conversion_none")
    if isinstance(expected, bool) and style not in ("plain", "auto"):
        return found == strings.get(f"bool.{style}.{str(expected).lower()}")
    if isinstance(expected, str) and style not in ("plain", "auto"):
        return found == strings.get(f"code.{style}.{expected}")
    if isinstance(expected, (bool, str)) or expected is None or style == "plain":
        return found == str(expected)
    if style == "torchsummary":
        return found == f"{expected:,}"
    if style == "dimension":  # a side of a shape: never grouped (1024×14×14)
        return isinstance(expected, int) and found == str(expected).replace("-", MINUS)
    if expected == 0 and not EXACT_ZERO.match(found):
        return False  # an exact zero is written 0: 0,00·10⁰ or 0.0% would say something was rounded
    try:
        number, half_unit = parse_number(found, language, notation_of(style, strings))
    except ValueError:
        return False
    if style.startswith("percent") != found.endswith("%"):
        return False
    if style.startswith("gmacs"):
        number, half_unit = number * 1e9, half_unit * 1e9
    if isinstance(expected, int) and not style.startswith(("gmacs", "percent")):
        return half_unit == 0.5 and number == expected  # a count is written as a whole number
    return abs(number - expected) <= half_unit * (1 + 1e-9) + 1e-12


def canonical(found: str, expected: Any, style: str, language: str) -> str:
    """The value as a reader takes it, the same in every language, to compare the two pages' numbers."""
    if isinstance(expected, bool) or not isinstance(expected, (int, float)) or style in ("plain", "torchsummary", "dimension"):
        return repr(expected)
    try:
        number, _ = parse_number(found, language, notation_of(style, _strings(language)))
    except ValueError:
        return found
    return repr(round(number * (1e9 if style.startswith("gmacs") else 1), 12))
