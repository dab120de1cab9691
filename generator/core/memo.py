"""Values that depend only on the generator's code and the installed torch and torchvision, kept between builds.

The ResNet family (report/family.py, and the check's own account of it in
verify/family.py) and the figures that follow from the code alone are the
same for every image, weights file and option: a build computes them once
per version of the code and of torch and torchvision, and later builds read
them back from the cache (core/cache.py), unless it is a ``build --force``
(cache.write_only). Only the build's writing side reads them: the check,
the build's gate included, always derives its own values and compares.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from .cache import Shelf
from .config import PACKAGE
from .digests import code_digest, package_version

KEPT = 4  # per name: one per version of the code and packages
T = TypeVar("T")


@cache
def code_key() -> str:
    """Digest of the generator's code and data and of the torch and torchvision versions."""
    parts = {"code": code_digest(PACKAGE), "torch": package_version("torch"),
             "torchvision": package_version("torchvision")}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def remembered(name: str, compute: Callable[[], T], dump: Callable[[T], str], load: Callable[[str], T],
               depends_on: str = "") -> T:
    """``compute()``, or what it gave for this code and these packages (and ``depends_on``, if given) before."""
    key = code_key() if not depends_on else hashlib.sha256(f"{code_key()}\n{depends_on}".encode()).hexdigest()
    return Shelf(f"{name}-", KEPT).remember(key, compute, dump, load)
