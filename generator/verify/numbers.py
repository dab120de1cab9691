"""Numbers as a reader meets them: each language's grammar, the value a written number stands for, and
the digits that are not the model's (names and the like), each with its reason."""

from __future__ import annotations

import re
from typing import Any

from ..core.imagenet import IMAGENET_FILENAME

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


def number_grammar(language: str) -> re.Pattern[str]:
    """A number as the generator writes it in that language: ASCII digits, one grouping style, nothing else."""
    group, decimal = ("\u202f", ",") if language == "es" else (",", r"\.")
    return re.compile(
        rf"^(?P<sign>-?)(?P<int>[0-9]{{1,3}}(?:{group}[0-9]{{3}})+|[0-9]+)(?:{decimal}(?P<frac>[0-9]+))?"
        rf"(?:e(?P<exp>[+-][0-9]+))?(?P<percent>\u202f?%)?$"
    )


def parse_number(text: str, language: str) -> tuple[float, float]:
    """The value a reader takes from ``text`` and half a unit of its last digit; ValueError if malformed."""
    match = number_grammar(language).match(text)
    if match is None:
        raise ValueError(text)
    integer = match["int"].replace(",", "").replace("\u202f", "")
    grouped = integer != match["int"]
    if language == "es" and (grouped != (len(integer) >= 5)) and not match["frac"] and not match["exp"]:
        raise ValueError(text)  # RAE: group five digits and more, never four
    if language == "en" and not grouped and len(integer) > 3 and not match["exp"]:
        raise ValueError(text)
    percent = match["percent"] or ""
    if percent and percent != ("\u202f%" if language == "es" else "%"):
        raise ValueError(text)
    fraction = match["frac"] or ""
    exponent = int(match["exp"] or 0)
    value = float(f"{match['sign']}{integer}.{fraction or '0'}e{exponent}")
    half_unit = 0.5 * 10.0 ** (exponent - len(fraction))
    if percent:
        return value / 100, half_unit / 100
    return value, half_unit


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
    try:
        number, half_unit = parse_number(found, language)
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
    if isinstance(expected, bool) or not isinstance(expected, (int, float)) or style in ("plain", "torchsummary"):
        return repr(expected)
    try:
        number, _ = parse_number(found, language)
    except ValueError:
        return found
    return repr(round(number * (1e9 if style.startswith("gmacs") else 1), 12))
