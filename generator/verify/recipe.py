"""The check's own account of the recipe on the reproducibility page, and of the software it names.

Written apart from report/provenance.py, from what the check itself
resolved: the weights it loaded (never what --weights asked for), the
image it read, and the versions of the packages installed where it runs.
A page or a facts.json that prints ``--weights auto``, leaves out the seed
of random weights, names another file or another version, disagrees here.
"""

from __future__ import annotations

import platform
import shlex
from importlib import metadata
from typing import Any

from ..core.config import DEFAULT_SEED, Config, is_sample_image
from ..core.software import PACKAGES, PYTHON

# --weights as a recipe must write it, by the kind of weights the check loaded (None: the file's own name)
WEIGHTS_WORD = {"random": "random", "imagenet": "imagenet", "file": None}


def recipe_values(config: Config, kind: str, file_name: str | None, image_name: str) -> dict[str, Any]:
    """facts.json's paths of the recipe, the image's origin, the software and their sentences' wordings."""
    sample = is_sample_image(config.image)
    words: list[str] = []
    if not sample:
        words.extend(("--image", image_name))
    words.extend(("--weights", WEIGHTS_WORD[kind] or str(file_name)))
    if kind == "random" or config.seed != DEFAULT_SEED:
        words.extend(("--seed", f"{config.seed:d}"))
    if not config.execute_notebook:
        words.append("--no-notebook-execution")
    if not config.make_pdf:
        words.append("--no-pdf")
    values: dict[str, Any] = {
        "provenance.recipe.build": " ".join(shlex.quote(w) for w in ("python", "-m", "generator", "build", *words)),
        "provenance.recipe.check": " ".join(shlex.quote(w) for w in ("python", "-m", "generator", "check", *words)),
        "provenance.image.origin": "sample" if sample else "file",
        "claims.weights_used": kind,
        "claims.image_origin": "sample" if sample else "file",
    }
    versions = [(PYTHON, platform.python_version())]
    versions += [(name, metadata.distribution(name).version) for name in PACKAGES]
    for index, (name, version) in enumerate(versions):
        values[f"provenance.software.{index}.name"] = name
        values[f"provenance.software.{index}.version"] = version
    return values
