"""Facts are plain data: JSON out and back gives the same tree, so a later build can reuse them."""

from __future__ import annotations

import dataclasses

from generator.report import facts

from .conftest import Build


def test_facts_survive_a_trip_through_json(built: Build) -> None:
    again = facts.from_json(built.facts.to_json())
    assert again == built.facts
    assert again.to_json() == built.facts.to_json()
    assert isinstance(again.summary[0], facts.SummaryRow) and isinstance(again.summary[0].output_shape, tuple)


def test_every_kind_of_value_is_rebuilt_with_its_own_type(built: Build) -> None:
    """Optionals, floats written as whole numbers, dicts and empty tuples come back as declared."""
    sample = dataclasses.replace(
        built.facts,
        predictions=(facts.Prediction(name="goldfish", rank=1, index=1, probability=1.0),),
        prediction_ties=1,
        provenance=dataclasses.replace(built.facts.provenance, weights=dataclasses.replace(
            built.facts.provenance.weights, file_name="w.pth", sha256="ab" * 32, size_bytes=3)),
    )
    again = facts.from_json(sample.to_json())
    assert again == sample
    assert isinstance(again.predictions[0].probability, float)
    assert again.provenance.image.conversions == built.facts.provenance.image.conversions
