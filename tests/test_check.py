"""The numeric gate: a good build passes; each kind of wrong number is caught and named."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from generator import check, pages
from generator.check import check_docs
from generator.weights import IMAGENET_FILENAME

from .conftest import ROOT, Build, make_config, run_build


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def mismatches(build: Build) -> list[str]:
    return [str(m) for m in check_docs(build.docs, build.config)]


def only(found: list[str], *needles: str) -> None:
    assert found, "the check passed a broken build"
    assert any(all(n in line for n in needles) for line in found), found


def test_the_unchanged_build_passes(built: Build) -> None:
    assert mismatches(built) == []


@pytest.mark.parametrize(
    ("old", "new", "needles"),
    [
        ("|Conv2d-5|[-1, 64, 56, 56]|64 \\* 64 \\* 3 \\* 3|36,864|", "|Conv2d-5|[-1, 64, 56, 56]|64 \\* 64 \\* 3 \\* 3|36,865|",
         ("index.es.md", "Conv2d-5, parameters", "36,864", "36,865")),
        ("|BatchNorm2d-20|[-1, 128, 28, 28]|", "|BatchNorm2d-20|[-1, 128, 27, 28]|",
         ("index.es.md", "BatchNorm2d-20, output shape", "[-1, 128, 28, 28]", "[-1, 128, 27, 28]")),
        ("|Conv2d-8|[-1, 64, 56, 56]|64 \\* 64 \\* 3 \\* 3|", "|Conv2d-8|[-1, 64, 56, 56]|64 \\* 64 \\* 3 \\* 4|",
         ("index.es.md", "Conv2d-8, formula", "36,864", "49152")),
        ("|Total params|11,689,512|", "|Total params|11,689,513|", ("index.es.md", "Total params", "11,689,513")),
        ("|ReLU-3|", "|ReLU-4|", ("index.es.md", "summary row ReLU-3", "ReLU-4")),
    ],
    ids=["parameter-cell", "shape-cell", "formula-cell", "total", "row-name"],
)
def test_a_changed_summary_cell_is_named(editable_build: Build, old: str, new: str, needles: tuple[str, ...]) -> None:
    edit(editable_build.docs / "index.es.md", old, new)
    only(mismatches(editable_build), *needles)


def test_a_deleted_summary_row_is_caught(editable_build: Build) -> None:
    page = editable_build.docs / "index.en.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r"(?m)^\|ReLU-21\|.*\n", "", text), encoding="utf-8")
    only(mismatches(editable_build), "index.en.md", "summary table", "68 rows", "67 rows")


def test_a_wrong_number_in_prose_is_named(editable_build: Build) -> None:
    edit(editable_build.docs / "index.es.md", 'data-fact="architecture.stem_size" data-style="auto">112<',
         'data-fact="architecture.stem_size" data-style="auto">110<')
    only(mismatches(editable_build), "index.es.md", "fact architecture.stem_size", "112", "'110'")


def test_an_untagged_literal_typed_into_a_template_is_caught(built: Build, tmp_path: Path, monkeypatch) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(pages.TEMPLATES, templates)
    edit(templates / "en" / "index.md.j2", "## Conclusion", "The stem turns 224 pixels into 112.\n\n## Conclusion")
    monkeypatch.setattr(pages, "TEMPLATES", templates)
    from generator.figures import figure_files

    rendered = pages.render_pages(built.facts, figure_files(built.facts))
    docs = tmp_path / "docs"
    shutil.copytree(built.docs, docs)
    for name, text in rendered.items():
        (docs / name).write_text(text, encoding="utf-8")
    found = [str(m) for m in check_docs(docs, built.config)]
    only(found, "index.en.md", "untagged number '224'")
    only(found, "index.en.md", "untagged number '112'")
    assert not any("index.es.md" in line for line in found)


def test_one_language_changed_alone_is_caught(editable_build: Build) -> None:
    edit(editable_build.docs / "maps.en.md", 'data-fact="architecture.resize_size" data-style="auto">256<',
         'data-fact="architecture.resize_size" data-style="auto">255<')
    found = mismatches(editable_build)
    only(found, "maps.en.md", "fact architecture.resize_size", "255")
    only(found, "maps.en.md", "numbers compared with maps.es.md")


def test_a_heading_missing_in_one_language_is_caught(editable_build: Build) -> None:
    edit(editable_build.docs / "index.en.md", "## Conclusion", "Conclusion")
    only(mismatches(editable_build), "index.en.md", "headings compared with index.es.md")


def test_a_figure_missing_from_one_language_is_caught(editable_build: Build) -> None:
    page = editable_build.docs / "index.en.md"
    page.write_text(re.sub(r"!\[[^\]]*\]\(img/comparison\.png\)", "", page.read_text(encoding="utf-8")), encoding="utf-8")
    only(mismatches(editable_build), "index.en.md", "figures compared with index.es.md")


@pytest.mark.parametrize(("damage", "word"), [("delete", "missing"), ("empty", "empty"), ("garbage", "unreadable")])
def test_a_broken_figure_is_caught(editable_build: Build, damage: str, word: str) -> None:
    figure = editable_build.docs / "img" / "comparison.png"
    if damage == "delete":
        figure.unlink()
    else:
        figure.write_bytes(b"" if damage == "empty" else b"\x89PNG\r\n\x1a\n not really")
    only(mismatches(editable_build), "index.es.md", "figure img/comparison.png", word)


def test_an_unknown_fact_is_caught(editable_build: Build) -> None:
    edit(editable_build.docs / "index.es.md", 'data-fact="architecture.stem_size"', 'data-fact="architecture.stem_sizes"')
    only(mismatches(editable_build), "unknown fact 'architecture.stem_sizes'")


def test_a_false_residual_check_fails(built: Build, monkeypatch) -> None:
    real = check.recompute_block

    def broken(block, x):
        residual, manual, output = real(block, x)
        return residual, manual + 1e-3, output

    monkeypatch.setattr(check, "recompute_block", broken)
    found = [str(m) for m in check_docs(built.docs, built.config)]
    only(found, "residual check of layer1.0", "True", "False")
    only(found, "fact residual.0.allclose", "True")


@pytest.fixture(scope="module")
def trained_build(tmp_path_factory) -> Build:
    """A build on a user's weights file: predictions are shown and must match the model's."""
    root = tmp_path_factory.mktemp("trained")
    torch.manual_seed(7)
    from torchvision.models import resnet18

    weights = root / "my-resnet18.pth"
    torch.save(resnet18(weights=None).state_dict(), weights)
    return run_build(make_config(root, weights=str(weights), execute_notebook=False))


def test_predictions_are_checked_with_real_weights(trained_build: Build, tmp_path: Path) -> None:
    assert len(trained_build.facts.predictions) == trained_build.facts.top_k
    assert mismatches(trained_build) == []
    docs = tmp_path / "docs"
    shutil.copytree(trained_build.docs, docs)
    broken = replace(trained_build, config=replace(trained_build.config, docs=docs))
    label = trained_build.facts.predictions[1].label
    edit(docs / "maps.es.md", f'data-fact="predictions.1.label" data-style="plain">{label}<',
         'data-fact="predictions.1.label" data-style="plain">goldfish<')
    only(mismatches(broken), "maps.es.md", "predictions.1.label", label, "goldfish")


def test_check_command_exits_5_and_names_the_change(editable_build: Build) -> None:
    edit(editable_build.docs / "index.en.md", "|Total params|11,689,512|", "|Total params|11,689,000|")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check", "--weights", "random", "--offline",
         "--docs", str(editable_build.docs), "--mkdocs-yml", str(ROOT / "mkdocs.yml")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode == 5, result.stderr
    assert "index.en.md: summary Total params: expected 11,689,512, found 11,689,000" in result.stderr


def test_check_command_passes_on_a_good_build(built: Build) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check", "--weights", "random", "--offline",
         "--docs", str(built.docs), "--mkdocs-yml", str(ROOT / "mkdocs.yml")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_imagenet_file_name_is_torchvisions() -> None:
    from torchvision.models import ResNet18_Weights

    assert ResNet18_Weights.IMAGENET1K_V1.url.endswith("/" + IMAGENET_FILENAME)
