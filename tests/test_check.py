"""The gate: a good build passes; each kind of wrong number, label, claim, quote or output is caught and named.

Every test here breaks a private copy of the shared build in one way and
asserts that the check names that break. The expected values and the
reproduced figures depend only on the inputs, so they are computed once.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from generator.core.config import DATA_FOLDER
from generator.core.errors import MismatchError
from generator.pipeline import site
from generator.core.imagenet import IMAGENET_FILENAME
from generator.report import pages
from generator.verify import artifacts, expected
from generator.verify import explorer_reference as explorer
from generator.verify import gate as check
from generator.verify.gate import CheckInputs, check_docs

from .conftest import (ROOT, Build, Derived, checked_with_every_fault, edited_package, make_config,
                       notebook_files_checked, run_build, whole_check)
from .site_edits import edit, insert_before_heading


def span(key: str, style: str = "auto") -> str:
    return f'data-fact="{key}" data-style="{style}">'


@pytest.fixture(scope="module")
def inputs(derived: Derived) -> tuple[expected.Expected, explorer.Reference, artifacts.Reproduction]:
    """What the shared build's inputs give: re-derived once per run, shared by every mutation below."""
    return derived.expected, derived.reference, derived.reproduction


@pytest.fixture
def mismatches(derived: Derived):
    """The check's findings: of one page in both languages (the page a test changed), or of the whole docs."""

    def run(build: Build, page: str | None = None) -> list[str]:
        if page is not None:
            return [str(m) for m in check.check_page_pair(build.docs, build.site, page, build.config,
                                                          derived.expected)]
        return whole_check(build, derived)

    return run


def only(found: list[str], *needles: str) -> None:
    assert found, "the check passed a broken build"
    assert any(all(n in line for n in needles) for line in found), found


def test_the_unchanged_build_passes(built: Build, mismatches) -> None:
    assert mismatches(built) == []


# ---------------------------------------------------------------- the summary table


def cells(*texts: str) -> str:
    """A run of summary-table cells as the site shows them: the name, shape and formula left, the count right."""
    aligned = ["left", "left", "left", "right"]
    return "</td>\n".join(f'<td style="text-align: {aligned[j]};">{text}' for j, text in enumerate(texts)) + "<"


@pytest.mark.parametrize(
    ("old", "new", "needles"),
    [
        (cells("Conv2d-5", "[-1, 64, 56, 56]", "64 * 64 * 3 * 3", "36,864"),
         cells("Conv2d-5", "[-1, 64, 56, 56]", "64 * 64 * 3 * 3", "36,865"),
         ("(index.es)", "Conv2d-5, parameters", "36,864", "36,865")),
        (cells("BatchNorm2d-20", "[-1, 128, 28, 28]"), cells("BatchNorm2d-20", "[-1, 128, 27, 28]"),
         ("(index.es)", "BatchNorm2d-20, output shape", "[-1, 128, 28, 28]", "[-1, 128, 27, 28]")),
        (cells("Conv2d-8", "[-1, 64, 56, 56]", "64 * 64 * 3 * 3"), cells("Conv2d-8", "[-1, 64, 56, 56]", "64 * 64 * 4 * 3"),
         ("(index.es)", "Conv2d-8, formula", "64 * 64 * 3 * 3", "64 * 64 * 4 * 3")),
        (">Total params</td>\n<td style=\"text-align: left;\">11,689,512<",
         ">Total params</td>\n<td style=\"text-align: left;\">11,689,513<", ("(index.es)", "Total params", "11,689,513")),
        (">Params size (MB)</td>\n<td style=\"text-align: left;\">44.59<",
         ">Params size (MB)</td>\n<td style=\"text-align: left;\">44.60<", ("(index.es)", "Params size (MB)", "44.60")),
        (">Forward/backward pass size (MB)</td>\n<td style=\"text-align: left;\">62.79<",
         ">Forward/backward pass size (MB)</td>\n<td style=\"text-align: left;\">62,79<",
         ("(index.es)", "Forward/backward pass size (MB)", "62,79")),
        (">ReLU-3<", ">ReLU-4<", ("(index.es)", "summary row ReLU-3", "ReLU-4")),
    ],
    ids=["parameter-cell", "shape-cell", "formula-cell", "total", "size-line", "size-in-spanish-format", "row-name"],
)
def test_a_changed_summary_cell_is_named(editable_build: Build, mismatches, old: str, new: str,
                                         needles: tuple[str, ...]) -> None:
    edit(editable_build.page("index", "es"), old, new)
    only(mismatches(editable_build, "index"), *needles)


