"""What a value is of, what a figure is said to show, which pages carry the notice about weights.

Samples of issue 26 §2 and §3 planted back into the built pages, with cases
of the same classes that the issue did not name, and the sentences about
what the network detects chosen by the kind of weights on both sides.
"""

from __future__ import annotations

import dataclasses

import pytest

from generator.report.derive import choose_claims
from generator.verify import expected

from .conftest import Build, Derived
from .site_edits import edit
from .test_check import inputs, mismatches, only  # noqa: F401 - the check's fixtures, shared


def fact_span(key: str, value: str, style: str = "auto") -> str:
    return f'<span class="fact" data-fact="{key}" data-style="{style}">{value}</span>'


def test_the_blocks_minimum_beside_one_channel_fails(editable_build: Build, mismatches) -> None:
    """The sample: beside Figure 2a (one channel) the page gave the whole block's minimum as if it were the channel's."""
    edit(editable_build.page("index", "en"), 'data-fact="residual.0.channel_residual_min"',
         'data-fact="residual.0.residual_min"')
    only(mismatches(editable_build, "index"), "(index.en)", "fact residual.0.residual_min", "no such words")


def test_a_channels_value_without_its_channel_fails(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "es")
    edit(page, 'La <a href="#figura-2a">Figura 2a</a> muestra el canal', 'La <a href="#figura-2a">Figura 2a</a> muestra un canal')
    text = page.read_text(encoding="utf-8")
    channel = text.index('data-fact="residual.0.channel"')
    start = text.rindex("<span", 0, channel)
    end = text.index("</span>", channel) + len("</span>")
    page.write_text(text[:start] + "x" + text[end:], encoding="utf-8")
    only(mismatches(editable_build, "index"), "(index.es)", "residual.0.channel_residual_min", "that channel's number")


def test_a_block_value_in_a_row_with_a_channel_column_fails(built: Build, editable_build: Build, mismatches) -> None:
    """The sample: the comparison table had a channel column beside values of the whole block."""
    page = editable_build.page("index", "en")
    block = '<th style="text-align: left;">Block</th>\n'
    edit(page, block, f'{block}<th style="text-align: right;">Channel</th>\n')
    text = page.read_text(encoding="utf-8")
    row = text.index('data-fact="residual.0.name"', text.index(">Channel</th>"))
    cell_end = text.index("</td>", row) + len("</td>")
    channel = fact_span("residual.0.channel", str(built.facts.residual[0].channel))
    page.write_text(f'{text[:cell_end]}\n<td style="text-align: right;">{channel}</td>{text[cell_end:]}',
                    encoding="utf-8")
    only(mismatches(editable_build, "index"), "(index.en)", "table row with residual.0.", "beside a channel")


def test_a_block_value_beside_a_one_channel_figure_must_say_it_is_the_blocks(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("index", "en"),
         "It is also checked in code with <code>torch.allclose()</code>, over all of the block's channels:",
         "It is also checked in code with <code>torch.allclose()</code>:")
    only(mismatches(editable_build, "index"), "(index.en)", "fact residual.0.allclose", "no such words")


@pytest.mark.parametrize(("page", "old", "new"), [
    ("index.en", "the output of ", "ResNet's Add applied to "),  # the sample: Figure 3's caption named an Add layer
    ("index.es", "<li><strong>Softmax</strong>, que", "<li><strong>Softmax</strong>: la capa final; que"),
    ("maps.en", "The maps the network computes", "After the Flatten layer, the maps the network computes"),
])
def test_a_layer_resnet18_does_not_have_is_said_not_to_be_one(editable_build: Build, mismatches, page: str, old: str,
                                                              new: str) -> None:
    name, language = page.split(".")
    path = editable_build.page(name, language)
    if page == "index.es":
        edit(path, "no es un módulo de la resnet18 de torchvision", "es una capa más")
    edit(path, old, new)
    only(mismatches(editable_build, name), f"({page})", "layer '")


