"""Every setting of a run, validated once so later stages can trust it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.cbook

from .errors import UsageError

LANGUAGES: tuple[str, ...] = ("es", "en")
WEIGHT_CHOICES: tuple[str, ...] = ("auto", "imagenet", "random")
SAMPLE_IMAGE_NAME = "grace_hopper.jpg"
FIGURE_FOLDER = "img"  # under docs/, where pages link their figures


def sample_image() -> Path:
    """The real photo that ships with matplotlib: the default input."""
    return Path(matplotlib.cbook.get_sample_data(SAMPLE_IMAGE_NAME, asfileobj=False))


@dataclass(frozen=True)
class Config:
    image: Path = field(default_factory=sample_image)
    weights: str = "auto"
    seed: int = 0
    out: Path = Path("site")
    docs: Path = Path("docs")
    mkdocs_yml: Path = Path("mkdocs.yml")
    allow_download: bool = True
    download_timeout_s: float = 5.0
    top_k: int = 5
    feature_channels: int = 16
    execute_notebook: bool = True

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
        if self.out.resolve() == self.docs.resolve():
            raise UsageError("--out and --docs must be different folders")
        if not self.mkdocs_yml.is_file():
            raise UsageError(f"--mkdocs-yml: {self.mkdocs_yml} not found; run from the project root or pass --mkdocs-yml")