def test_two_summary_row_names_swapped_with_their_numbers_kept_are_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "en")
    edit(page, ">Conv2d-5<", ">@@<")
    edit(page, ">BatchNorm2d-6<", ">Conv2d-5<")
    edit(page, ">@@<", ">BatchNorm2d-6<")
    found = mismatches(editable_build, "index")
    only(found, "summary row Conv2d-5", "BatchNorm2d-6")
    only(found, "summary row BatchNorm2d-6", "Conv2d-5")


def test_a_deleted_summary_row_or_total_line_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "en")
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"<tr>\s*<td[^>]*>ReLU-21</td>.*?</tr>", "", text, count=1, flags=re.S)
    page.write_text(re.sub(r"<tr>\s*<td[^>]*>Estimated Total Size \(MB\)</td>.*?</tr>", "", text, count=1,
                           flags=re.S), encoding="utf-8")
    found = mismatches(editable_build, "index")
    only(found, "(index.en)", "summary table", "68 rows", "67 rows")
    only(found, "(index.en)", "summary totals", "Estimated Total Size (MB)")


# ---------------------------------------------------------------- tagged values


def test_a_wrong_number_in_prose_is_named(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("index", "es"), span("stem.0.size", "dimension") + "112<",
         span("stem.0.size", "dimension") + "110<")
    only(mismatches(editable_build, "index"), "(index.es)", "fact stem.0.size", "112", "'110'")


@pytest.mark.parametrize(
    ("page", "key", "old", "new"),
    [
        ("(index.en)", "totals.params", "11,689,512", "１１,６８９,５１２"),
        ("(index.es)", "totals.params", "11\u202f689\u202f512", "١١\u202f٦٨٩\u202f٥١٢"),
        ("(index.en)", "totals.params", "11,689,512", "1,1689,512"),
        ("(index.en)", "totals.params", "11,689,512", "11_689_512"),
        ("(index.es)", "totals.params", "11\u202f689\u202f512", "11.689.512"),
        ("(index.es)", "stem.1.stride", "2", "2,0"),
    ],
    ids=["full-width", "arabic-indic", "misplaced-separator", "underscores", "dots-in-spanish", "decimal-added"],
)
def test_a_number_written_any_other_way_is_refused(editable_build: Build, mismatches, page, key, old, new) -> None:
    name, language = page.strip("()").split(".")
    edit(editable_build.page(name, language), span(key) + old + "<", span(key) + new + "<")
    only(mismatches(editable_build, name), f"({name}.{language})", f"fact {key}", repr(new))


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("Braces {42 layers} here.", "42"),
        ("A code span `42` here.", "42"),
        ("A code span `layer9.0` here.", "layer9.0"),
        ('A [link](#sources){ title="42 layers" } here.', "42"),
        ("![An image of 42 layers](img/scheme.svg)", "42"),
        ('<abbr title="about 42">x</abbr> here.', "42"),
        ("Full-width digits ４２ here.", "４２"),
        ("Arabic-Indic digits ٤٢ here.", "٤٢"),
        ("A superscript x² here.", "x²"),
        ("A Roman numeral Ⅻ here.", "Ⅻ"),
        ("A module name `layer3` outside a label.", "layer3"),
        ("```\nprint(42)\n```", "print(42)"),
        ("As Figure 9 shows.", "Figure 9"),
        ("The image had 16 bits.", "16"),
    ],
    ids=["braces", "code-span", "code-span-module", "title-attribute", "alt-text", "html-attribute", "full-width",
         "arabic-indic", "superscript", "roman-numeral", "module-name", "code-block", "missing-figure", "bit-depth"],
)
def test_every_visible_digit_in_any_construct_is_accounted_for(editable_build: Build, mismatches, snippet, needle) -> None:
    insert_before_heading(editable_build.page("index", "en"), "conclusion", snippet)
    only(mismatches(editable_build, "index"), "(index.en)", needle)


