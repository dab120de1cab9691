"""The words of each language that are not in a template: labels, claim wordings, number styles.

The pages (report/pages.py) and the check (verify/) read the same files,
each for its own purpose: the pages to write a wording, the check to know
every wording a claim may take.
"""

from __future__ import annotations

import json

from .config import PACKAGE

TRANSLATIONS = PACKAGE / "translations"


def translations(language: str) -> dict[str, str]:
    return json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))


NOTEBOOK_WORDS = "notebook_out."
# What the notebook's outputs read from the translations: the words its code prints, and the notation of the
# numbers it formats with the pages' formatter (report/pages.py format_number reads number.*)
NOTEBOOK_OUTPUT_KEYS = (NOTEBOOK_WORDS, "number.")


def notebook_words(language: str) -> dict[str, str]:
    """The words the notebook's code prints (translations: notebook_out.*), keyed without the prefix."""
    return {key.removeprefix(NOTEBOOK_WORDS): text for key, text in translations(language).items()
            if key.startswith(NOTEBOOK_WORDS)}


def notebook_output_strings(language: str) -> dict[str, str]:
    """Every translation that decides the notebook's outputs as its code does.

    A build's compute key holds them (pipeline/stamp.py): a change to one runs the notebook again, where
    another translation's change only writes the pages again around the stored outputs.
    """
    return {key: text for key, text in translations(language).items() if key.startswith(NOTEBOOK_OUTPUT_KEYS)}
