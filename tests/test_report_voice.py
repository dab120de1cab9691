"""The report's voice: a passage shown as the original report's must be the report's sentences, lightly edited."""

from __future__ import annotations

import difflib

import pytest

from generator.verify import report_voice
from generator.verify.report_voice import LEAST_LIKENESS, likeness, report_sentences


def brute_force(sentence: str) -> float:
    """The best ratio over every report sentence, as the rule defines it."""
    return max(difflib.SequenceMatcher(None, sentence.lower(), candidate, autojunk=False).ratio()
               for candidate in report_sentences())


def lightly_edited(sentence: str) -> str:
    """Typography and one word changed, as the pages change the report's sentences."""
    return sentence.replace(",", "").replace(" de ", " del ", 1).capitalize()


@pytest.mark.parametrize("index", [0, 7, 20, -1])
def test_a_report_sentence_lightly_edited_is_the_reports(index: int) -> None:
    sentence = lightly_edited(report_sentences()[index])
    assert likeness(sentence) >= LEAST_LIKENESS
    assert brute_force(sentence) >= LEAST_LIKENESS


@pytest.mark.parametrize("sentence", [
    "Las conexiones residuales resuelven por completo la degradación de cualquier red profunda.",
    "La red aprende a detectar bordes en la primera capa y caras en la última.",
    "Este informe fue escrito para demostrar que ResNet18 es la mejor arquitectura posible.",
])
def test_a_sentence_the_report_does_not_hold_is_refused_as_the_brute_force_search_refuses_it(sentence: str) -> None:
    assert likeness(sentence) == pytest.approx(brute_force(sentence))
    assert likeness(sentence) < LEAST_LIKENESS


def test_the_search_stops_at_the_first_sentence_that_is_the_reports() -> None:
    """The kept sentence is tried first (most shared words), so one full comparison settles it."""
    sentence = report_sentences()[5]
    calls = []
    original = difflib.SequenceMatcher.ratio

    def counted(self: difflib.SequenceMatcher) -> float:
        calls.append(1)
        return original(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(difflib.SequenceMatcher, "ratio", counted)
        assert report_voice.likeness(sentence) == 1.0
    assert len(calls) == 1