def test_a_digit_nobody_can_see_is_not_a_claim(editable_build: Build, mismatches) -> None:
    insert_before_heading(editable_build.page("index", "en"), "conclusion", "<!-- 42 is in a comment -->", html=True)
    assert mismatches(editable_build, "index") == []


@pytest.mark.build
def test_an_untagged_literal_typed_into_a_template_stops_the_build(editable_build: Build, tmp_path: Path,
                                                                  monkeypatch) -> None:
    template = edited_package(tmp_path, monkeypatch) / "templates" / "en" / "index.md.j2"
    edit(template, "## Conclusion", "The stem turns 224 pixels into 112.\n\n## Conclusion")
    with pytest.raises(MismatchError) as caught:
        site.build(editable_build.config, site.Progress(quiet=True))
    found = caught.value.listing
    only(found, "(index.en)", "untagged number '224'")
    only(found, "(index.en)", "untagged number '112.'")
    assert not any("(index.es)" in line for line in found)


def test_one_language_changed_alone_is_caught(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("maps", "en"), span("architecture.resize_size") + "256<",
         span("architecture.resize_size") + "255<")
    found = mismatches(editable_build, "maps")
    only(found, "(maps.en)", "fact architecture.resize_size", "255")
    only(found, "(maps.en)", "numbers compared with maps/index.html (maps.es)")


def test_a_heading_missing_in_one_language_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "en")
    page.write_text(re.sub(r'<h2 id="conclusion">(.*?)</h2>', r"<p>\1</p>", page.read_text(encoding="utf-8"), count=1),
                    encoding="utf-8")
    only(mismatches(editable_build, "index"), "(index.en)", "headings compared with index.html (index.es)")


def test_a_setext_heading_added_to_one_language_is_caught(editable_build: Build, mismatches) -> None:
    insert_before_heading(editable_build.page("index", "en"), "conclusion", "An extra heading\n----------------")
    only(mismatches(editable_build, "index"), "(index.en)", "headings compared with index.html (index.es)")


def test_an_unknown_fact_is_caught(editable_build: Build, mismatches) -> None:
    edit(editable_build.page("index", "es"), 'data-fact="stem.0.size"', 'data-fact="stem.0.sizes"')
    only(mismatches(editable_build, "index"), "unknown fact 'stem.0.sizes'")


def test_a_false_residual_check_fails(built: Build, monkeypatch) -> None:
    real = expected.recompute_block

    def broken(block, x):
        shortcut, residual, manual, output = real(block, x)
        return shortcut, residual, manual + 1e-3, output

    monkeypatch.setattr(expected, "recompute_block", broken)
    found = [str(m) for m in check_docs(built.docs, built.site, built.config, CheckInputs(reproduce=False))]
    only(found, "residual check of layer1.0", "True", "False")
    only(found, "fact residual.0.allclose", "True")


# ---------------------------------------------------------------- labels


def test_a_stage_heading_with_another_stages_name_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("maps", "en")
    edit(page, span("galleries.2.name", "plain") + "layer2<", span("galleries.2.name", "plain") + "layer3<")
    only(mismatches(editable_build, "maps"), "(maps.en)", "fact galleries.2.name", "'layer2'", "'layer3'")


def test_two_stage_headings_swapped_label_and_tag_together_are_caught(editable_build: Build, mismatches) -> None:
    """The names and their tags swapped, the sizes left: each size now sits beside the other stage's name."""
    page = editable_build.page("maps", "en")
    edit(page, span("galleries.2.name", "plain") + "layer2<", "@@")
    edit(page, span("galleries.3.name", "plain") + "layer3<", span("galleries.2.name", "plain") + "layer2<")
    edit(page, "@@", span("galleries.3.name", "plain") + "layer3<")
    found = mismatches(editable_build, "maps")
    only(found, "(maps.en)", "fact galleries.2.shape.0", "'layer2'", "without it")
    only(found, "(maps.en)", "fact galleries.3.shape.0", "'layer3'", "without it")


