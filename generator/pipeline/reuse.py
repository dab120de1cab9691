"""What the published build can lend this one: nothing, its computed outputs, or the whole result.

The docs manifest records the input digests of the build that published it
(pipeline/stamp.py) and the sha256 of every file it wrote, in docs/ and in the site.
This build compares them with its own inputs and with the files as they are
now:

- every input the same, and every published file as it was written: the
  site is up to date and nothing is done;
- the same compute inputs (image, weights, options, code, packages): the
  facts, figures, the explorer's data, the ONNX model and notebook outputs are read back from
  docs/; only the pages and the site are made again, and the check derives
  its own values (never from a cache) and reads the new pages against them;
- anything else, or a needed file that is not what was published: everything
  is computed.

A published file is used only after its bytes match the manifest's digest,
so an edited or deleted file is never trusted; it is made again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.config import DATA_FOLDER, FIGURE_FOLDER, LANGUAGES, MODEL_FOLDER, Config
from ..core.names import printable_path
from ..publish.generation import published_site, site_difference
from ..publish.journal import Manifest, published_bytes
from ..publish.ownership import site_generation
from ..report import facts
from .stamp import InputKeys

if TYPE_CHECKING:
    import nbformat

NOTHING_TO_DO = "none"
PROSE = "prose"
EVERYTHING = "full"


@dataclass(frozen=True)
class Published:
    """The computed outputs of the published build, each checked against the manifest's digest."""

    facts: facts.Facts
    figures: dict[str, bytes]  # file name under img/ -> PNG
    data_files: dict[str, bytes]  # the explorer's data and the ONNX model, by path under docs/ (DATA_FOLDER/..., MODEL_FOLDER/...)
    notebook_outputs: dict[str, nbformat.NotebookNode] | None  # each language's executed code cells, as notebook.Run gives them


@dataclass(frozen=True)
class Plan:
    work: str  # NOTHING_TO_DO, PROSE or EVERYTHING
    reason: str  # for the progress line
    generation: str | None = None  # the published generation this plan starts from
    published: Published | None = None


def only_pages_likely(manifest: Manifest, keys: InputKeys) -> bool:
    """Whether the plan will most likely be PROSE, from the manifest alone: same compute inputs, others changed."""
    recorded = manifest.inputs
    return recorded is not None and recorded.get("compute") == keys.compute and recorded != keys.to_dict()


def plan(config: Config, keys: InputKeys, manifest: Manifest) -> Plan:
    """How much of a build these inputs need, given docs/' manifest as the build found it and the site now."""
    recorded = manifest.inputs
    if not manifest.complete or manifest.generation is None or recorded is None:
        return Plan(EVERYTHING, "no complete earlier build with recorded inputs: computing everything")
    if recorded.get("compute") != keys.compute:
        return Plan(EVERYTHING, "the image, weights, options, generator code or packages changed: computing everything")
    docs_files = read_published(config.docs, manifest)
    if docs_files is None:
        return Plan(EVERYTHING, f"a file in {printable_path(config.docs)} is not the one published: computing everything")
    try:
        published_facts = facts.from_json(docs_files["facts.json"])
    except ValueError as error:
        return Plan(EVERYTHING, f"the published facts.json is refused ({error}): computing everything")
    if recorded == keys.to_dict() and site_intact(config, manifest):
        return Plan(NOTHING_TO_DO, "no input changed since the published build, and the site and docs are intact",
                    manifest.generation, Published(published_facts, {}, {}, None))
    changed = [name for name in ("prose", "site") if recorded.get(name) != getattr(keys, name)]
    what = {"prose": "templates or translations", "site": "mkdocs.yml or static assets"}
    reason = (f"only {' and '.join(what[name] for name in changed)} changed" if changed
              else "the published site was changed or is not where --out points")
    published = Published(
        facts=published_facts,
        figures={name.split("/", 1)[1]: data for name, data in docs_files.items() if name.startswith(f"{FIGURE_FOLDER}/")},
        data_files={name: data for name, data in docs_files.items()
                    if name.startswith((f"{DATA_FOLDER}/", f"{MODEL_FOLDER}/"))},
        notebook_outputs=notebook_outputs(docs_files) if config.execute_notebook else None,
    )
    return Plan(PROSE, f"{reason}: reusing the published facts, figures and notebook outputs", manifest.generation,
                published)


def read_published(docs: Path, manifest: Manifest) -> dict[str, bytes] | None:
    """Every file the manifest lists, read once and matched with its digest; None if any differs or is gone."""
    contents = {}
    for relative, digest in manifest.files.items():
        data = published_bytes(docs / relative)
        if data is None or digest is None or hashlib.sha256(data).hexdigest() != digest:
            return None
        contents[relative] = data
    return contents if "facts.json" in contents else None


def site_intact(config: Config, manifest: Manifest) -> bool:
    """The site docs/ was published with is at --out, with exactly the files it was published with."""
    site = published_site(config.docs, manifest)
    if site is None or os.path.normpath(site) != os.path.normpath(config.out) or not manifest.site_files:
        return False
    if site_generation(config.out) != manifest.generation:
        return False
    return site_difference(config.out, manifest.site_files) is None


def notebook_outputs(docs_files: dict[str, bytes]) -> dict[str, nbformat.NotebookNode]:
    """Each language's executed code cells, from its published notebook (they print in its language)."""
    from ..report.notebook import executed_code_cells

    return {language: executed_code_cells(docs_files[f"notebook.{language}.ipynb"].decode("utf-8"))
            for language in LANGUAGES}
