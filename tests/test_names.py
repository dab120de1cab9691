"""Names and paths from the user are data, never markup, and never publish where the user keeps files.

One build runs on an image and a weights file whose names hold everything a
file system allows and a page must not obey: newlines, Markdown and HTML,
a code fence, a bidi override, a byte that is not UTF-8. The notebook is
executed, so the names also travel through the kernel.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import torch
from PIL import Image

from generator.core.names import printable_name
from generator.core.translations import notebook_words
from generator.verify.gate import check_docs
from generator.verify.visible import parse_html

from .conftest import Build, make_config, run_build

HOSTILE = b"evil\n# Injected heading\n```\n- item <b>bold<b> <img src=x onerror=alert(1)> [x](javascript:alert(1)) \xff \xe2\x80\xae"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Build, str, str]:
    root = tmp_path_factory.mktemp("hostile")
    inputs = root / "where the user keeps files"
    inputs.mkdir()
    image_name = os.fsdecode(HOSTILE + b".png")
    weights_name = os.fsdecode(HOSTILE + b".pth")
    Image.new("RGB", (80, 60), (30, 120, 200)).save(inputs / image_name, format="PNG")
    torch.manual_seed(3)
    from torchvision.models import resnet18

    torch.save(resnet18(weights=None).state_dict(), inputs / weights_name)
    build = run_build(make_config(root, image=inputs / image_name, weights=str(inputs / weights_name)))
    return build, image_name, weights_name


@pytest.mark.build
def test_the_names_are_shown_literally_on_one_line(hostile) -> None:
    build, image_name, weights_name = hostile
    facts = build.facts.provenance
    assert facts.image.name == printable_name(image_name) and "\n" not in facts.image.name
    assert facts.weights.file_name == printable_name(weights_name)
    assert "\\n# Injected heading\\n```\\n" in facts.image.name and "\\xff" in facts.image.name
    assert "\\u202e" in facts.image.name
    html = (build.site / "maps" / "index.html").read_text(encoding="utf-8")
    assert "Injected heading</h1>" not in html and "<b>bold" not in html and 'href="javascript:' not in html
    assert "onerror=alert(1)>" not in html
    assert "\u202e" not in html


@pytest.mark.build
@pytest.mark.parametrize("page", ["maps", "reproducibility"])
@pytest.mark.parametrize("language", ["es", "en"])
def test_the_names_create_no_element_in_any_page(hostile, page: str, language: str) -> None:
    """The whole built page, as a browser parses it: the content and whatever the theme copies around it."""
    build, _, _ = hostile
    root = parse_html(build.page(page, language).read_text(encoding="utf-8"))
    headings = [e.text() for e in root.walk() if e.tag in ("h1", "h2", "h3")]
    assert not any("Injected" in heading for heading in headings)
    assert not [e for e in root.walk() if e.tag == "b" or "onerror" in e.attrs or e.attrs.get("href", "").startswith("javascript")]
    holders = [e for e in root.walk() if any(isinstance(c, str) and "Injected" in c for c in e.children)]
    named_in = ("image.name", "weights.file_name", "recipe.build", "recipe.check")  # the recipe names the files
    assert holders and all(e.attrs.get("data-fact", "").endswith(named_in) for e in holders)
    recipe = build.facts.provenance.recipe
    for key, command in (("provenance.recipe.build", recipe.build), ("provenance.recipe.check", recipe.check)):
        assert [e.text() for e in root.walk() if e.attrs.get("data-fact") == key] in ([], [command])
    shown = [e.text() for e in root.walk() if e.attrs.get("data-fact") == "provenance.image.name"]
    assert shown and all(text == build.facts.provenance.image.name for text in shown)


@pytest.mark.build
def test_the_notebook_names_the_files_by_name_and_runs(hostile) -> None:
    build, image_name, weights_name = hostile
    notebook = json.loads((build.docs / "notebook.en.ipynb").read_text(encoding="utf-8"))
    first = "".join(next(c for c in notebook["cells"] if c["cell_type"] == "code")["source"])
    assert repr(image_name) in first and repr(weights_name) in first
    outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    words = notebook_words("en")
    assert f"{words['weights']}: {words['source.file']}\n" in "".join("".join(o.get("text", "")) for o in outputs)
    assert not [o for o in outputs if o["output_type"] == "error"]


@pytest.mark.build
def test_no_published_file_holds_a_local_path(hostile, tmp_path_factory) -> None:
    build, _, _ = hostile
    folder = "where the user keeps files"
    for tree in (build.docs, build.site):
        for path in tree.rglob("*"):
            if path.is_file() and path.suffix in (".md", ".json", ".ipynb", ".html", ".xml", ".txt"):
                text = path.read_text(encoding="utf-8", errors="replace")
                assert folder not in text and str(build.docs.parent) not in text, path
                assert not re.search(r"/root/|/home/|/tmp/", text), path


@pytest.mark.build
def test_the_check_passes_on_the_hostile_build(hostile) -> None:
    build, _, _ = hostile
    assert check_docs(build.docs, build.site, build.config) == []
