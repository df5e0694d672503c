"""The examples in the docstrings of the modules that need no Keras are run, so they stay right."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["lab.settings", "lab.layers", "lab.spec", "lab.summary", "lab.prepare", "lab.advice",
           "lab.results", "lab.charts", "lab.data", "lab.predict", "lab.editor", "lab.artifacts",
           "lab.records.types", "lab.records.sql", "lab.records.migrations", "lab.records.sqlite", "lab.jobs.queue",
           "lab.records.postgres", "lab.jobs.progress", "lab.jobs.lock", "ui.text",
           "lab.evaluate", "lab.answers", "lab.shift", "lab.upload", "lab.export", "lab.evalcharts", "lab.jobs.ray_worker", "lab.code", "lab.jobs.sink", "lab.jobs.ray_cluster",
           "lab.device", "lab.inside_charts"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
