"""scikit-learn's handwritten digits, read without importing scikit-learn when its data file is the one known here.

Importing scikit-learn to call ``load_digits`` takes about 2 s, and both the
experiment's re-run and the gate's derivation of its sizes need only the
8x8 images and their labels. ``load_digits`` reads them from one gzipped
CSV in scikit-learn's package data with ``np.loadtxt``; when that file's
SHA-256 is DIGITS_SHA256 (the file scikit-learn 1.9.1 ships), this
module reads it the same way and gets the same arrays. Any other file (another version, an
edited one) is left to ``load_digits`` itself, so nothing is taken on trust:
the digest only picks which of two equal readings runs. No torch here.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
CLASSES = 10  # load_digits' target_names: np.arange(10)


def data_file() -> Path | None:
    """Where scikit-learn keeps the digits, found without importing it (None when it is not installed)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"


def load() -> tuple[NDArray[np.float64], NDArray[np.int64], int]:
    """(images of shape (N, 8, 8), labels, classes), exactly as ``sklearn.datasets.load_digits`` gives them."""
    path = data_file()
    content = path.read_bytes() if path is not None and path.is_file() else b""
    if hashlib.sha256(content).hexdigest() != DIGITS_SHA256:
        return load_with_sklearn()
    with gzip.open(io.BytesIO(content), mode="rt", encoding="utf-8") as text:
        data = np.loadtxt(text, delimiter=",")
    return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(int, copy=False), CLASSES


def load_with_sklearn() -> tuple[NDArray[np.float64], NDArray[np.int64], int]:
    """The slow path: scikit-learn's own reader, for a data file this module does not know."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images, digits.target, len(digits.target_names)
