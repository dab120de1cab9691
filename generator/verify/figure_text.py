"""What a served SVG figure says, read as a reader's browser shows it: its text, its tooltips, what it loads.

A figure with words is SVG with its text kept as text (report/figure_files.py), in one language, named
after it (``degradation.es.svg``); one without words serves every language (``scheme.svg``). Every string a
reader sees in it must be made of three kinds of pieces, with only spaces, brackets and formula signs
between them:

- a ``figure.*`` translation of the figure's language (generator/translations/), word for word;
- a name the pages may show: a module, a model, a net of the experiment, a class, a weights entry, a
  name on the digit rule's list (verify/numbers.py), or a symbol (SYMBOLS: x, F, ReLU, RGB...);
- a number in the figure's language's format (a tick label, a value), or matplotlib's exponent of an
  axis's scale (``1e−8``) with such a number before it; a figure of every language may hold only numbers
  written alike in all of them.

A word of the other language, or a changed word, leaves a piece of none of these kinds and fails; so does
a digit that makes no number of the language. The figure may also run nothing and load nothing: no
script, no element that embeds a page, no event handler, no address but its own parts and inline PNG.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from ..core.config import LANGUAGES
from ..core.translations import translations
from .mismatch import Mismatch
from .numbers import ALLOWED_NUMBERS, number_grammar
from .values import Expected

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
SHOWN = frozenset({"text", "title", "desc"})  # drawn text, and what a browser shows as a tooltip
# What matplotlib's SVG backend writes; anything else (a script, an embedded page, an animation) is refused.
DRAWING = frozenset({"svg", "metadata", "defs", "style", "g", "path", "use", "clipPath", "image", "text", "tspan",
                     "rect", "line", "polyline", "polygon", "circle", "ellipse", "pattern", "linearGradient",
                     "radialGradient", "stop", "mask", "title", "desc"})
INLINE_PICTURE = "data:image/png;base64,"
# Words of the figures that are symbols, not prose, each with its reason.
SYMBOLS: dict[str, str] = {
    "x": "a block's input, as the pages' formulas write it", "F": "the residual function F(x)",
    "ReLU": "the activation's name", "BN": "BatchNorm, as the pages abbreviate it", "conv": "a convolution",
    "c": "the channel shown (c = 3)", "a": "the first of two maps compared (|a − b|)", "b": "the second",
    "RGB": "the input's colour channels (the scheme)",
}
# Between pieces: spacing, brackets, formula signs, and a comma before a space (a list, never a decimal comma)
SEPARATORS = re.compile(r"(?:[\s()\[\]+=·×|/:→−-]|,(?=\s))+")
EXPONENT_SIGN = re.compile(r"(?<=[0-9])e[−-]?(?=[0-9])")  # matplotlib's offset of a scale: "1e−8"
SCALE_EXPONENT = re.compile(r"^(?P<mantissa>.+)e[0-9]+$")  # the same with its sign taken off


@dataclass(frozen=True)
class FigureWords:
    """What the figures of a run may say: each language's ``figure.*`` strings and the names the pages show."""

    phrases: dict[str, tuple[str, ...]]  # by language, longest first
    names: frozenset[str]


def run_words(expected: Expected) -> FigureWords:
    """The figure strings of every language, and every name this run's values hold (modules, models, nets,
    classes, weights entries)."""
    names = {value for key, value in expected.values.items() if key.endswith(".name") and isinstance(value, str)}
    return figure_words({language: translations(language) for language in LANGUAGES}, expected.module_names | names)


def figure_words(strings: dict[str, dict[str, str]], names: Iterable[str]) -> FigureWords:
    phrases = {language: tuple(sorted({text for key, text in by_key.items() if key.startswith("figure.")},
                                      key=len, reverse=True)) for language, by_key in strings.items()}
    return FigureWords(phrases, frozenset(names))


