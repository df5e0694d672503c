"""lab.code: the Keras code of a network, made without loading Keras; test_build.py checks that
the code builds the same model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_what_the_pages_import_at_start_loads_no_tensorflow():
    """The lab modules the pages import (Architecture's code export among them) leave
    TensorFlow unloaded: scripts and tools that only read records or specs start in a
    fraction of a second. (A server loads it once, up front: `ui.resources`.)"""
    code = ("import sys; sys.path.insert(0, '.'); "
            "import lab.code, lab.summary, lab.editor, lab.data, lab.charts, lab.results, lab.classroom, "
            "lab.sweeps, lab.share, lab.identity, lab.jobs, lab.records, lab.predict, lab.evaluate, lab.answers; "
            "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
