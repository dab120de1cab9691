"""Numbers written in words, in both languages: "thirty-four", "veintidós millones", "a dozen", "la cuarta
etapa". A number a page states in words is a number all the same, so the check holds it to the rule for
digits: it comes from the model or a named source (a tagged value), or it is on the allowed list below.

What counts, and why:
- cardinals and their compounds ("twenty-two million", "treinta y cuatro", "doscientos"), the scale words
  alone ("million", "mil", "millones"), and words for a counted group ("dozen", "docena", "a couple of",
  "a pair of", "un par de", "decena", "centenar", "millar");
- ordinals, "first"/"primero"/"primera"/"primer" included: they state a position ("the first stage" is
  layer1), which is a fact about the model like any other;
- multiplicatives ("twice", "double", "triple", "el doble", "dos veces"): "doubles the channels" states 2;
- a hyphenated word with a number word in it ("first-layer", "two-way") counts as a whole.
What does not, and why:
- "one" and "uno"/"una"/"un": they are also the article ("una capa", "a layer" in the other language) and
  the pronoun ("one of them", "cada uno"), and the article reading is far the commoner; a count of one is
  stated through a tagged value like any other, and "first" (its position) is counted;
- "second"/"segundo" after a number word or "per"/"por", and plural "seconds"/"segundos" anywhere: a unit of
  time, whose number is a tagged value of its own;
- English "once" (a conjunction, "once trained"); Spanish "once" is eleven and counts;
- fractions in words ("half", "a third", "media", "un tercio"): "media" is also the mean, and a third is
  an ordinal's homograph (counted as the ordinal).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .context import Context

EN_UNITS = ("zero", "two", "three", "four", "five", "six", "seven", "eight", "nine")
EN_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
            "nineteen")
EN_TENS = ("twenty", "thirty", "forty", "fourty", "fifty", "sixty", "seventy", "eighty", "ninety")
EN_SCALES = ("hundred", "thousand", "million", "billion", "trillion", "dozen", "tens", "hundreds", "thousands",
             "millions", "billions", "trillions", "dozens")
EN_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
               "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
               "eighteenth", "nineteenth", "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth",
               "seventieth", "eightieth", "ninetieth", "hundredth", "thousandth", "millionth", "billionth")
EN_MULTIPLES = ("twice", "thrice", "double", "doubles", "doubled", "doubling", "triple", "triples", "tripled",
                "quadruple", "quadruples", "quadrupled", "twofold", "threefold", "fourfold", "tenfold")
EN_GROUPS = r"\ba (?:couple|pair) of\b"

# Spanish words are looked up without their accents ("veintidos", "millon" are the same words misspelt).
ES_CARDINALS = (
    "cero", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce", "trece",
    "catorce", "quince", "dieciseis", "diecisiete", "dieciocho", "diecinueve", "veinte", "veintiun", "veintiuno",
    "veintiuna", "veintidos", "veintitres", "veinticuatro", "veinticinco", "veintiseis", "veintisiete",
    "veintiocho", "veintinueve", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa",
    "cien", "ciento", "cientos", "mil", "miles", "millon", "millones", "millardo", "millardos", "billon",
    "billones", "docena", "docenas", "decena", "decenas", "centenar", "centenares", "millar", "millares",
    "veintena", "veintenas",
)
ES_HUNDREDS = r"(?:dos|tres|cuatro|quin|seis|sete|ocho|nove)cient[oa]s"
ES_TENS = r"treinta|cuarenta|cincuenta|sesenta|setenta|ochenta|noventa"
ES_UNITS = r"un|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve"
ES_JOINED = rf"(?:{ES_TENS})i(?:{ES_UNITS})"  # "treintaicuatro", as the RAE allows
ES_ORDINAL_STEMS = (
    "primer", "segund", "tercer", "cuart", "quint", "sext", "septim", "setim", "octav", "noven", "decim",
    "undecim", "duodecim", "decimoprimer", "decimosegund", "decimotercer", "decimocuart", "decimoquint",
    "decimosext", "decimoseptim", "decimoctav", "decimonoven", "vigesim", "trigesim", "cuadragesim",
    "quincuagesim", "sexagesim", "septuagesim", "octogesim", "nonagesim", "centesim", "milesim", "millonesim",
)
ES_ORDINAL = rf"(?:{'|'.join(ES_ORDINAL_STEMS)})(?:[oa]s?)?"
ES_MULTIPLES = ("doble", "dobles", "duplica", "duplican", "duplicar", "triple", "triples", "triplica",
                "triplican", "cuadruple", "cuadruplica")
ES_GROUPS = r"\bun par de\b"

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
LEADING = {"en": ("one",), "es": ("un", "una", "uno")}  # "one hundred", "un millón": part of the number
JOINERS = {"en": "and", "es": "y"}
# "one hundred and five": "and" after a scale word; "treinta y cuatro": "y" between tens and units
JOINED_BEFORE = {"en": r"hundred|thousand|million|billion|trillion", "es": ES_TENS}
JOINED_AFTER = {"en": rf"{'|'.join(EN_UNITS + EN_TEENS + EN_TENS)}|(?:{'|'.join(EN_TENS)})-\w+",
                "es": ES_UNITS}
TIME_UNITS = {"en": r"seconds?", "es": r"segundos?"}
RATE_WORDS = ("per", "por")  # "per second", "por segundo": the unit, its number a tagged value


def _plain(word: str) -> str:
    """The word in lower case without its accents: how the lists above spell it."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _word_pattern(language: str) -> re.Pattern[str]:
    if language == "en":
        unit = "|".join(EN_UNITS + ("one",))
        tens = "|".join(EN_TENS)
        compound = rf"(?:{tens})-(?:{unit}|{'|'.join(o for o in EN_ORDINALS[:9])})"
        words = EN_UNITS + EN_TEENS + EN_TENS + EN_SCALES + EN_ORDINALS + EN_MULTIPLES
        return re.compile(rf"{compound}|{'|'.join(words)}")
    return re.compile(rf"{ES_JOINED}|{ES_HUNDREDS}|{ES_ORDINAL}|{'|'.join(ES_CARDINALS + ES_MULTIPLES)}")


