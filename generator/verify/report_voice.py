"""The original report's voice: its own sentences kept on the pages, shown as the report's and held to its text.

A passage in the report's voice is exempt from the interpretation lint, so it
must really be the report's: on the Spanish page every sentence of it matches a
sentence of `data/report.md` (the report as it was given) closely, allowing the
light edits the pages make (typography, tagged numbers, one term per idea), and
it carries the visible label that says whose words these are. The English page
translates it and carries the same passages.
"""

from __future__ import annotations

import difflib
import re
from functools import cache

from ..core import sources
from .context import Context, squash
from .visible import Element

SOURCE_LANGUAGE = "es"
LEAST_LIKENESS = 0.75  # difflib's ratio: light edits of a report sentence score above 0.8, another sentence below 0.5
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORDS = re.compile(r"\w+")


@cache
def report_sentences() -> tuple[str, ...]:
    text = re.sub(r"<[^>]+>|[*_`#>]|\[(?:\d+)\]", " ", sources.report_text())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return tuple(s.lower() for line in text.splitlines() for s in SENTENCE_END.split(squash(line)) if len(s) > 3)


@cache
def report_matchers() -> tuple[tuple[frozenset[str], difflib.SequenceMatcher], ...]:
    """Each report sentence's words, and a matcher with its index of the sentence made once (a sentence of a
    page is set in turn as the other side)."""
    return tuple((frozenset(WORDS.findall(candidate)), difflib.SequenceMatcher(None, "", candidate, autojunk=False))
                 for candidate in report_sentences())


def likeness(sentence: str) -> float:
    """The best difflib ratio against the report's sentences, or the first at least ``LEAST_LIKENESS``.

    The sentences sharing the most words are tried first, so a kept report sentence is found at the first
    try; a candidate whose quick_ratio (an upper bound of ratio) cannot beat the best found is skipped. The
    full ratio against every sentence made the check half a second slower.
    """
    wanted = sentence.lower()
    words = frozenset(WORDS.findall(wanted))
    best = 0.0
    for candidate_words, matcher in sorted(report_matchers(), key=lambda m: -len(m[0] & words)):
        if best >= LEAST_LIKENESS:
            break
        matcher.set_seq1(wanted)
        if matcher.quick_ratio() > best:
            best = max(best, matcher.ratio())
    return best


def passage_text(element: Element) -> str:
    """The passage without its label."""
    return squash("".join(child if isinstance(child, str) else passage_text(child) if not child.has_class(
        "report-voice-label") else " " for child in element.children))


def check_report_voice(root: Element, ctx: Context) -> list[str]:
    """Each passage is labelled as the report's and, in the report's language, is the report's; returns each
    passage's key with its number of sentences, which a translation keeps (so no sentence is added in one language)."""
    keys = []
    for element in (e for e in root.walk() if e.has_class("report-voice")):
        key = element.attrs.get("data-report", "")
        sentences = [s for s in SENTENCE_END.split(passage_text(element)) if len(s) > 3]
        keys.append(f"{key}, {len(sentences)} sentence(s)")
        labels = [e for e in element.walk() if e.has_class("report-voice-label")]
        if not labels or squash(labels[0].text()) != squash(ctx.strings["report_voice_label"]):
            ctx.fail(f"report passage {key!r}", repr(ctx.strings["report_voice_label"]), "no such label")
        if ctx.language != SOURCE_LANGUAGE:
            continue
        for sentence in sentences:
            if likeness(sentence) < LEAST_LIKENESS:
                ctx.fail(f"report passage {key!r}", "a sentence of the original report (data/report.md)",
                         repr(sentence[:100]))
    return keys
