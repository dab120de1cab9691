"""The files beside the pages: facts.json, the figures and the executed notebooks, against what these inputs
make."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.config import FIGURE_FOLDER, LANGUAGES, Config
from ..core.json_input import PUBLISHED_JSON_MAX_DEPTH, loads_bounded, loads_facts
from ..publish.journal import published_bytes
from ..core.translations import notebook_words, translations
from .figure_text import FigureWords, check_svg_figure, figure_language
from .mismatch import UNREADABLE, Mismatch
from .numbers import value_matches
from .values import Expected, flatten
from .visible import Element

FLOAT_RTOL = 1e-6
NOTEBOOK_NUMBER_STYLE = "sci"  # how the notebook's third cell writes the maximum difference (format_number's style)


def check_facts_file(docs: Path, expected: Expected, mismatches: list[Mismatch]) -> None:
    data = published_bytes(docs / "facts.json")
    try:
        published = flatten(loads_facts(data)) if data is not None else None
    except ValueError as error:
        published, problem = None, f"unreadable ({error})"
    else:
        problem = UNREADABLE if (docs / "facts.json").exists() else "missing"
    if published is None:
        mismatches.append(Mismatch("facts.json", "file", "the facts of this run as JSON", problem))
        return
    wanted = expected.values
    for key in sorted(set(published) | set(wanted)):
        if key not in published:
            mismatches.append(Mismatch("facts.json", key, repr(wanted[key]), "missing"))
        elif key not in wanted:
            mismatches.append(Mismatch("facts.json", key, "only values the check derives", f"extra {published[key]!r}"))
        elif not same_value(published[key], wanted[key]):
            mismatches.append(Mismatch("facts.json", key, repr(wanted[key]), repr(published[key])))


def same_value(found: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(found, bool):
        return found is wanted
    if isinstance(wanted, float) or isinstance(found, float):
        return isinstance(found, (int, float)) and math.isclose(found, wanted, rel_tol=FLOAT_RTOL, abs_tol=1e-12)
    return type(found) is type(wanted) and found == wanted

@dataclass(frozen=True)
class Reproduction:
    """facts.json, every figure and the notebook's picture (base64 PNG), as these inputs make them."""

    facts_json: str
    figures: dict[str, bytes]
    picture: str


def figure_files(docs: Path) -> set[str]:
    """The names of the figures in the docs folder: pictures (PNG) and figures with words (SVG)."""
    return {path.name for pattern in ("*.png", "*.svg") for path in (docs / FIGURE_FOLDER).glob(pattern)}


def check_reproduction(docs: Path, reproduction: Reproduction, mismatches: list[Mismatch]) -> None:
    """Figures and facts.json byte for byte against what these inputs produce, and no figure besides them."""
    for name in sorted(figure_files(docs) - set(reproduction.figures)):
        mismatches.append(Mismatch(f"{FIGURE_FOLDER}/{name}", "figure", "only the figures this run draws",
                                   "a figure it does not draw"))
    for name, data in reproduction.figures.items():
        path = docs / FIGURE_FOLDER / name
        if not path.is_file():
            mismatches.append(Mismatch(f"{FIGURE_FOLDER}/{name}", "figure", "the figure this run draws", "missing"))
        elif published_bytes(path) != data:
            mismatches.append(Mismatch(f"{FIGURE_FOLDER}/{name}", "figure", "the figure these inputs produce",
                                       "another picture"))
    path = docs / "facts.json"
    refused = any(m.page == "facts.json" and m.place == "file" for m in mismatches)  # said once, in its own words
    if path.is_file() and not refused and published_bytes(path) != reproduction.facts_json.encode("utf-8"):
        mismatches.append(Mismatch("facts.json", "file", "the facts these inputs produce, byte for byte", "different bytes"))


@dataclass(frozen=True)
class PrintedLine:
    """One line a code cell must print: these words, or these words and then ``number`` as a reader reads it."""

    text: str
    number: float | None = None

    def matches(self, found: str, language: str, strings: dict[str, str]) -> bool:
        if self.number is None:
            return found == self.text
        return found.startswith(self.text) and value_matches(found[len(self.text):], self.number, NOTEBOOK_NUMBER_STYLE,
                                                             language, strings)

    def __str__(self) -> str:
        return self.text if self.number is None else f"{self.text}<{self.number!r} in the {NOTEBOOK_NUMBER_STYLE} style>"


@dataclass(frozen=True)
class CellOutput:
    """What one code cell of the notebook must show when it ran: its printout, and the picture or none."""

    printed: tuple[PrintedLine, ...]
    shows_picture: bool

    def same_printout(self, found: str, language: str, strings: dict[str, str]) -> bool:
        lines = found.splitlines()
        return len(lines) == len(self.printed) and all(
            wanted.matches(line, language, strings) for wanted, line in zip(self.printed, lines))

    def __str__(self) -> str:
        return "".join(f"{line}\n" for line in self.printed)


