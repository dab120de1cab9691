"""The software a run's pages name with their versions, so that a reader can install the same and build again.

The ones that shape what the site shows: torch and torchvision compute every
number, MkDocs and its theme and plugins turn the pages into the site,
matplotlib, Pillow and numpy draw and read the pictures, Jinja2 writes the
pages. Each is named as pip installs it. The build reads their versions
into facts.json (report/provenance.py); the check reads them on its own
(verify/recipe.py) and compares.
"""

from __future__ import annotations

PYTHON = "Python"
PACKAGES: tuple[str, ...] = (
    "torch", "torchvision", "mkdocs", "mkdocs-material", "mkdocs-static-i18n", "mkdocs-jupyter", "matplotlib",
    "Pillow", "numpy", "Jinja2",
)