PATTERNS = {language: _word_pattern(language) for language in ("en", "es")}


@lru_cache(maxsize=1 << 16)
def is_number_word(word: str, language: str) -> bool:
    """Whether this one word (hyphenated compounds are one word) states a number in that language."""
    return PATTERNS[language].fullmatch(_plain(word)) is not None


def number_words(text: str, language: str) -> list[str]:
    """The numbers written in words in ``text``, each as written: a run of number words (joined by "and"/"y"
    where both sides are number words) is one number, "veintidós millones" or "thirty-four"."""
    found: list[str] = []
    words = list(WORD.finditer(text))
    index = 0
    while index < len(words):
        leads = _plain(words[index].group(0)) in LEADING[language] and index + 1 < len(words) \
            and not text[words[index].end():words[index + 1].start()].strip() and _counts(words, index + 1, language)
        if not (leads or _counts(words, index, language)):
            index += 1
            continue
        start = end = index
        while end + 1 < len(words) and _continues(words, end, language):
            end += 1 + (not _counts(words, end + 1, language))
        found.append(text[words[start].start():words[end].end()])
        index = end + 1
    groups = EN_GROUPS if language == "en" else ES_GROUPS
    found.extend(match.group(0) for match in re.finditer(groups, text, re.IGNORECASE))
    return found


def _counts(words: list[re.Match[str]], index: int, language: str) -> bool:
    """A number word (or a hyphenated word holding one), unless it is a unit of time ("seconds", "per second")."""
    word = _plain(words[index].group(0))
    if not is_number_word(word, language):
        return any(is_number_word(part, language) for part in word.split("-"))  # "first-layer", "top-five"
    if re.fullmatch(TIME_UNITS[language], word):
        before = _plain(words[index - 1].group(0)) if index else ""
        return not (word.endswith("s") or before in RATE_WORDS or is_number_word(before, language))
    return True


def _continues(words: list[re.Match[str]], end: int, language: str) -> bool:
    """Whether the number ending at ``end`` goes on: the next word is a number word after a space, or a joiner
    where the language puts one inside a number ("hundred and five", "treinta y cuatro"), never between two
    numbers ("eighteen and thirty-four" is two)."""
    if words[end + 1].string[words[end].end():words[end + 1].start()].strip():
        return False
    if _counts(words, end + 1, language):
        return True
    if end + 2 >= len(words) or _plain(words[end + 1].group(0)) != JOINERS[language]:
        return False
    if words[end + 1].string[words[end + 1].end():words[end + 2].start()].strip():
        return False
    before, after = _plain(words[end].group(0)), _plain(words[end + 2].group(0))
    return re.fullmatch(JOINED_BEFORE[language], before) is not None and \
        re.fullmatch(JOINED_AFTER[language], after) is not None


# Number words on the pages that state no number of the model or a source, each with its reason (the
# counterpart of numbers.ALLOWED_NUMBERS, by language).
ALLOWED_NUMBER_WORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        (r"\bour first steps\b", "idiom: the authors' beginnings, no position"),
        (r"\bcuts every negative value to zero\b", "the definition of ReLU, max(0, x), no value of the model"),
        (r"\bF\(x\) is zero\b", "claim residual_effect's wording 'zero', which the check derives from the run"),
        (r"\bthe comma separates thousands\b", "how torchsummary groups digits, no value"),
        (r"\bin billions\b|\((?:billions|millions)\)", "a unit (10⁹, 10⁶) that the tagged values beside it are in"),
        (r"\bdoes not start at zero\b", "where a figure's axis starts, no value of the model"),
    ),
    "es": (
        (r"\bnuestros primeros pasos\b", "idiom: the authors' beginnings, no position"),
        (r"\blleva a cero todo valor negativo\b", "the definition of ReLU, max(0, x), no value of the model"),
        (r"\bF\(x\) vale cero\b", "claim residual_effect's wording 'zero', which the check derives from the run"),
        (r"\bla coma separa los miles\b", "how torchsummary groups digits, no value"),
        (r"\ben miles de millones\b|\((?:miles de millones|millones)\)",
         "a unit (10⁹, 10⁶) that the tagged values beside it are in"),
        (r"\bno empieza en cero\b", "where a figure's axis starts, no value of the model"),
    ),
}


ALLOWED_WORDS = {language: re.compile("|".join(f"(?:{pattern})" for pattern, _reason in uses), re.IGNORECASE)
                 for language, uses in ALLOWED_NUMBER_WORDS.items()}


def untagged_number_words(text: str, language: str) -> list[str]:
    """The numbers in words left in ``text`` once the allowed uses are taken out."""
    return number_words(ALLOWED_WORDS[language].sub(" ", text), language)


def check_number_words(text: str, ctx: Context) -> None:
    """A number in words is a number: outside a tagged value it must be an allowed use. ``text`` is one piece
    of what a reader sees (a text node or a visible attribute), from the whole page or its article alike."""
    for words in untagged_number_words(text, ctx.language):
        ctx.fail("text", "every number to come from the model or a named source (a tagged value), in words too",
                 f"untagged number in words {words!r}")