@pytest.mark.parametrize("page", ["family", "experiment"])
def test_the_weights_notice_on_a_page_the_weights_do_not_change_fails(editable_build: Build, mismatches,
                                                                        page: str) -> None:
    """The sample: the family and experiment pages carried the random-weights banner."""
    index = editable_build.page("index", "en").read_text(encoding="utf-8")
    start = index.index('<div class="admonition warning">')
    banner = index[start:index.index("</div>", index.index('data-claim="weights_banner"', start)) + len("</div>")]
    path = editable_build.page(page, "en")
    text = path.read_text(encoding="utf-8")
    heading_end = text.index("</h1>") + len("</h1>")
    path.write_text(f"{text[:heading_end]}\n{banner}{text[heading_end:]}", encoding="utf-8")
    only(mismatches(editable_build, page), f"({page}.en)", "weights banner", "does not depend on them")


@pytest.mark.parametrize("page", ["maps", "explorer", "reproducibility"])
def test_the_weights_notice_missing_from_a_page_they_change_fails(editable_build: Build, mismatches, page: str) -> None:
    edit(editable_build.page(page, "es"), 'data-claim="weights_banner"', 'data-claim="gone"')
    only(mismatches(editable_build, page), f"({page}.es)", "weights banner", "not verified trained ones")


@pytest.mark.parametrize("kind", ["imagenet", "file", "random"])
def test_what_the_network_detects_is_worded_by_the_kind_of_weights(built: Build, derived: Derived, kind: str) -> None:
    facts = built.facts
    chosen = choose_claims(kind, facts.residual, facts.totals, facts.prediction_ties, facts.family, facts.experiment)
    checked = expected._claims(derived.expected.values, kind, derived.expected.values["prediction_ties"])
    for name in ("stem_output", "residual_details", "residual_size_weights", "stem_filters", "deep_features"):
        assert chosen[name] == checked[name] == kind


@pytest.mark.parametrize(("channel_min", "block_min", "wanted"), [
    (-0.5, -2.0, "negative"), (0.1, -2.0, "nonnegative"), (0.0, -1.0, "nonnegative"),
])
def test_the_sentence_beside_figure_2a_is_chosen_by_that_channel_not_the_block(
        built: Build, derived: Derived, channel_min: float, block_min: float, wanted: str) -> None:
    facts = built.facts
    first = dataclasses.replace(facts.residual[0], channel_residual_min=channel_min, channel_residual_max=1.0,
                                residual_min=block_min)
    chosen = choose_claims(facts.provenance.weights.kind, (first, *facts.residual[1:]), facts.totals,
                           facts.prediction_ties, facts.family, facts.experiment)
    values = {**derived.expected.values, "residual.0.channel_residual_min": channel_min,
              "residual.0.channel_residual_max": 1.0, "residual.0.residual_min": block_min}
    checked = expected._claims(values, values["provenance.weights.kind"], values["prediction_ties"])
    assert chosen["residual_effect"] == checked["residual_effect"] == wanted


def test_the_residual_sentence_worded_for_other_weights_fails(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "en")
    edit(page, 'data-claim="residual_details" data-variant="random"', 'data-claim="residual_details" data-variant="imagenet"')
    only(mismatches(editable_build, "index"), "(index.en)", "claim residual_details")


def test_smallest_is_chosen_by_the_parameter_counts(built: Build, derived: Derived) -> None:
    facts = built.facts
    heavy = tuple(dataclasses.replace(m, params=10**9) if m.name == "resnet18" else m for m in facts.family.models)
    family = dataclasses.replace(facts.family, models=heavy)
    chosen = choose_claims(facts.provenance.weights.kind, facts.residual, facts.totals, facts.prediction_ties, family,
                           facts.experiment)
    index = next(i for i, m in enumerate(facts.family.models) if m.name == "resnet18")
    values = {**derived.expected.values, f"family.models.{index}.params": 10**9}
    checked = expected._claims(values, values["provenance.weights.kind"], values["prediction_ties"])
    assert chosen["resnet18_smallest"] == checked["resnet18_smallest"] == "not_smallest"
    assert choose_claims(facts.provenance.weights.kind, facts.residual, facts.totals, facts.prediction_ties,
                         facts.family, facts.experiment)["family_smallest"] == "smallest"