def cell_outputs(expected: Expected, language: str) -> list[CellOutput]:
    """The notebook's code cells in order, as they print in ``language`` (translations: notebook_out.*): weights,
    layer1's shape and picture, the residual add."""
    values, words = expected.values, notebook_words(language)

    def said(label: str, value: object) -> PrintedLine:
        shown = words["yes" if value else "no"] if isinstance(value, bool) else value
        return PrintedLine(f"{words[label]}: {shown}")

    return [
        CellOutput((said("weights", words[f"source.{expected.weights_source}"]),), shows_picture=False),
        CellOutput((said("shape", expected.layer1_shape),), shows_picture=True),
        CellOutput((said("block", values["residual.0.name"]), said("allclose", values["residual.0.allclose"]),
                    PrintedLine(f"{words['max_difference']}: ", values["residual.0.max_abs_diff"]),
                    said("negative", bool(values["residual.0.residual_min"] < 0))), shows_picture=False),
    ]


ShownCells = Callable[[str, Element, list[Mismatch]], set[int]]


def check_notebooks(docs: Path, config: Config, expected: Expected, mismatches: list[Mismatch],
                    notebook_picture: Callable[[], str]) -> ShownCells:
    """Each language's notebook file against the generator's cells and these inputs' outputs.

    Returns what accounts for a language's notebook page's code cells (language, article, where its mismatches
    go): the page shows them as nbconvert renders them, and they are read there only to see that they are
    these cells (shown_cells).
    """
    from ..report import notebook

    values = expected.values
    checked: dict[str, list[dict[str, Any]]] = {}
    for language in LANGUAGES:
        wanted_outputs, strings = cell_outputs(expected, language), translations(language)
        name = f"notebook.{language}.ipynb"
        path = docs / name
        data = published_bytes(path)
        try:
            published = loads_bounded(data.decode("utf-8"), PUBLISHED_JSON_MAX_DEPTH) if data is not None else None
        except ValueError as error:
            published, problem = None, f"unreadable ({error})"
        else:
            problem = UNREADABLE if path.exists() else "missing"
        if not isinstance(published, dict):
            mismatches.append(Mismatch(name, "page", "an executed notebook", problem if published is None else "not one"))
            continue
        wanted = notebook.build_notebook(config, language, values["provenance.weights.kind"])
        cells = published.get("cells", [])
        if [(c.get("cell_type"), _source(c)) for c in cells] != [(c.cell_type, c.source) for c in wanted.cells]:
            mismatches.append(Mismatch(name, "cells", "the generator's cells for these options", "other cells"))
            continue
        code = [cell for cell in cells if cell["cell_type"] == "code"]
        checked[language] = code
        executed = any(cell.get("outputs") for cell in code)  # a build may skip execution: code, no outputs
        if executed != config.execute_notebook:  # the recipe on the reproducibility page says which
            mismatches.append(Mismatch(name, "outputs", "executed cells" if config.execute_notebook else
                                       "no outputs (--no-notebook-execution)", "outputs" if executed else "none"))
        for number, (cell, wanted_output) in enumerate(zip(code, wanted_outputs), start=1):
            outputs = cell.get("outputs", [])
            if not executed:
                continue
            streams = "".join(_source_text(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
            if not wanted_output.same_printout(streams, language, strings):
                mismatches.append(Mismatch(name, f"code cell {number}, output", repr(str(wanted_output)),
                                           repr(streams)))
            images = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
            others = [o for o in outputs if o.get("output_type") not in ("stream", "execute_result", "display_data")]
            if others:
                mismatches.append(Mismatch(name, f"code cell {number}, output", "no errors", others[0].get("ename", "")))
            want_images = [notebook_picture()] if wanted_output.shows_picture else []
            if [_source_text(i).replace("\n", "") for i in images] != want_images:
                mismatches.append(Mismatch(name, f"code cell {number}, picture",
                                           "the feature map these inputs produce", f"{len(images)} other picture(s)"))
    return lambda language, article, found: shown_cells(article, checked.get(language, []), found, language)


def shown_cells(article: Element, code: list[dict[str, Any]], mismatches: list[Mismatch], language: str) -> set[int]:
    """The notebook page's code, its copy for the clipboard, and its outputs, each as the checked cell holds it.

    Compared without whitespace (nbconvert and the highlighter break lines their own way); a cell shown
    otherwise is a mismatch and is read like any text.
    """
    done: set[int] = set()
    blocks = {kind: [e for e in article.walk() if e.has_class(kind)]
              for kind in ("highlight-ipynb", "clipboard-copy-txt", "jp-Cell-outputWrapper")}
    for number, cell in enumerate(code, start=1):
        wanted = {"highlight-ipynb": _source(cell), "clipboard-copy-txt": _source(cell),
                  "jp-Cell-outputWrapper": "".join(_output_text(o) for o in cell.get("outputs", []))}
        for kind, text in wanted.items():
            shown = blocks[kind][number - 1] if len(blocks[kind]) >= number else None
            if kind == "jp-Cell-outputWrapper" and not text and shown is None:
                continue
            if shown is None or "".join(shown.text().split()) != "".join(text.split()):
                mismatches.append(Mismatch(f"notebook page ({language})", f"code cell {number} ({kind})",
                                           f"the cell of notebook.{language}.ipynb",
                                           "other text" if shown is not None else "missing"))
            elif kind != "jp-Cell-outputWrapper" or _same_pictures(shown, cell):
                done.add(id(shown))
    return done


def _output_text(output: dict[str, Any]) -> str:
    if output.get("output_type") == "stream":
        return _source_text(output.get("text", ""))
    return _source_text(output.get("data", {}).get("text/plain", "")) if "image/png" not in output.get("data", {}) else ""


def _same_pictures(shown: Element, cell: dict[str, Any]) -> bool:
    """The output's pictures are the cell's, byte for byte (nbconvert inlines them as data: addresses)."""
    pictures = ["".join(_source_text(o["data"]["image/png"]).split()) for o in cell.get("outputs", [])
                if "image/png" in o.get("data", {})]
    inlined = [image.attrs.get("src", "").removeprefix("data:image/png;base64,") for image in shown.walk()
               if image.tag == "img"]
    return inlined == pictures


def _source(cell: dict[str, Any]) -> str:
    return _source_text(cell.get("source", ""))


def _source_text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def notebook_picture(expected: Expected, reproduced: Callable[[], Reproduction] | None) -> Callable[[], str]:
    """The picture the notebook must show: drawn from the check's model, else by the reproduction's fork."""
    drawn = expected.layer1_picture
    if drawn is not None:
        return lambda: drawn
    if reproduced is None:
        raise ValueError("the notebook's picture was neither drawn by the check nor reproduced")
    return lambda: reproduced().picture


def page_text(path: Path) -> str | None:
    """A page's Markdown, read like every docs file (see published_bytes); None if it is not UTF-8 text."""
    data = published_bytes(path)
    try:
        return data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError:
        return None


def check_image_file(page: str, docs: Path, source: str, mismatches: list[Mismatch], site: Path, copy: str,
                     words: FigureWords) -> None:
    """The figure under docs is a PNG, or an SVG, and the site serves that very file at ``copy``; what the
    served SVG says is its language's words (verify/figure_text.py), read in the file a reader gets."""
    from PIL import Image, UnidentifiedImageError

    path, served = docs / source, site / copy
    kind = "SVG" if source.lower().endswith(".svg") else "PNG"
    if not path.exists():
        mismatches.append(Mismatch(page, f"figure {source}", f"a non-empty {kind} file", "missing"))
        return
    data = published_bytes(path)
    if not data:
        mismatches.append(Mismatch(page, f"figure {source}", f"a non-empty {kind} file",
                                   "empty" if data == b"" else UNREADABLE))
        return
    shown = published_bytes(served)
    if kind == "SVG":
        for version, place in ((data, source), (shown, f"{source}, served as {copy}")):
            if version and (version is data or version != data):  # the served file, read again only if it differs
                check_svg_figure(page, f"figure {place}", version, figure_language(source), words, mismatches)
    else:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                if image.format != "PNG":
                    raise UnidentifiedImageError(image.format)
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            mismatches.append(Mismatch(page, f"figure {source}", "a valid PNG", f"unreadable ({error})"))
            return
    if shown != data:
        mismatches.append(Mismatch(page, f"figure {source}", f"the same file served at {served.name} in the site",
                                   "another file" if served.exists() else "none there"))


def check_notebook_copies(docs: Path, site: Path, mismatches: list[Mismatch]) -> None:
    """The notebook a reader downloads from its page is the checked file, byte for byte."""
    from . import site_pages

    for language in LANGUAGES:
        name = f"notebook.{language}.ipynb"
        copy = site_pages.page_file(site, "notebook", language).with_name(name)
        if published_bytes(copy) != published_bytes(docs / name):
            mismatches.append(Mismatch(str(copy.relative_to(site)), "download", f"the checked {name}",
                                       "another file" if copy.exists() else "missing"))
