"""This run's provenance: its weights and image, the software it ran with, and the commands that make it again.

The recipe names what the run used, not what it was asked for: a run of
``--weights auto`` that found no ImageNet weights used random ones, and on
another machine ``auto`` would find them, so its recipe says ``--weights
random --seed N``. It holds only what changes facts.json: the image (left out
when it is matplotlib's sample, which a run without ``--image`` reads), the
weights, the seed where the weights use it, and whether the notebook ran.
Nothing in the provenance depends on anything else, so the recipe's build
writes this very facts.json again (tests/test_recipe.py runs it).
"""

from __future__ import annotations

import platform
import shlex
from importlib import metadata

from ..core.config import DEFAULT_SEED
from ..core.software import PACKAGES, PYTHON
from .facts import ImageFacts, Provenance, Recipe, Software, WeightsFacts

COMMAND = ("python", "-m", "generator")


def installed_software() -> tuple[Software, ...]:
    """Python and each package the pages name, with the version installed now (its metadata's)."""
    return (Software(PYTHON, platform.python_version()),
            *(Software(name, metadata.version(name)) for name in PACKAGES))


def run_options(weights: WeightsFacts, image: ImageFacts, seed: int, execute_notebook: bool,
                make_pdf: bool = True) -> list[str]:
    """The options of build (and check) that give these facts again, in the order --help lists them."""
    options = [] if image.origin == "sample" else ["--image", image.name]
    if weights.kind == "random":
        options += ["--weights", "random", "--seed", str(seed)]
    else:
        options += ["--weights", "imagenet" if weights.kind == "imagenet" else str(weights.file_name)]
        options += ["--seed", str(seed)] if seed != DEFAULT_SEED else []  # recorded, though these weights ignore it
    return options + ([] if execute_notebook else ["--no-notebook-execution"]) + ([] if make_pdf else ["--no-pdf"])


def describe_provenance(weights: WeightsFacts, image: ImageFacts, seed: int, execute_notebook: bool,
                        make_pdf: bool = True) -> Provenance:
    options = run_options(weights, image, seed, execute_notebook, make_pdf)
    recipe = Recipe(build=shlex.join([*COMMAND, "build", *options]), check=shlex.join([*COMMAND, "check", *options]))
    return Provenance(weights=weights, image=image, seed=seed, software=installed_software(), recipe=recipe,
                      pdf=make_pdf)


def recipe_claims(provenance: Provenance) -> dict[str, str]:
    """The wordings of the reproducibility page's sentences about this run's weights and image."""
    return {"weights_used": provenance.weights.kind, "image_origin": provenance.image.origin}