def test_conv1_shown_with_the_max_pools_size_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "en")
    for j, (old, new) in enumerate([("64", "64"), ("112", "56"), ("112", "56")]):
        edit(page, span(f"modules.0.output_shape.{j}", "dimension") + old + "<",
             span(f"modules.3.output_shape.{j}", "dimension") + new + "<")
    only(mismatches(editable_build, "index"), "(index.en)", "fact modules.3.output_shape.1", "'maxpool'", "without it")


def test_a_prose_size_moved_to_the_wrong_module_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "es")
    text = page.read_text(encoding="utf-8")
    size = functools.partial(span, style="dimension")
    line = next(line for line in text.splitlines() if "convolución" in line and size("stem.0.size") in line)
    page.write_text(text.replace(line, line.replace(size("stem.0.size") + "112<", size("stem.1.size") + "56<")),
                    encoding="utf-8")
    only(mismatches(editable_build, "index"), "(index.es)", "fact stem.1.size", "'maxpool'", "without it")


# ---------------------------------------------------------------- claims, quotes and sources


def test_a_trained_weights_claim_in_a_random_weights_build_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "en")
    strings = pages.translations("en")
    text = page.read_text(encoding="utf-8")
    start = text.index('data-claim="stem_filters"')
    end = text.index("</span>", start)
    trained = strings["claim.stem_filters.imagenet"]
    page.write_text(text[:start] + 'data-claim="stem_filters" data-variant="imagenet">' + trained + text[end:],
                    encoding="utf-8")
    only(mismatches(editable_build, "index"), "(index.en)", "claim stem_filters", "random", "imagenet")


def test_a_trained_weights_claim_written_as_plain_text_is_caught(editable_build: Build, mismatches) -> None:
    sentence = "These are the filters trained on ImageNet: edge and colour detectors can be recognised."
    insert_before_heading(editable_build.page("maps", "en"), "stages", sentence)
    only(mismatches(editable_build, "maps"), "(maps.en)", "claim maps_filters", "imagenet wording")


def test_the_random_weights_notice_cannot_be_removed(editable_build: Build, mismatches) -> None:
    page = editable_build.page("reproducibility", "es")
    text = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r'(?s)<div class="admonition warning">.*?</div>', "", text, count=1), encoding="utf-8")
    only(mismatches(editable_build, "reproducibility"), "(reproducibility.es)", "weights banner")


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("accuracy gets saturated", "accuracy saturates", "quotation he2016.degradation"),
        ("sección 1, p. 770", "sección 1, p. 771", "quotation he2016.vanishing, attribution"),
        ("no introducen parámetros extra", "no introducen parámetros", "quotation report.identity_es"),
    ],
    ids=["paper-word", "page-number", "report-word"],
)
def test_a_quotation_that_is_not_the_sources_words_is_caught(editable_build: Build, mismatches, old, new, needle) -> None:
    edit(editable_build.page("index", "es"), old, new)
    only(mismatches(editable_build, "index"), "(index.es)", needle)


@pytest.mark.parametrize(
    "snippet",
    [
        "> Deeper networks always degrade, and nothing but residual learning can fix it.",
        "The paper says «deeper networks always degrade and nothing but residual learning can fix it».",
        '<q>Deeper networks always degrade and nothing but residual learning fixes it</q>',
    ],
    ids=["blockquote", "quotation-marks", "q-element"],
)
def test_nothing_is_presented_as_a_quotation_unless_it_is_one(editable_build: Build, mismatches, snippet) -> None:
    insert_before_heading(editable_build.page("index", "en"), "conclusion", snippet)
    only(mismatches(editable_build, "index"), "(index.en)", "quotation")


def test_a_changed_reference_or_a_link_to_another_host_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "en")
    edit(page, "(pp. 770-778)", "(pp. 770-779)")
    insert_before_heading(page, "conclusion", "[More](https://example.com/resnet)")
    found = mismatches(editable_build, "index")
    only(found, "(index.en)", "source he2016")
    only(found, "(index.en)", "link https://example.com/resnet")


