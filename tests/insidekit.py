"""Real trained runs for the tests of the Inside the network views.

Each is trained once per test process through the lab's own `JobManager` (so
its record and model file are what a user's run leaves), in a folder of its
own; tests copy it into their LAB_HOME with `appkit.install_model`.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from lab import xor
from lab.jobs import JobManager
from lab.records import RunRecord
from lab.records.sqlite import SQLiteStore as Store
from lab.spec import load_presets

CNN = "cnn_32_64_64"
_TRAINED: dict[tuple, tuple[RunRecord, Path]] = {}


def train(model, train_spec, datasets_dir: Path) -> tuple[RunRecord, Path]:
    """Train ``model`` with ``train_spec`` once per process (in its own lab home); its record
    and model file."""
    key = (repr(model), repr(train_spec), str(datasets_dir))
    if key not in _TRAINED:
        home = Path(tempfile.mkdtemp(prefix="inside_home_"))
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("LAB_HOME", str(home))
            mp.setenv("LAB_DATASETS", str(datasets_dir))
            manager = JobManager(Store())
            job = manager.submit(model, train_spec, owner="teacher", owner_id="p-teacher")
            assert manager.wait(job.id, timeout=300).status == "finished"
            run = manager.store.run(job.id)
            _TRAINED[key] = run, manager.models.locate(run)
    return _TRAINED[key]


def trained_cnn(datasets_dir: Path) -> tuple[RunRecord, Path]:
    """The pooled Conv 32-64-64 preset trained for one epoch on 1,000 real MNIST images."""
    preset = load_presets()[CNN]
    return train(preset.model, replace(preset.train, epochs=1, train_limit=1000), datasets_dir)


def trained_xor(datasets_dir: Path, **settings) -> tuple[RunRecord, Path]:
    """An XOR run as the XOR lab trains it (default settings unless given)."""
    model, train_spec = xor.spec(replace(xor.XorSettings(), **settings))
    return train(model, train_spec, datasets_dir)


def trained_preset(key: str, datasets_dir: Path, **changes) -> tuple[RunRecord, Path]:
    """A preset trained briefly (one epoch on 1,000 images unless ``changes`` say otherwise)."""
    preset = load_presets()[key]
    return train(preset.model, replace(preset.train, **{"epochs": 1, "train_limit": 1000, **changes}),
                 datasets_dir)
