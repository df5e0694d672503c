"""Real MNIST images for tests and benchmarks, from ``../shared/data``.

Only the official 10,000-image test set is available offline, so this
writes a stratified 8,000 / 2,000 split of it, in the standard four-file
IDX layout, into a folder the loader can be pointed at with LAB_DATASETS.
Figures measured on it are on this 10k split, not the full MNIST.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lab.data import IDX_FILES, read_idx, write_idx

SHARED = Path(os.environ.get("LAB_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def shared_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The real 10k MNIST test images and labels; fails loudly when missing."""
    folder = SHARED / "mnist"
    images, labels = folder / IDX_FILES[2], folder / IDX_FILES[3]
    if not images.is_file() or not labels.is_file():
        raise FileNotFoundError(f"Real MNIST files not found in {folder}: set LAB_SHARED_DATA to the "
                                "folder holding mnist/t10k-*-ubyte.gz (see shared/data/README.md).")
    return read_idx(images), read_idx(labels)


def write_mnist_split(root: Path, n_test_per_class: int = 200, seed: int = 0) -> Path:
    """Write ``root/mnist/`` with a stratified split of the real 10k images; returns ``root``."""
    x, y = shared_mnist()
    rng = np.random.default_rng(seed)
    test_idx = np.concatenate([rng.choice(np.flatnonzero(y == c), n_test_per_class, replace=False)
                               for c in range(10)])
    mask = np.ones(len(y), bool)
    mask[test_idx] = False
    train_idx = rng.permutation(np.flatnonzero(mask))
    test_idx = rng.permutation(test_idx)
    folder = root / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in zip(IDX_FILES, (x[train_idx], y[train_idx], x[test_idx], y[test_idx])):
        write_idx(folder / name, arr)
    return root