def figure_language(name: str) -> str | None:
    """``degradation.es.svg`` is Spanish; ``scheme.svg`` serves every language (None)."""
    parts = name.rsplit("/", 1)[-1].split(".")
    return parts[-2] if len(parts) >= 3 and parts[-2] in LANGUAGES else None


def check_svg_figure(page: str, place: str, data: bytes, language: str | None, words: FigureWords,
                     mismatches: list[Mismatch]) -> None:
    """The figure (its bytes ``data``) says only what ``language`` allows (None: what every language
    allows), and runs nothing."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        mismatches.append(Mismatch(page, place, "a valid SVG", f"unreadable ({error})"))
        return
    if root.tag != f"{SVG}svg":
        mismatches.append(Mismatch(page, place, "a valid SVG", f"a {root.tag} document"))
        return
    for problem in drawing_problems(root):
        mismatches.append(Mismatch(page, place, "a drawing that runs and loads nothing", problem))
    for text in shown_texts(root):
        wrong = unaccounted(text, language, words)
        if wrong:
            expected = f"the figure's words in {language}" if language else "words written alike in every language"
            found = repr(text) if wrong == text else f"{wrong!r} in {text!r}"
            mismatches.append(Mismatch(page, place, f"{expected}, names and numbers in its format", found))


def shown_texts(root: ElementTree.Element) -> list[str]:
    """Every text and tooltip of the drawing, as one string each (a text's spans joined)."""
    return [" ".join("".join(element.itertext()).split()) for element in root.iter()
            if element.tag.removeprefix(SVG) in SHOWN and element.tag.startswith(SVG)]


def drawing_problems(root: ElementTree.Element) -> list[str]:
    problems = []
    for element in root.iter():
        if element.tag == f"{SVG}metadata":
            continue
        inside_metadata = not element.tag.startswith(SVG)  # RDF's own elements, which only describe the file
        if not inside_metadata and element.tag.removeprefix(SVG) not in DRAWING:
            problems.append(f"a <{element.tag.removeprefix(SVG)}> element")
        for attribute, value in element.attrib.items():
            if attribute.rsplit("}", 1)[-1].lower().startswith("on"):
                problems.append(f"an event handler ({attribute})")
            elif attribute in ("href", XLINK_HREF) and not value.startswith(("#", INLINE_PICTURE)):
                problems.append(f"an address ({value[:60]})")
            elif "url(" in value and not re.fullmatch(r"url\(#[\w-]+\)", value.strip()):
                problems.append(f"an address ({value[:60]})")
        if element.tag == f"{SVG}style" and re.search(r"url\(|@import", element.text or ""):
            problems.append("a style that loads a file")
    return problems


def unaccounted(text: str, language: str | None, words: FigureWords) -> str:
    """What of ``text`` is no phrase of the language, no name and no number in its format; "" if none."""
    rest = _standing_alone(words.phrases[language]).sub(" ", text) if language else text
    rest = EXPONENT_SIGN.sub("e", _standing_alone(tuple(sorted(words.names, key=len, reverse=True)), True).sub(
        " ", rest))
    languages = (language,) if language else LANGUAGES
    wrong = [piece for piece in SEPARATORS.split(rest) if piece and not _allowed_piece(piece, languages)]
    return " ".join(wrong)


def _allowed_piece(piece: str, languages: tuple[str, ...]) -> bool:
    if piece in SYMBOLS:
        return True
    exponent = SCALE_EXPONENT.match(piece)
    number = exponent["mantissa"] if exponent else piece
    return all(number_grammar(language).match(number) for language in languages)


@cache
def _standing_alone(texts: tuple[str, ...], listed: bool = False) -> re.Pattern[str]:
    """Any of ``texts`` (longest first), not inside a longer word or name; ``listed``: the digit rule's names
    too (verify/numbers.py)."""
    alternatives = [re.escape(text) for text in texts if text]
    alternatives += [pattern for pattern, _reason in ALLOWED_NUMBERS if not pattern.startswith("^")] if listed else []
    return re.compile(r"(?<![\w.@-])(?:" + "|".join(alternatives) + r")(?![\w@-])")