def test_a_figure_reference_to_the_wrong_figure_and_section_numbers_out_of_order_are_caught(
    editable_build: Build, mismatches
) -> None:
    page = editable_build.page("index", "en")
    edit(page, '<a href="#figure-3">Figure 3</a>', '<a href="#figure-1">Figure 3</a>')
    edit(page, ">2. Introduction<", ">3. Introduction<")
    found = mismatches(editable_build, "index")
    only(found, "(index.en)", "link 'Figure 3'", "#figure-3")
    only(found, "(index.en)", "section numbers", "1, 3")


# ---------------------------------------------------------------- figures, facts.json and notebooks


def test_a_figure_missing_from_one_language_is_caught(editable_build: Build, mismatches) -> None:
    page = editable_build.page("index", "en")
    page.write_text(re.sub(r'<img [^>]*src="img/comparison\.svg" />', "", page.read_text(encoding="utf-8")),
                    encoding="utf-8")
    only(mismatches(editable_build, "index"), "(index.en)", "figures compared with index.html (index.es)")


def _figure_damaged(figure: str, damage: str) -> Callable[[Build], None]:
    def plant(build: Build) -> None:
        path = build.docs / "img" / figure
        if damage == "delete":
            path.unlink()
        elif damage == "swap":
            path.write_bytes((build.docs / "img" / "input.png").read_bytes())
        else:
            path.write_bytes(b"" if damage == "empty" else b"\x89PNG\r\n\x1a\n not really")
    return plant


FIGURE_DAMAGE = [("comparison.en.svg", "delete", "missing"), ("conv1-filters.es.svg", "empty", "empty"),
                 ("features-layer1.en.svg", "garbage", "unreadable"), ("residual-layer1.0.es.svg", "swap", "another picture")]


@pytest.fixture(scope="module")
def damaged_figures_found(tmp_path_factory, built: Build, derived: Derived) -> list[str]:
    return checked_with_every_fault(tmp_path_factory, built, derived,
                                    [_figure_damaged(figure, damage) for figure, damage, _ in FIGURE_DAMAGE])


@pytest.mark.parametrize(("figure", "damage", "word"), FIGURE_DAMAGE, ids=[d for _, d, _ in FIGURE_DAMAGE])
def test_a_broken_or_swapped_figure_is_caught(damaged_figures_found: list[str], figure: str, damage: str,
                                              word: str) -> None:
    only(damaged_figures_found, figure, word)


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)  # nobody ever writes to it: a blocking read would wait for ever


def _huge(path: Path) -> None:
    os.truncate(path, 4 * 1024**3)  # sparse: 4 GB that a whole read would hold in memory


