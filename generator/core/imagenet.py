"""torchvision's ImageNet weights for ResNet18: the enum the report reads, and the file's identity.

The enum gives the metadata, categories and transforms; the constants say
which file is the real one (its full SHA-256, which torchvision itself does
not check, and its size) and where torch's hub cache keeps it. Model, facts
and figures read this module; only weights and download touch files.

Importing it does not import torch: a build that changed nothing must find
out without the seconds torch takes to import. The enum is loaded on first
use, and tests/test_weights.py checks the constants against torchvision's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

IMAGENET_URL = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
IMAGENET_FILENAME = "resnet18-f37072fd.pth"
# Full digest of torchvision's published file (DESIGN.md); torchvision itself
# only checks the 8 hex digits that appear in the file name.
IMAGENET_SHA256 = "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec"
IMAGENET_SIZE = 46_830_571


def __getattr__(name: str) -> Any:
    """IMAGENET_WEIGHTS, torchvision's ResNet18_Weights.IMAGENET1K_V1, imported when first asked for."""
    if name == "IMAGENET_WEIGHTS":
        from torchvision.models import ResNet18_Weights

        return ResNet18_Weights.IMAGENET1K_V1
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def imagenet_cache_path() -> Path:
    """Where torch's hub cache keeps the ImageNet file: torch.hub.get_dir()'s rule ($TORCH_HOME, else
    $XDG_CACHE_HOME/torch, else ~/.cache/torch), followed without importing torch."""
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    torch_home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))
    return Path(torch_home) / "hub" / "checkpoints" / IMAGENET_FILENAME
