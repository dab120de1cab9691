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