def _not_utf8(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\xff\xfe")


UNREAD = "unreadable: not a regular file of at most"


# Two copies: in one, faults that would hide those of the other (an unreadable explorer index leaves its data
# files unread; an unreadable page, the figures it shows).
UNREADABLE_FILES = [
    ("docs/facts.json", _fifo, ("facts.json: file", UNREAD), 0),
    ("docs/notebook.en.ipynb", _fifo, ("notebook.en.ipynb: page", UNREAD), 0),
    (f"docs/{DATA_FOLDER}/index.json", _fifo, (f"{DATA_FOLDER}/index.json: file", UNREAD), 0),
    ("docs/img/comparison.en.svg", _huge, ("comparison.en.svg", UNREAD), 1),
    (f"docs/{DATA_FOLDER}/filters-conv1-0.bin", _huge, (f"{DATA_FOLDER}/filters-conv1-0.bin", UNREAD), 1),
    ("site/en/maps/index.html", _not_utf8, ("en/maps/index.html (maps.en): page", "UTF-8"), 0),
    ("site/en/index.html", _fifo, ("en/index.html (index.en): page", UNREAD), 0),
    ("site/maps/index.html", _huge, ("maps/index.html (maps.es): page", UNREAD), 1),
    ("site/search/search_index.json", _fifo, ("search/search_index.json: file", UNREAD), 1),
]


@pytest.fixture(scope="module")
def unreadable_files_found(tmp_path_factory, built: Build, derived: Derived) -> list[tuple[list[str], int]]:
    """For each copy, the whole check with its files of UNREADABLE_FILES damaged, and the bytes it read: a pipe
    in a file's place must not be waited on, a huge file not read."""
    def hang(*_: object) -> None:
        raise TimeoutError("the check waited on a file")

    def damaged(relative: str, damage: Callable[[Path], None]) -> Callable[[Build], None]:
        folder, _, rest = relative.partition("/")
        return lambda build: damage((build.docs if folder == "docs" else build.site) / rest)

    results = []
    for copy in (0, 1):
        previous = signal.signal(signal.SIGALRM, hang)
        signal.alarm(120)
        before = bytes_read()
        try:
            found = checked_with_every_fault(tmp_path_factory, built, derived, [
                damaged(relative, damage) for relative, damage, _, in_copy in UNREADABLE_FILES if in_copy == copy])
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        results.append((found, bytes_read() - before))
    return results


@pytest.mark.parametrize(
    ("relative", "damage", "needles", "copy"), UNREADABLE_FILES,
    ids=["facts-fifo", "notebook-fifo", "index-fifo", "figure-4GB", "data-4GB", "page-not-utf8", "page-fifo",
         "page-4GB", "search-index-fifo"],
)
def test_a_file_that_cannot_be_read_whole_is_named_unread(unreadable_files_found: list[tuple[list[str], int]],
                                                          relative: str, damage, needles: tuple[str, ...],
                                                          copy: int) -> None:
    """The check reads docs and the site like any input, within 256 MB with several files damaged at once."""
    found, read = unreadable_files_found[copy]
    assert read < 256 * 1024**2
    only(found, *needles)


def bytes_read() -> int:
    return int(re.search(r"rchar: (\d+)", Path("/proc/self/io").read_text()).group(1))


FACTS_TAMPERING = [
    (("totals", "params"), 11_689_513, "facts.json: totals.params"),
    (("provenance", "image", "name"), "other.jpg", "facts.json: provenance.image.name"),
    (("claims", "stem_filters"), "imagenet", "facts.json: claims.stem_filters"),
    (("extra",), 1, "facts.json: extra"),
]


@pytest.fixture(scope="module")
def tampered_facts_found(tmp_path_factory, built: Build, derived: Derived) -> list[str]:
    """The whole check of a copy whose facts.json has every change of FACTS_TAMPERING (each names its key)."""
    def tampered(build: Build) -> None:
        facts_file = build.docs / "facts.json"
        data = json.loads(facts_file.read_text(encoding="utf-8"))
        for path, value, _ in FACTS_TAMPERING:
            node = data
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
        facts_file.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    return checked_with_every_fault(tmp_path_factory, built, derived, [tampered])


@pytest.mark.parametrize(("path", "value", "needle"), FACTS_TAMPERING, ids=["number", "name", "claim", "extra-key"])
def test_a_tampered_facts_json_is_caught(tampered_facts_found: list[str], path, value, needle) -> None:
    only(tampered_facts_found, needle)
    only(tampered_facts_found, "facts.json: file", "different bytes")


def _notebook(build: Build) -> tuple[Path, dict]:
    path = build.docs / "notebook.en.ipynb"
    return path, json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "needle"), [
    ("printed-text", "notebook.en.ipynb: code cell 3, output: expected 'block: layer1.0"),
    ("picture", "notebook.en.ipynb: code cell 2, picture: expected the feature map these inputs produce"),
    ("code", "notebook.en.ipynb: cells: expected the generator's cells for these options, found other cells"),
    ("error-output", "notebook.en.ipynb: code cell 3, output: expected no errors, found ValueError"),
])
def test_replaced_notebook_outputs_or_code_are_caught(editable_build: Build, derived: Derived, change: str,
                                                      needle: str) -> None:
    """The notebook files read as the whole check reads them (check_notebooks: the next test goes through it)."""
    path, notebook = _notebook(editable_build)
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    if change == "printed-text":
        stream = next(o for o in code[2]["outputs"] if o["output_type"] == "stream")
        stream["text"] = ["block: layer1.0\n", "ReLU(F(x) + x) matches the output (torch.allclose): no\n",
                          "maximum absolute difference: 0.5\n", "F(x) has negative values: yes\n"]
    elif change == "picture":
        image = next(o for o in code[1]["outputs"] if "image/png" in o.get("data", {}))
        image["data"]["image/png"] = base64.b64encode((editable_build.docs / "img" / "input.png").read_bytes()).decode()
    elif change == "code":
        code[0]["source"] = [line.replace("seed=0", "seed=1") for line in code[0]["source"]]
    else:
        code[2]["outputs"].append({"output_type": "error", "ename": "ValueError", "evalue": "x", "traceback": []})
    path.write_text(json.dumps(notebook), encoding="utf-8")
    only(notebook_files_checked(editable_build, derived), needle)


