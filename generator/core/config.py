"""Every setting of a run, validated once so later stages can trust it.

Paths are made absolute against the working directory when the Config is
made: the notebook kernel and the MkDocs process run elsewhere, and a
relative path would mean something else there. The defaults for docs,
mkdocs.yml and the site are the project's own (beside the generator
package), so a build means the same thing from any directory.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .names import printable_path

LANGUAGES: tuple[str, ...] = ("es", "en")
WEIGHT_CHOICES: tuple[str, ...] = ("auto", "imagenet", "random")
SAMPLE_IMAGE_NAME = "grace_hopper.jpg"
DEFAULT_SEED = 0  # --seed when none is given: a recipe leaves it out only where the weights ignore it
FIGURE_FOLDER = "img"  # under docs/, where pages link their figures
DATA_FOLDER = "explorer-data"  # under docs/, the explorer's data files (report/explorer_data.py); its page is explorer/
MODEL_FOLDER = "assets/model"  # under docs/, the run's ResNet18 as ONNX (report/onnx_export.py), for the page that runs it
MODEL_FILE = "resnet18.onnx"
RUNTIME_FOLDER = "assets/ort"  # under docs/, onnxruntime-web's files, copied from node_modules (pipeline/ort_files.py)
MODEL_DATA = "model.json"  # beside it: what the page needs to run it (its size, outputs, transforms, class names)
PACKAGE = Path(__file__).resolve().parent.parent  # generator/, which holds the templates, translations and data
PROJECT_ROOT = PACKAGE.parent


def sample_image() -> Path:
    """The real photo that ships with matplotlib: the default input.

    Found where matplotlib.cbook.get_sample_data finds it (mpl-data/sample_data
    beside the package), without importing matplotlib: the CLI refuses bad
    options, and sees that nothing changed, before any heavy import.
    """
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise UsageError("matplotlib is not installed: run `make site`, which installs it, or pass --image")
    return Path(spec.origin).with_name("mpl-data") / "sample_data" / SAMPLE_IMAGE_NAME


def is_sample_image(path: Path) -> bool:
    """Whether the image is the one a run without --image reads (the build's input digests ask it too)."""
    return Path(path) == sample_image()


def absolute(path: Path) -> Path:
    """Against the working directory, links kept as named: --out must see a link to refuse it."""
    return Path(os.path.abspath(path))


def project_path(name: str, option: str) -> Path:
    """A default that belongs to the project checkout holding this generator package."""
    if not (PROJECT_ROOT / "mkdocs.yml").is_file():
        raise UsageError(
            f"no mkdocs.yml beside the generator package in {printable_path(PROJECT_ROOT)}, so {option} has no default: "
            "run `python -m generator` from a checkout of the project, or pass --docs, --mkdocs-yml and --out"
        )
    return PROJECT_ROOT / name


@dataclass(frozen=True)
class Config:
    image: Path = field(default_factory=sample_image)
    weights: str = "auto"
    seed: int = DEFAULT_SEED
    out: Path = field(default_factory=lambda: project_path("site", "--out"))
    docs: Path = field(default_factory=lambda: project_path("docs", "--docs"))
    mkdocs_yml: Path = field(default_factory=lambda: project_path("mkdocs.yml", "--mkdocs-yml"))
    allow_download: bool = True
    download_timeout_s: float = 5.0
    top_k: int = 5
    feature_channels: int = 16
    execute_notebook: bool = True
    make_pdf: bool = True  # False (--no-pdf): no PDF of the report, and no page links one
    reuse_published: bool = True  # False (--force): compute everything even when the published build could be reused

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed < 2**63:
            raise UsageError(f"--seed must be an integer between 0 and 2**63-1, got {self.seed!r}")
        if self.weights not in WEIGHT_CHOICES and not self.weights.strip():
            raise UsageError("--weights must be auto, imagenet, random or a path to a .pth file")
        if not 0 < self.download_timeout_s <= 600:
            raise UsageError(f"--download-timeout must be in (0, 600] seconds, got {self.download_timeout_s}")
        if not 1 <= self.top_k <= 20:
            raise UsageError(f"top_k must be between 1 and 20, got {self.top_k}")
        if self.feature_channels not in (4, 9, 16, 25, 36, 49, 64):
            raise UsageError(f"feature_channels must be a square number of channels up to 64, got {self.feature_channels}")
        object.__setattr__(self, "image", absolute(self.image))
        if self.weights not in WEIGHT_CHOICES:
            object.__setattr__(self, "weights", str(absolute(Path(self.weights))))
        object.__setattr__(self, "out", absolute(self.out))
        object.__setattr__(self, "docs", absolute(self.docs))
        object.__setattr__(self, "mkdocs_yml", absolute(self.mkdocs_yml))
        if not self.mkdocs_yml.is_file():
            raise UsageError(f"--mkdocs-yml: {printable_path(self.mkdocs_yml)} not found; pass the project's mkdocs.yml")
        try:
            with self.mkdocs_yml.open("rb"):
                pass
        except OSError as error:
            raise UsageError(f"--mkdocs-yml: cannot read {printable_path(self.mkdocs_yml)} ({error.strerror}); "
                             "make it readable or pass another --mkdocs-yml") from error
