"""Shared fixtures: real MNIST split, an isolated lab home, no downloads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["LAB_OFFLINE"] = "1"  # tests never wait on the network

from realdata import write_mnist_split  # noqa: E402


@pytest.fixture(scope="session")
def datasets_dir(tmp_path_factory) -> Path:
    """A LAB_DATASETS folder holding the real 8,000/2,000 MNIST split."""
    return write_mnist_split(tmp_path_factory.mktemp("datasets"))


@pytest.fixture(autouse=True)
def lab_env(monkeypatch, tmp_path, datasets_dir):
    """Each test gets its own LAB_HOME and sees the real MNIST split."""
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "labhome"))
    monkeypatch.setenv("LAB_DATASETS", str(datasets_dir))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    yield