def test_a_notebook_without_outputs_fails_where_the_recipe_says_it_ran(editable_build: Build, mismatches) -> None:
    """The reproducibility page's command has no --no-notebook-execution: the notebooks must have run.
    (A build made with that option passes: zero_build and trained_build below are.)"""
    path, notebook = _notebook(editable_build)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
    path.write_text(json.dumps(notebook), encoding="utf-8")
    only(mismatches(editable_build), "notebook.en.ipynb: outputs", "expected executed cells, found none")


# ---------------------------------------------------------------- other weights


@pytest.fixture(scope="module")
def trained_build(tmp_path_factory) -> Build:
    """A build on a user's weights file: predictions are shown and must match the model's."""
    root = tmp_path_factory.mktemp("trained")
    torch.manual_seed(7)
    from torchvision.models import resnet18

    weights = root / "my-resnet18.pth"
    torch.save(resnet18(weights=None).state_dict(), weights)
    return run_build(make_config(root, weights=str(weights), execute_notebook=False))


@pytest.mark.build
def test_predictions_are_checked_with_a_users_weights(trained_build: Build, tmp_path: Path) -> None:
    assert len(trained_build.facts.predictions) == trained_build.facts.top_k
    assert trained_build.facts.provenance.weights.kind == "file" and not trained_build.facts.provenance.weights.trained
    values, reference = expected.derive_expected_and_reference(trained_build.config)
    assert check_docs(trained_build.docs, trained_build.site, trained_build.config,
                      CheckInputs(expected=values, reference=reference)) == []
    site_copy = tmp_path / "site"
    shutil.copytree(trained_build.site, site_copy)
    broken = replace(trained_build, config=replace(trained_build.config, out=site_copy))
    label = trained_build.facts.predictions[1].name
    edit(broken.page("maps", "es"), span("predictions.1.name", "plain") + label + "<",
         span("predictions.1.name", "plain") + "goldfish<")
    found = [str(m) for m in check.check_page_pair(broken.docs, broken.site, "maps", broken.config, values)]
    only(found, "(maps.es)", "predictions.1.name", label, "goldfish")


@pytest.mark.build
def test_a_users_weights_are_never_called_trained(trained_build: Build) -> None:
    for name in (page.name.split(".")[0] for page in trained_build.docs.glob("*.es.md")):
        for language in ("es", "en"):
            text = trained_build.page(name, language).read_text(encoding="utf-8")
            changed_by_weights = name not in ("family", "experiment")
            assert ('data-claim="weights_banner" data-variant="file"' in text) == changed_by_weights, name
            assert 'data-variant="imagenet"' not in text, name


@pytest.mark.build
def test_a_users_weights_file_is_named_in_the_printed_command_and_its_sha256_given(trained_build: Build) -> None:
    sha256 = trained_build.facts.provenance.weights.sha256
    for language in ("es", "en"):
        page = trained_build.page("reproducibility", language).read_text(encoding="utf-8")
        command = "python -m generator build --weights my-resnet18.pth --no-notebook-execution"
        assert span("provenance.recipe.build", "plain") + command + "<" in page
        said = page.split('data-claim="weights_used" data-variant="file">', 1)[1].split("</span>.", 1)[0]
        assert "my-resnet18.pth" in said and sha256 in said, said


