"""What a build reads, as three digests, computed without importing torch.

Equal digests mean equal outputs, because the build is deterministic: the
same image bytes, weights, options, code, package versions, templates,
translations, mkdocs.yml and static assets give byte-identical pages,
figures, notebooks and site. The three parts say how much of a build a
change needs:

- ``compute``: everything that decides the facts, figures, notebook outputs
  and the check's values (inputs, options, generator code and data, package
  versions, the translations the notebook prints with). When it changes,
  everything is computed again.
- ``prose``: templates and translations, the words around the facts. When
  only they change, the stored facts and figures are reused.
- ``site``: mkdocs.yml and the static assets, which only MkDocs reads, and the
  version of onnxruntime-web, whose files the build copies into the site.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from ..core import imagenet
from ..core.config import LANGUAGES, PACKAGE, Config, is_sample_image
from ..core.digests import PROSE_FOLDERS, code_digest, file_digest, json_digest, tree_digest
from ..core.errors import ImageError, UsageError, WeightsError
from ..core.translations import notebook_output_strings
from ..core.limits import MAX_IMAGE_FILE_BYTES, MKDOCS_YML_LIMIT, WEIGHTS_FILE_BOUND
from . import ort_files


@dataclass(frozen=True)
class InputKeys:
    compute: str
    prose: str
    site: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def input_keys(config: Config, static: Path) -> InputKeys:
    """The digests of everything a build with this config reads; ``static`` is docs/assets/static."""
    compute = {
        "options": [config.weights if config.weights in ("auto", "imagenet", "random") else "file", config.seed,
                    config.allow_download, config.top_k, config.feature_channels, config.execute_notebook,
                    config.make_pdf,
                    list(LANGUAGES)],
        "image": _named_file(config.image, MAX_IMAGE_FILE_BYTES, ImageError),
        "weights": _weights_identity(config),
        "code": code_digest(PACKAGE),
        "notebook_outputs": {language: notebook_output_strings(language) for language in LANGUAGES},
        "packages": installed_distributions(),
        "python": platform.python_version(),
    }
    prose = {folder: tree_digest(PACKAGE / folder) for folder in PROSE_FOLDERS}
    site = {"mkdocs.yml": file_digest(config.mkdocs_yml, MKDOCS_YML_LIMIT, UsageError), "static": tree_digest(static),
            "onnxruntime-web": ort_files.version()}
    return InputKeys(compute=json_digest(compute), prose=json_digest(prose), site=json_digest(site))



def installed_distributions() -> list[str]:
    """Every installed package and its version, as its metadata folder names them (Pygments-2.19.2.dist-info).

    All of them, not a list of the ones we know shape an output: a package
    that MkDocs, nbconvert or matplotlib pulls in (a highlighter, a Markdown
    parser) changes pages as surely as a direct dependency. Listing the
    folders takes a millisecond; importlib.metadata would take a tenth of a
    second.
    """
    found = set()
    for entry in filter(None, sys.path):  # "" is the working directory, which installs nothing
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        found.update(name for name in names if name.endswith((".dist-info", ".egg-info")))
    return sorted(found)


def _weights_identity(config: Config) -> object:
    """The weights a build would use, as far as files tell: a file's name and digest, or what stands in."""
    if config.weights == "random":
        return "random"
    if config.weights not in ("auto", "imagenet"):
        return _named_file(Path(config.weights), WEIGHTS_FILE_BOUND, WeightsError)
    cached = imagenet.imagenet_cache_path()
    if cached.is_file():
        return {"imagenet": file_digest(cached, imagenet.IMAGENET_SIZE, WeightsError, exact=True)}
    # The network is no input a digest can hold: a build that fell back after a failed download does not
    # try again until an input changes (a file in the cache is one) or --force asks for it.
    return "no ImageNet file in the cache"


def _named_file(path: Path, limit: int, error: type[Exception]) -> dict[str, str]:
    """A published file is its name (the pages show it) and its bytes."""
    if is_sample_image(path):
        return {"sample": Path(path).name, "sha256": file_digest(Path(path), limit, error)}
    return {"name": Path(path).name, "sha256": file_digest(Path(path), limit, error)}
