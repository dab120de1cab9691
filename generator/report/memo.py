"""Values that depend only on the generator's code and the installed torch and torchvision, kept between builds.

The ResNet family (family.py, and the check's own account of it in
expected_family.py) is the same for every image, weights file and option:
a build computes it once per version of the code and of torch and
torchvision, and later builds read it back. It is kept as JSON beside the
check's cached values (expected_data.cache_folder); a missing, unreadable
or malformed entry is computed again, so deleting it is always safe. The
``check`` command never reads it: it always derives its own values.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from . import atomic
from .errors import OutputError
from .expected_data import cache_folder, read_cached

KEPT = 4  # per name: one per version of the code and packages
T = TypeVar("T")


@cache
def code_key() -> str:
    """Digest of the generator's code and data and of the torch and torchvision versions."""
    from .stamp import code_digest, package_version

    parts = {"code": code_digest(), "torch": package_version("torch"), "torchvision": package_version("torchvision")}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def remembered(name: str, compute: Callable[[], T], dump: Callable[[T], str], load: Callable[[str], T],
               depends_on: str = "") -> T:
    """``compute()``, or what it gave for this code and these packages (and ``depends_on``, if given) before."""
    key = code_key() if not depends_on else hashlib.sha256(f"{code_key()}\n{depends_on}".encode()).hexdigest()
    path = cache_folder() / f"{name}-{key}.json"
    text = read_cached(path)
    try:
        if text is not None:
            return load(text)
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    value = compute()
    try:
        atomic.write_text(path, dump(value))
        mine = re.compile(rf"{re.escape(name)}-[0-9a-f]{{64}}\.json")  # not another name's that starts alike
        entries = sorted((entry for entry in cache_folder().glob(f"{name}-*.json") if mine.fullmatch(entry.name)),
                         key=lambda entry: entry.stat().st_mtime)
        for old in entries[:-KEPT]:
            old.unlink(missing_ok=True)
    except (OSError, OutputError):
        pass  # a cache that cannot be written only means the next build computes again
    return value