@pytest.fixture(scope="module")
def zero_build(tmp_path_factory) -> Build:
    """All-zero weights: every value is zero or a tie, and every sentence must still be true."""
    root = tmp_path_factory.mktemp("zero")
    from torchvision.models import resnet18

    weights = root / "zeros.pth"
    torch.save({key: torch.zeros_like(value) for key, value in resnet18(weights=None).state_dict().items()}, weights)
    return run_build(make_config(root, weights=str(weights), execute_notebook=False))


@pytest.mark.build
def test_all_zero_weights_build_and_every_sentence_follows_the_values(zero_build: Build) -> None:
    facts = zero_build.facts
    assert facts.claims["residual_effect"] == "zero" and facts.claims["prediction"] == "tie"
    assert facts.prediction_ties == facts.architecture.num_classes
    index = (zero_build.page("index", "en")).read_text(encoding="utf-8")
    assert "is zero over the whole map" in index and "takes negative values" not in index
    assert "no class stands out" in index and "the most likely class is" not in index
    assert check_docs(zero_build.docs, zero_build.site, zero_build.config) == []


# ---------------------------------------------------------------- the command


@pytest.mark.process
def test_check_command_exits_5_and_names_the_change(editable_build: Build) -> None:
    """In this process, as `python -m generator check` runs it (test_check_command_passes_on_a_good_build runs the
    real command)."""
    from .test_cli import cli

    edit(editable_build.page("index", "en"), ">Total params</td>\n<td style=\"text-align: left;\">11,689,512<",
         ">Total params</td>\n<td style=\"text-align: left;\">11,689,000<")
    result = cli("check", "--weights", "random", "--offline", "--docs", str(editable_build.docs),
                 "--out", str(editable_build.site), "--mkdocs-yml", str(ROOT / "mkdocs.yml"))
    assert result.returncode == 5, result.stderr
    assert "en/index.html (index.en): summary Total params: expected 11,689,512, found 11,689,000" in result.stderr


@pytest.mark.process
@pytest.mark.kernel
def test_check_command_passes_on_a_good_build(built: Build) -> None:
    """It also trains the experiment's first batches of resnet-20 again, and the stored file agrees."""
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check", "--weights", "random", "--offline",
         "--docs", str(built.docs), "--mkdocs-yml", str(ROOT / "mkdocs.yml")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "the first 2 batches of resnet-20 trained again give the file's state digests" in result.stderr


def test_the_imagenet_file_name_is_torchvisions() -> None:
    from torchvision.models import ResNet18_Weights

    assert ResNet18_Weights.IMAGENET1K_V1.url.endswith("/" + IMAGENET_FILENAME)


def test_every_text_in_every_figure_is_inside_its_picture(built: Build, monkeypatch) -> None:
    """No title or label is cut off at the edge: every text's box lies within the canvas."""
    from generator.report import figures
    from generator.report.compute import compute_facts
    from generator.runtime import forked

    facts, capture, model = compute_facts(built.config, lambda _: None)
    conv1_weight = model.conv1.weight.detach()
    outside: list[str] = []
    seen: list[str] = []
    real = {"png": figures.png_bytes, "svg": figures.svg_bytes}

    def measure(fig, encode):
        fig.canvas.draw()
        box = fig.bbox
        for text in fig.findobj(lambda artist: hasattr(artist, "get_text") and hasattr(artist, "get_window_extent")):
            if text.get_text() and text.get_visible():
                seen.append(text.get_text())
                extent = text.get_window_extent()
                if extent.x0 < box.x0 - 0.5 or extent.x1 > box.x1 + 0.5 or extent.y0 < box.y0 - 0.5 or extent.y1 > box.y1 + 0.5:
                    outside.append(text.get_text())
        return real[encode](fig)

    @contextmanager
    def in_this_process(work, what):
        yield work  # every figure drawn here, where measure() can see it

    monkeypatch.setattr(figures, "png_bytes", lambda fig: measure(fig, "png"))
    monkeypatch.setattr(figures, "svg_bytes", lambda fig: measure(fig, "svg"))
    monkeypatch.setattr(forked, "started", in_this_process)
    figures.figure_bytes(facts, capture, conv1_weight)
    assert any("shortcut(x)" in text for text in seen) and any("layer4" in text for text in seen)
    assert outside == []
