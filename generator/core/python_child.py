"""The environment of every Python child this package starts: MkDocs, the notebook's kernel, the experiment.

Each child imports this checkout's generator, whatever the working
directory: the project's root goes first on its PYTHONPATH.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .config import PROJECT_ROOT


def environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (by default this process's environment) with the project's root first on PYTHONPATH."""
    base = os.environ if base is None else base
    python_path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), base.get("PYTHONPATH")]))
    return {**base, "PYTHONPATH": python_path}
