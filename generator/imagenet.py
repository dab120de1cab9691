"""torchvision's ImageNet weights for ResNet18: the enum the report reads, and the file's identity.

The enum gives the metadata, categories and transforms; the constants say
which file is the real one (its full SHA-256, which torchvision itself does
not check, and its size) and where torch's hub cache keeps it. Model, facts
and figures read this module; only weights and download touch files.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import torch
from torchvision.models import ResNet18_Weights

IMAGENET_WEIGHTS = ResNet18_Weights.IMAGENET1K_V1
IMAGENET_URL: str = IMAGENET_WEIGHTS.url
IMAGENET_FILENAME: str = PurePosixPath(urlsplit(IMAGENET_URL).path).name
# Full digest of torchvision's published file (DESIGN.md); torchvision itself
# only checks the 8 hex digits that appear in the file name.
IMAGENET_SHA256 = "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec"
IMAGENET_SIZE = 46_830_571


def imagenet_cache_path() -> Path:
    """Where torch's hub cache keeps the ImageNet file (follows $TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / IMAGENET_FILENAME
